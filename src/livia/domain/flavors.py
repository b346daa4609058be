"""Flavors and availability zones: what the amphora provider lets an operator choose.

A *flavor profile* holds provider-specific ``flavor_data`` (a JSON object); a
*flavor* names a profile and is what a project picks at load balancer create.
The amphora provider's keys are :data:`FLAVOR_KEYS`, one table: name, type,
bounds, default and the description ``flavor_capabilities`` shows. Each key
changes the amphorae:

- ``loadbalancer_topology``: SINGLE (one amphora) or ACTIVE_STANDBY (two,
  keepalived); it becomes the load balancer's ``topology``;
- ``haproxy_threads``: HAProxy's ``nbthread`` (haproxy.cfg ``global``);
- ``max_listener_connections``: the ``maxconn`` of a listener whose
  ``connection_limit`` is -1, and the ceiling of those that set one.

At create the flavor's data is resolved into :class:`FlavorOptions` and kept
on the load balancer row (a snapshot): a later change of the profile does
not move existing load balancers.

An *availability zone profile* names the amphora hosts the zone may use
(``hosts``) and optionally the networks a VIP may be on
(``valid_vip_networks``); an *availability zone* (addressed by name) names a
profile.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from livia.domain.errors import InvalidInput, Unsupported
from livia.domain.limits import quote
from livia.domain.status import Topology

# The amphora host's ceiling for one listener (see render.haproxy: HaproxyOptions.maxconn_cap).
MAX_CONNECTIONS = 1_000_000
MAX_THREADS = 64


@dataclass(frozen=True, slots=True)
class FlavorOptions:
    """A load balancer's snapshot of its flavor's data-plane keys (None: Livia's default)."""

    haproxy_threads: int | None = None
    max_listener_connections: int | None = None


NO_OPTIONS = FlavorOptions()


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    kind: str  # JSON type: "string", "integer", "array"
    description: str
    check: Callable[[Any], str | None]  # why the value is refused, or None
    default: str


def _enum(*values: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, str) and value in values:
            return None
        return f"{quote(repr(value))} is not one of {', '.join(values)}"
    return check


def _int_range(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return None
        return f"{quote(repr(value))} is not an integer from {low} to {high}"
    return check


def _names(value: Any) -> str | None:
    if (isinstance(value, list) and value and len(value) <= 64
            and all(isinstance(v, str) and 0 < len(v) <= 255 for v in value)):
        return None
    return f"{quote(repr(value))} is not a list of 1 to 64 names"


FLAVOR_KEYS: dict[str, Key] = {k.name: k for k in (
    Key("loadbalancer_topology", "string",
        "The load balancer topology. One of: SINGLE - One amphora per load balancer. "
        "ACTIVE_STANDBY - Two amphora per load balancer (keepalived VRRP).",
        _enum(*(t.value for t in Topology)), "the server's --topology"),
    Key("haproxy_threads", "integer",
        f"HAProxy worker threads of each amphora (nbthread in haproxy.cfg), 1 to "
        f"{MAX_THREADS}.", _int_range(1, MAX_THREADS), "HAProxy's default (one per CPU)"),
    Key("max_listener_connections", "integer",
        "Per-listener connection cap, 1 to 1000000: the maxconn of a listener whose "
        "connection_limit is -1, and the ceiling of a listener's connection_limit "
        "(HAProxy's maxconn is also bounded by the amphora host's file descriptors).",
        _int_range(1, MAX_CONNECTIONS), "the amphora host's cap (7000)"),
)}

AZ_KEYS: dict[str, Key] = {k.name: k for k in (
    Key("hosts", "array",
        "The amphora hosts (names) this availability zone may place amphorae on.",
        _names, "every host"),
    Key("valid_vip_networks", "array",
        "The network ids a load balancer VIP may be on in this availability zone.",
        _names, "any network"),
)}


def parse_data(raw: str, option: str) -> dict[str, Any]:
    """A profile's JSON string as an object; Octavia's InvalidOption (400) otherwise."""
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise InvalidInput(f"{quote(raw)} is not a valid option for {option}")
    return data


def _validate(provider: str, data: Mapping[str, Any], keys: Mapping[str, Key]) -> None:
    unknown = sorted(set(data) - set(keys))
    if unknown:
        listed = ", ".join(quote(repr(k)) for k in unknown)
        raise Unsupported(provider, f"Additional properties are not allowed ({listed} "
                                          f"{'was' if len(unknown) == 1 else 'were'} "
                                          f"unexpected)")
    for name, value in data.items():
        reason = keys[name].check(value)
        if reason is not None:
            raise Unsupported(provider, f"{name} {reason}")


def validate_flavor(provider: str, data: Mapping[str, Any]) -> None:
    _validate(provider, data, FLAVOR_KEYS)


def validate_az(provider: str, data: Mapping[str, Any], known_hosts: frozenset[str]) -> None:
    _validate(provider, data, AZ_KEYS)
    unknown = sorted(set(data.get("hosts", ())) - known_hosts)
    if unknown:
        raise InvalidInput(f"Unknown amphora host {quote(unknown[0])}: the hosts are "
                           f"{', '.join(sorted(known_hosts))}.")


def capabilities(keys: Mapping[str, Key]) -> list[dict[str, str]]:
    return [{"name": k.name, "description": k.description} for k in keys.values()]


@dataclass(frozen=True, slots=True)
class FlavorProfile:
    id: str
    name: str | None
    provider_name: str
    flavor_data: str


@dataclass(frozen=True, slots=True)
class Flavor:
    id: str
    name: str | None
    description: str | None
    enabled: bool
    flavor_profile_id: str


@dataclass(frozen=True, slots=True)
class AvailabilityZoneProfile:
    id: str
    name: str | None
    provider_name: str
    availability_zone_data: str


@dataclass(frozen=True, slots=True)
class AvailabilityZone:
    name: str
    description: str | None
    enabled: bool
    availability_zone_profile_id: str


@dataclass(frozen=True, slots=True)
class Placement:
    """What a load balancer create takes from its flavor and availability zone."""

    provider: str | None  # the flavor profile's provider, None without a flavor
    topology: Topology | None  # None: the server's default
    options: FlavorOptions
    hosts: tuple[str, ...] | None  # None: any host
    valid_vip_networks: tuple[str, ...] | None  # None: any network


def resolve(flavor: Flavor | None, profile: FlavorProfile | None,
              zone: AvailabilityZone | None, zone_profile: AvailabilityZoneProfile | None
              ) -> Placement:
    """Check the flavor and zone a create names (already looked up) and resolve them.

    ``flavor``/``zone`` are None when the create names none; a named one that does
    not exist is refused by the caller before this (it knows the name asked for).
    """
    data: dict[str, Any] = {}
    provider = None
    if flavor is not None:
        if not flavor.enabled:
            raise InvalidInput(f"The selected flavor is not allowed in this deployment: "
                               f"{flavor.id}")
        assert profile is not None
        provider = profile.provider_name
        data = parse_data(profile.flavor_data, "flavor data")
        validate_flavor(provider, data)  # the driver re-validates, as Octavia's does
    zdata: dict[str, Any] = {}
    if zone is not None:
        if not zone.enabled:
            raise InvalidInput(f"The selected availability_zone is not allowed in this "
                               f"deployment: {zone.name}")
        assert zone_profile is not None
        zdata = parse_data(zone_profile.availability_zone_data, "availability zone data")
    topology = data.get("loadbalancer_topology")
    hosts = zdata.get("hosts")
    networks = zdata.get("valid_vip_networks")
    return Placement(
        provider=provider,
        topology=Topology(topology) if topology else None,
        options=FlavorOptions(haproxy_threads=data.get("haproxy_threads"),
                              max_listener_connections=data.get("max_listener_connections")),
        hosts=tuple(hosts) if hosts is not None else None,
        valid_vip_networks=tuple(networks) if networks is not None else None,
    )


def check_vip_network(where: Placement, network_id: str) -> None:
    """The zone's ``valid_vip_networks``, when it sets them, hold the VIP's network."""
    if where.valid_vip_networks is not None and network_id not in where.valid_vip_networks:
        raise InvalidInput("Validation failure: Supplied VIP network_id is not allowed by the "
                           "configuration of this deployment.")


def check_hosts(where: Placement, known_hosts: frozenset[str], zone: str | None) -> None:
    """The zone can place amphorae on a host that exists."""
    if where.hosts is not None and not set(where.hosts) & known_hosts:
        raise InvalidInput(f"Availability zone {quote(zone)} has no amphora host that exists "
                           f"(it names {', '.join(where.hosts)}).")


def choose_provider(where: Placement, requested: str | None, flavor_id: str | None) -> str:
    """The flavor's provider, else the one asked for, else ``amphora``; they must agree."""
    if where.provider is not None and requested is not None and requested != where.provider:
        raise InvalidInput(f"Flavor '{flavor_id}' is not compatible with provider "
                           f"'{quote(requested)}'")
    return where.provider or requested or "amphora"
