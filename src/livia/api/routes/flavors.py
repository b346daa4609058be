"""Flavor profiles, flavors, availability zone profiles, availability zones, capabilities.

Profiles and capabilities are admin only; flavors and zones are read by any
reader and written by admins (Octavia's default policy). Zones are addressed
by name. What the keys mean is ``livia.domain.flavors``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from livia.api import listing, routing
from livia.api.context import Call, CallDep, new_id, parse_id
from livia.api.openapi import documented
from livia.api.schemas.flavors import (
    FlavorCapabilities,
    FlavorCreateBody,
    FlavorMany,
    FlavorOne,
    FlavorProfileCreateBody,
    FlavorProfileMany,
    FlavorProfileOne,
    FlavorProfileUpdateBody,
    FlavorUpdateBody,
    ZoneCapabilities,
    ZoneCreateBody,
    ZoneMany,
    ZoneOne,
    ZoneProfileCreateBody,
    ZoneProfileMany,
    ZoneProfileOne,
    ZoneProfileUpdateBody,
    ZoneUpdateBody,
)
from livia.api.views import view
from livia.domain import flavors as domain
from livia.domain.errors import Duplicate, InUse, InvalidInput, NotFound
from livia.domain.flavors import AvailabilityZone, AvailabilityZoneProfile, Flavor, FlavorProfile
from livia.domain.limits import quote
from livia.domain.loadbalancers import PROVIDERS
from livia.domain.policy import Rule
from livia.store import flavors as store
from livia.store.database import Connection
from livia.store.records import Records

router = routing.router("flavors", responses=documented(501))

FLAVOR_PROFILE = "Flavor profile"
FLAVOR = "Flavor"
ZONE_PROFILE = "Availability Zone Profile"
ZONE = "Availability Zone"
BLANK = ("name", "description")


def _provider(name: str) -> str:
    if name not in PROVIDERS:
        raise InvalidInput(f"Provider '{quote(name)}' is not enabled.")
    return name


def _in_use(what: str, key: str) -> InUse:
    return InUse(f"{what} {quote(key)} is in use and cannot be modified.")


def _get(conn: Connection, records: Records[Any], resource: str, object_id: str,
         *, for_update: bool = False) -> Any:
    found = records.get(conn, parse_id(object_id, resource), for_update=for_update)
    if found is None:
        raise NotFound(resource, object_id)
    return found


def _page(request: Request, call: Call, records: Records[Any], key: str, links_key: str
          ) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=None,
                               max_limit=call.settings.pagination_max_limit)
    fields = listing.selected_fields(request.query_params)
    with call.db.read() as conn:
        page = records.page(conn, query)
    items = [listing.select(view(x, blank=BLANK), fields) for x in page.items]
    links = listing.links(call.base_url, request.url.path, request.query_params,
                          [{"id": x.id} for x in page.items], has_more=page.has_more,
                          query=query)
    return {key: items, links_key: links}


def _one(request: Request, obj: Any) -> dict[str, Any]:
    return listing.select(view(obj, blank=BLANK), listing.selected_fields(request.query_params))


# -- flavor profiles --------------------------------------------------------------------------

def _check_flavor_data(provider: str, raw: str) -> None:
    domain.validate_flavor(provider, domain.parse_data(raw, "flavor data"))


@router.post("/flavorprofiles", status_code=201, response_model=FlavorProfileOne,
             response_model_exclude_unset=True)
def create_flavor_profile(body: FlavorProfileCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    spec = body.flavorprofile
    _check_flavor_data(_provider(spec.provider_name), spec.flavor_data)
    profile = FlavorProfile(id=new_id(), name=spec.name, provider_name=spec.provider_name,
                            flavor_data=spec.flavor_data)
    with call.db.write() as conn:
        store.flavor_profiles.insert(conn, profile)
    return {"flavorprofile": view(profile, blank=BLANK)}


@router.get("/flavorprofiles", response_model=FlavorProfileMany,
            response_model_exclude_unset=True)
def list_flavor_profiles(request: Request, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    return _page(request, call, store.flavor_profiles, "flavorprofiles", "flavorprofile_links")


@router.get("/flavorprofiles/{profile_id}", response_model=FlavorProfileOne,
            response_model_exclude_unset=True)
def show_flavor_profile(profile_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    with call.db.read() as conn:
        profile = _get(conn, store.flavor_profiles, FLAVOR_PROFILE, profile_id)
    return {"flavorprofile": _one(request, profile)}


@router.put("/flavorprofiles/{profile_id}", response_model=FlavorProfileOne,
            response_model_exclude_unset=True)
def update_flavor_profile(profile_id: str, body: FlavorProfileUpdateBody, call: CallDep
                          ) -> dict[str, Any]:
    call.require_admin()
    given = body.flavorprofile.model_dump(exclude_unset=True)
    with call.db.write() as conn:
        current: FlavorProfile = _get(conn, store.flavor_profiles, FLAVOR_PROFILE, profile_id,
                                      for_update=True)
        if ("flavor_data" in given or "provider_name" in given) and store.flavors_of_profile(
                conn, current.id):
            raise _in_use(FLAVOR_PROFILE, current.id)
        provider = _provider(given.get("provider_name", current.provider_name))
        if "flavor_data" in given or "provider_name" in given:
            _check_flavor_data(provider, given.get("flavor_data", current.flavor_data))
        if given:
            store.flavor_profiles.update(conn, current.id, **given)
        out = _get(conn, store.flavor_profiles, FLAVOR_PROFILE, current.id)
    return {"flavorprofile": view(out, blank=BLANK)}


@router.delete("/flavorprofiles/{profile_id}", status_code=204, response_class=Response)
def delete_flavor_profile(profile_id: str, call: CallDep) -> Response:
    call.require_admin()
    with call.db.write() as conn:
        current = _get(conn, store.flavor_profiles, FLAVOR_PROFILE, profile_id, for_update=True)
        if store.flavors_of_profile(conn, current.id):
            raise _in_use(FLAVOR_PROFILE, current.id)
        store.flavor_profiles.delete(conn, current.id)
    return Response(status_code=204)


# -- flavors ----------------------------------------------------------------------------------

def _unique_flavor_name(conn: Connection, name: str | None, own_id: str | None = None) -> None:
    if name is None:
        return
    other = store.flavor_named(conn, name)
    if other is not None and other.id != own_id:
        raise Duplicate(f"A flavor of {quote(name)} already exists.")


@router.post("/flavors", status_code=201, response_model=FlavorOne,
             response_model_exclude_unset=True)
def create_flavor(body: FlavorCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    spec = body.flavor
    with call.db.write() as conn:
        if store.flavor_profiles.get(conn, spec.flavor_profile_id) is None:
            raise InvalidInput(f"{spec.flavor_profile_id} is not a valid option for "
                               f"flavor_profile_id")
        _unique_flavor_name(conn, spec.name)
        flavor = Flavor(id=new_id(), name=spec.name, description=spec.description,
                        enabled=spec.enabled, flavor_profile_id=spec.flavor_profile_id)
        store.flavors.insert(conn, flavor)
    return {"flavor": view(flavor, blank=BLANK)}


@router.get("/flavors", response_model=FlavorMany, response_model_exclude_unset=True)
def list_flavors(request: Request, call: CallDep) -> dict[str, Any]:
    call.require(Rule.READ)
    return _page(request, call, store.flavors, "flavors", "flavors_links")


@router.get("/flavors/{flavor_id}", response_model=FlavorOne,
            response_model_exclude_unset=True)
def show_flavor(flavor_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    call.require(Rule.READ)
    with call.db.read() as conn:
        flavor = _get(conn, store.flavors, FLAVOR, flavor_id)
    return {"flavor": _one(request, flavor)}


@router.put("/flavors/{flavor_id}", response_model=FlavorOne,
            response_model_exclude_unset=True)
def update_flavor(flavor_id: str, body: FlavorUpdateBody, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    given = body.flavor.model_dump(exclude_unset=True)
    with call.db.write() as conn:
        current = _get(conn, store.flavors, FLAVOR, flavor_id, for_update=True)
        _unique_flavor_name(conn, given.get("name"), current.id)
        if given:
            store.flavors.update(conn, current.id, **given)
        out = _get(conn, store.flavors, FLAVOR, current.id)
    return {"flavor": view(out, blank=BLANK)}


@router.delete("/flavors/{flavor_id}", status_code=204, response_class=Response)
def delete_flavor(flavor_id: str, call: CallDep) -> Response:
    call.require_admin()
    with call.db.write() as conn:
        current = _get(conn, store.flavors, FLAVOR, flavor_id, for_update=True)
        if store.flavor_in_use(conn, current.id):
            raise _in_use(FLAVOR, current.id)
        store.flavors.delete(conn, current.id)
    return Response(status_code=204)


# -- availability zone profiles ---------------------------------------------------------------

def _check_zone_data(call: Call, provider: str, raw: str) -> None:
    domain.validate_az(provider, domain.parse_data(raw, "availability zone data"),
                       call.settings.amphora_hosts)


@router.post("/availabilityzoneprofiles", status_code=201, response_model=ZoneProfileOne,
             response_model_exclude_unset=True)
def create_zone_profile(body: ZoneProfileCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    spec = body.availability_zone_profile
    _check_zone_data(call, _provider(spec.provider_name), spec.availability_zone_data)
    profile = AvailabilityZoneProfile(id=new_id(), name=spec.name,
                                      provider_name=spec.provider_name,
                                      availability_zone_data=spec.availability_zone_data)
    with call.db.write() as conn:
        store.zone_profiles.insert(conn, profile)
    return {"availability_zone_profile": view(profile, blank=BLANK)}


@router.get("/availabilityzoneprofiles", response_model=ZoneProfileMany,
            response_model_exclude_unset=True)
def list_zone_profiles(request: Request, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    return _page(request, call, store.zone_profiles, "availability_zone_profiles",
                 "availability_zone_profile_links")


@router.get("/availabilityzoneprofiles/{profile_id}", response_model=ZoneProfileOne,
            response_model_exclude_unset=True)
def show_zone_profile(profile_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    with call.db.read() as conn:
        profile = _get(conn, store.zone_profiles, ZONE_PROFILE, profile_id)
    return {"availability_zone_profile": _one(request, profile)}


@router.put("/availabilityzoneprofiles/{profile_id}", response_model=ZoneProfileOne,
            response_model_exclude_unset=True)
def update_zone_profile(profile_id: str, body: ZoneProfileUpdateBody, call: CallDep
                        ) -> dict[str, Any]:
    call.require_admin()
    given = body.availability_zone_profile.model_dump(exclude_unset=True)
    changes_data = "availability_zone_data" in given or "provider_name" in given
    with call.db.write() as conn:
        current: AvailabilityZoneProfile = _get(conn, store.zone_profiles, ZONE_PROFILE,
                                                profile_id, for_update=True)
        if changes_data and store.zones_of_profile(conn, current.id):
            raise _in_use(ZONE_PROFILE, current.id)
        provider = _provider(given.get("provider_name", current.provider_name))
        if changes_data:
            _check_zone_data(call, provider, given.get("availability_zone_data",
                                                       current.availability_zone_data))
        if given:
            store.zone_profiles.update(conn, current.id, **given)
        out = _get(conn, store.zone_profiles, ZONE_PROFILE, current.id)
    return {"availability_zone_profile": view(out, blank=BLANK)}


@router.delete("/availabilityzoneprofiles/{profile_id}", status_code=204,
               response_class=Response)
def delete_zone_profile(profile_id: str, call: CallDep) -> Response:
    call.require_admin()
    with call.db.write() as conn:
        current = _get(conn, store.zone_profiles, ZONE_PROFILE, profile_id, for_update=True)
        if store.zones_of_profile(conn, current.id):
            raise _in_use(ZONE_PROFILE, current.id)
        store.zone_profiles.delete(conn, current.id)
    return Response(status_code=204)


# -- availability zones (by name) -------------------------------------------------------------

def _zone(conn: Connection, name: str, *, for_update: bool = False) -> AvailabilityZone:
    found = store.zone(conn, name, for_update=for_update)
    if found is None:
        raise NotFound(ZONE, name)
    return found


def _zone_view(az: AvailabilityZone) -> dict[str, Any]:
    return view(az, blank=("description",))


@router.post("/availabilityzones", status_code=201, response_model=ZoneOne,
             response_model_exclude_unset=True)
def create_zone(body: ZoneCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    spec = body.availability_zone
    with call.db.write() as conn:
        if store.zone_profiles.get(conn, spec.availability_zone_profile_id) is None:
            raise InvalidInput(f"{spec.availability_zone_profile_id} is not a valid option "
                               f"for availability_zone_profile_id")
        if store.zone(conn, spec.name) is not None:
            raise Duplicate(f"A availability zone of {quote(spec.name)} already exists.")
        az = AvailabilityZone(name=spec.name, description=spec.description,
                              enabled=spec.enabled,
                              availability_zone_profile_id=spec.availability_zone_profile_id)
        store.add_zone(conn, az)
    return {"availability_zone": _zone_view(az)}


@router.get("/availabilityzones", response_model=ZoneMany, response_model_exclude_unset=True)
def list_zones(request: Request, call: CallDep) -> dict[str, Any]:
    call.require(Rule.READ)
    params = request.query_params
    equal: dict[str, Any] = {k: params[k] for k in ("name", "description",
                                                    "availability_zone_profile_id")
                             if k in params}
    if "enabled" in params:
        equal["enabled"] = params["enabled"].lower() in ("true", "1", "yes")
    fields = listing.selected_fields(params)
    with call.db.read() as conn:
        found = store.zones(conn, **equal)
    return {"availability_zones": [listing.select(_zone_view(z), fields) for z in found],
            "availability_zones_links": []}


@router.get("/availabilityzones/{name}", response_model=ZoneOne,
            response_model_exclude_unset=True)
def show_zone(name: str, request: Request, call: CallDep) -> dict[str, Any]:
    call.require(Rule.READ)
    with call.db.read() as conn:
        az = _zone(conn, name)
    return {"availability_zone": listing.select(_zone_view(az),
                                                listing.selected_fields(request.query_params))}


@router.put("/availabilityzones/{name}", response_model=ZoneOne,
            response_model_exclude_unset=True)
def update_zone(name: str, body: ZoneUpdateBody, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    given = body.availability_zone.model_dump(exclude_unset=True)
    with call.db.write() as conn:
        current = _zone(conn, name, for_update=True)
        store.update_zone(conn, current.name, **given)
        out = _zone(conn, current.name)
    return {"availability_zone": _zone_view(out)}


@router.delete("/availabilityzones/{name}", status_code=204, response_class=Response)
def delete_zone(name: str, call: CallDep) -> Response:
    call.require_admin()
    with call.db.write() as conn:
        current = _zone(conn, name, for_update=True)
        if store.zone_in_use(conn, current.name):
            raise _in_use(ZONE, current.name)
        store.delete_zone(conn, current.name)
    return Response(status_code=204)


# -- provider capabilities --------------------------------------------------------------------

@router.get("/providers/{provider}/flavor_capabilities", response_model=FlavorCapabilities,
            responses=documented(400))
def flavor_capabilities(provider: str, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    _provider(provider)
    return {"flavor_capabilities": domain.capabilities(domain.FLAVOR_KEYS)}


@router.get("/providers/{provider}/availability_zone_capabilities",
            response_model=ZoneCapabilities, responses=documented(400))
def zone_capabilities(provider: str, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    _provider(provider)
    return {"availability_zone_capabilities": domain.capabilities(domain.AZ_KEYS)}
