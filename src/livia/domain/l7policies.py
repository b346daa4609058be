"""L7 policies: what a listener does with a request that matches all of a policy's rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from livia.domain.status import OperatingStatus, ProvisioningStatus


class L7Action(StrEnum):
    REJECT = "REJECT"
    REDIRECT_TO_URL = "REDIRECT_TO_URL"
    REDIRECT_TO_POOL = "REDIRECT_TO_POOL"
    REDIRECT_PREFIX = "REDIRECT_PREFIX"


REDIRECT_CODES = (301, 302, 303, 307, 308)
MAX_POSITION = 2147483647


@dataclass(frozen=True, slots=True)
class L7Policy:
    id: str
    project_id: str
    listener_id: str
    name: str | None
    description: str | None
    admin_state_up: bool
    action: L7Action
    position: int
    redirect_pool_id: str | None
    redirect_url: str | None
    redirect_prefix: str | None
    redirect_http_code: int | None
    provisioning_status: ProvisioningStatus
    operating_status: OperatingStatus
    created_at: datetime
    updated_at: datetime | None
    tags: tuple[str, ...] = ()
