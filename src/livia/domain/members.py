"""Members: the user's hosts behind a pool."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from livia.domain.errors import InvalidInput
from livia.domain.status import OperatingStatus, ProvisioningStatus

RESERVED_ADDRESSES = frozenset({"169.254.169.254"})


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    project_id: str
    pool_id: str
    name: str | None
    admin_state_up: bool
    address: str
    protocol_port: int
    weight: int
    backup: bool
    subnet_id: str | None
    monitor_address: str | None
    monitor_port: int | None
    provisioning_status: ProvisioningStatus
    operating_status: OperatingStatus
    created_at: datetime
    updated_at: datetime | None
    tags: tuple[str, ...] = ()


def check(member: Member) -> None:
    if member.address in RESERVED_ADDRESSES:
        raise InvalidInput(
            f"The request you have made is not valid: member address {member.address} is "
            "reserved."
        )
    if member.monitor_address in RESERVED_ADDRESSES:
        raise InvalidInput(f"monitor_address {member.monitor_address} is reserved.")
    if not 0 <= member.weight <= 256:
        raise InvalidInput(
            f"Invalid input for field/attribute weight. Value: '{member.weight}'. "
            "Value should be between 0 and 256."
        )
