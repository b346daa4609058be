"""Flavor profiles, flavors, availability zone profiles and availability zones."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from livia.domain.errors import InvalidInput
from livia.domain.flavors import (
    AvailabilityZone,
    AvailabilityZoneProfile,
    Flavor,
    FlavorProfile,
    Placement,
    check_hosts,
    resolve,
)
from livia.domain.status import ProvisioningStatus
from livia.store import tables
from livia.store.records import Records, from_mapping

flavor_profiles = Records(tables.flavor_profiles, FlavorProfile, tagged=False)
flavors = Records(tables.flavors, Flavor, tagged=False)
zone_profiles = Records(tables.availability_zone_profiles, AvailabilityZoneProfile,
                        tagged=False)

_lbs = tables.loadbalancers
_LIVE = _lbs.c.provisioning_status != ProvisioningStatus.DELETED.value


def flavor_in_use(conn: Connection, flavor_id: str) -> bool:
    """A live load balancer was created with the flavor."""
    stmt = select(func.count()).select_from(_lbs).where(_lbs.c.flavor_id == flavor_id, _LIVE)
    return int(conn.execute(stmt).scalar_one()) > 0


def flavors_of_profile(conn: Connection, profile_id: str) -> int:
    return flavors.count(conn, tables.flavors.c.flavor_profile_id == profile_id)


def flavor_named(conn: Connection, name: str) -> Flavor | None:
    found = flavors.where(conn, tables.flavors.c.name == name)
    return found[0] if found else None


# -- availability zones: keyed by name --------------------------------------------------------

_zones = tables.availability_zones


def zone(conn: Connection, name: str, *, for_update: bool = False) -> AvailabilityZone | None:
    stmt = select(_zones).where(_zones.c.name == name)
    if for_update:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    return from_mapping(AvailabilityZone, dict(row._mapping)) if row is not None else None


def zones(conn: Connection, **equal: Any) -> list[AvailabilityZone]:
    stmt = select(_zones).where(*(_zones.c[k] == v for k, v in equal.items()
                                  if k in _zones.c)).order_by(_zones.c.name)
    return [from_mapping(AvailabilityZone, dict(row._mapping)) for row in conn.execute(stmt)]


def add_zone(conn: Connection, az: AvailabilityZone) -> None:
    conn.execute(insert(_zones).values(name=az.name, description=az.description,
                                       enabled=az.enabled,
                                       availability_zone_profile_id=az.availability_zone_profile_id))


def update_zone(conn: Connection, name: str, **values: Any) -> None:
    if values:
        conn.execute(update(_zones).where(_zones.c.name == name).values(**values))


def delete_zone(conn: Connection, name: str) -> None:
    conn.execute(delete(_zones).where(_zones.c.name == name))


def zone_in_use(conn: Connection, name: str) -> bool:
    stmt = select(func.count()).select_from(_lbs).where(_lbs.c.availability_zone == name,
                                                         _LIVE)
    return int(conn.execute(stmt).scalar_one()) > 0


def zones_of_profile(conn: Connection, profile_id: str) -> int:
    stmt = select(func.count()).select_from(_zones).where(
        _zones.c.availability_zone_profile_id == profile_id)
    return int(conn.execute(stmt).scalar_one())


def placement(conn: Connection, flavor_id: str | None, zone_name: str | None,
              known_hosts: frozenset[str]) -> Placement:
    """A load balancer create's flavor and availability zone, looked up and checked."""
    flavor = profile = None
    if flavor_id is not None:
        flavor = flavors.get(conn, flavor_id)
        if flavor is None:
            raise InvalidInput("Invalid flavor_id.")
        profile = flavor_profiles.get(conn, flavor.flavor_profile_id)
    az = az_profile = None
    if zone_name is not None:
        az = zone(conn, zone_name)
        if az is None:
            raise InvalidInput("Invalid availability zone.")
        az_profile = zone_profiles.get(conn, az.availability_zone_profile_id)
    where = resolve(flavor, profile, az, az_profile)
    check_hosts(where, known_hosts, zone_name)
    return where
