"""L7 rules: the conditions of an L7 policy, ANDed, each becoming one HAProxy ACL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from livia.domain.status import OperatingStatus, ProvisioningStatus


class L7RuleType(StrEnum):
    HOST_NAME = "HOST_NAME"
    PATH = "PATH"
    FILE_TYPE = "FILE_TYPE"
    HEADER = "HEADER"
    COOKIE = "COOKIE"
    SSL_CONN_HAS_CERT = "SSL_CONN_HAS_CERT"
    SSL_VERIFY_RESULT = "SSL_VERIFY_RESULT"
    SSL_DN_FIELD = "SSL_DN_FIELD"


class CompareType(StrEnum):
    REGEX = "REGEX"
    STARTS_WITH = "STARTS_WITH"
    ENDS_WITH = "ENDS_WITH"
    CONTAINS = "CONTAINS"
    EQUAL_TO = "EQUAL_TO"


MAX_RULES_PER_POLICY = 50


@dataclass(frozen=True, slots=True)
class L7Rule:
    id: str
    project_id: str
    l7policy_id: str
    type: L7RuleType
    compare_type: CompareType
    key: str | None
    value: str
    invert: bool
    admin_state_up: bool
    provisioning_status: ProvisioningStatus
    operating_status: OperatingStatus
    created_at: datetime
    updated_at: datetime | None
    tags: tuple[str, ...] = ()
