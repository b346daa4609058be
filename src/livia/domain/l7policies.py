"""L7 policies: what a listener does with a request that matches all of a policy's rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from livia.domain.errors import InvalidInput
from livia.domain.limits import quote
from livia.domain.status import OperatingStatus, ProvisioningStatus
from livia.domain.text import full_match, line_fault


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


# What a redirect may point to: an absolute http(s) URL, one line, no space or '"'.
_URL = re.compile(r"https?://[^\s\"]+")


def check(policy: L7Policy) -> None:
    """Octavia's rules for an L7 policy's fields, on the policy as it will be stored."""
    if policy.action is L7Action.REDIRECT_TO_POOL and not policy.redirect_pool_id:
        raise InvalidInput("A REDIRECT_TO_POOL policy needs redirect_pool_id.")
    if policy.action is L7Action.REDIRECT_TO_URL and not policy.redirect_url:
        raise InvalidInput("A REDIRECT_TO_URL policy needs redirect_url.")
    if policy.action is L7Action.REDIRECT_PREFIX and not policy.redirect_prefix:
        raise InvalidInput("A REDIRECT_PREFIX policy needs redirect_prefix.")
    for field in ("redirect_url", "redirect_prefix"):
        value = getattr(policy, field)
        if value is not None and (line_fault(value) or not full_match(_URL, value)):
            raise InvalidInput(
                f"Invalid input for field/attribute {field}. Value: '{quote(value)}'. "
                "Value should be an http or https URL without spaces or control characters."
            )
    if policy.redirect_http_code is not None and policy.redirect_http_code not in REDIRECT_CODES:
        raise InvalidInput(
            f"Invalid input for field/attribute redirect_http_code. Value: "
            f"'{policy.redirect_http_code}'. Value should be one of "
            f"{', '.join(str(c) for c in REDIRECT_CODES)}"
        )


def normalize(policy: L7Policy) -> L7Policy:
    """Clear the fields that do not belong to the action (Octavia's sanitize step)."""
    a = policy.action
    return replace(
        policy,
        redirect_pool_id=policy.redirect_pool_id if a is L7Action.REDIRECT_TO_POOL else None,
        redirect_url=policy.redirect_url if a is L7Action.REDIRECT_TO_URL else None,
        redirect_prefix=policy.redirect_prefix if a is L7Action.REDIRECT_PREFIX else None,
        redirect_http_code=(
            (policy.redirect_http_code or 302)
            if a in (L7Action.REDIRECT_TO_URL, L7Action.REDIRECT_PREFIX)
            else None
        ),
    )
