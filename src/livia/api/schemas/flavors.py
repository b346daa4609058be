"""Flavor, flavor profile, availability zone and availability zone profile schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from livia.api.schemas.fields import Body, Description, Name, NotNull, Out, Uuid
from livia.domain import limits

DATA_LENGTH = 4096  # Octavia's flavor_data / availability_zone_data: String(4096)
Data = Annotated[str, StringConstraints(max_length=DATA_LENGTH),
                 Field(description="A JSON object, as a string: the provider's keys "
                                   "(see the provider's capabilities).")]
Provider = Annotated[str, StringConstraints(max_length=limits.PROVIDER_LENGTH)]


class FlavorProfileCreate(Body):
    name: Name
    provider_name: Provider
    flavor_data: Data


class FlavorProfileUpdate(Body):
    name: Annotated[Name | None, NotNull] = None
    provider_name: Annotated[Provider | None, NotNull] = None
    flavor_data: Annotated[Data | None, NotNull] = None


class FlavorProfileCreateBody(Body):
    flavorprofile: FlavorProfileCreate


class FlavorProfileUpdateBody(Body):
    flavorprofile: FlavorProfileUpdate


class FlavorProfileOut(Out):
    id: str | None = None
    name: str | None = None
    provider_name: str | None = None
    flavor_data: str | None = None


class FlavorProfileOne(Out):
    flavorprofile: FlavorProfileOut


class FlavorProfileMany(Out):
    flavorprofiles: list[FlavorProfileOut]
    flavorprofile_links: list[dict[str, str]]


class FlavorCreate(Body):
    name: Name
    description: Description | None = None
    enabled: bool = True
    flavor_profile_id: Uuid


class FlavorUpdate(Body):
    name: Annotated[Name | None, NotNull] = None
    description: Description | None = None
    enabled: Annotated[bool | None, NotNull] = None


class FlavorCreateBody(Body):
    flavor: FlavorCreate


class FlavorUpdateBody(Body):
    flavor: FlavorUpdate


class FlavorOut(Out):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    flavor_profile_id: str | None = None


class FlavorOne(Out):
    flavor: FlavorOut


class FlavorMany(Out):
    flavors: list[FlavorOut]
    flavors_links: list[dict[str, str]]


class ZoneProfileCreate(Body):
    name: Name
    provider_name: Provider
    availability_zone_data: Data


class ZoneProfileUpdate(Body):
    name: Annotated[Name | None, NotNull] = None
    provider_name: Annotated[Provider | None, NotNull] = None
    availability_zone_data: Annotated[Data | None, NotNull] = None


class ZoneProfileCreateBody(Body):
    availability_zone_profile: ZoneProfileCreate


class ZoneProfileUpdateBody(Body):
    availability_zone_profile: ZoneProfileUpdate


class ZoneProfileOut(Out):
    id: str | None = None
    name: str | None = None
    provider_name: str | None = None
    availability_zone_data: str | None = None


class ZoneProfileOne(Out):
    availability_zone_profile: ZoneProfileOut


class ZoneProfileMany(Out):
    availability_zone_profiles: list[ZoneProfileOut]
    availability_zone_profile_links: list[dict[str, str]]


class ZoneCreate(Body):
    name: Name
    description: Description | None = None
    enabled: bool = True
    availability_zone_profile_id: Uuid


class ZoneUpdate(Body):
    description: Description | None = None
    enabled: Annotated[bool | None, NotNull] = None


class ZoneCreateBody(Body):
    availability_zone: ZoneCreate


class ZoneUpdateBody(Body):
    availability_zone: ZoneUpdate


class ZoneOut(Out):
    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    availability_zone_profile_id: str | None = None


class ZoneOne(Out):
    availability_zone: ZoneOut


class ZoneMany(Out):
    availability_zones: list[ZoneOut]
    availability_zones_links: list[dict[str, str]]


class Capability(Out):
    name: str
    description: str


class FlavorCapabilities(Out):
    flavor_capabilities: list[Capability]


class ZoneCapabilities(Out):
    availability_zone_capabilities: list[Capability]
