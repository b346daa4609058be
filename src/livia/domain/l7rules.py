"""L7 rules: the conditions of an L7 policy, ANDed, each becoming one HAProxy ACL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from livia.domain.errors import InvalidInput
from livia.domain.limits import quote
from livia.domain.regex import check_haproxy_regex
from livia.domain.status import OperatingStatus, ProvisioningStatus
from livia.domain.text import check_line, full_match, is_http_token


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


_DN_FIELD = re.compile(r"[a-zA-Z][A-Za-z0-9-]*")
# An OpenSSL verify result: a small non-negative integer, in ASCII digits only.
_DIGITS = re.compile(r"[0-9]{1,9}")


def check(rule: L7Rule) -> None:
    """Octavia's rules for an L7 rule, on the rule as it will be stored (and rendered)."""
    check_line(rule.value, "value")
    if rule.key is not None:
        check_line(rule.key, "key")
    t, c = rule.type, rule.compare_type
    if t in (L7RuleType.HEADER, L7RuleType.COOKIE):
        if not rule.key:
            raise InvalidInput(f"L7 rule type {t} needs a key.")
        if not is_http_token(rule.key):
            raise InvalidInput(f"Invalid key for L7 rule type {t}: '{quote(rule.key)}'. "
                               "Header and cookie names are HTTP tokens without ' # $ or `.")
    elif t is L7RuleType.SSL_DN_FIELD:
        if not rule.key or not full_match(_DN_FIELD, rule.key):
            raise InvalidInput("L7 rule type SSL_DN_FIELD needs a key naming a DN field.")
    elif rule.key:
        raise InvalidInput(f"L7 rule type {t} does not take a key.")
    if t is L7RuleType.FILE_TYPE and c not in (CompareType.REGEX, CompareType.EQUAL_TO):
        raise InvalidInput("L7 rule type FILE_TYPE only takes compare types REGEX or EQUAL_TO.")
    if t is L7RuleType.SSL_CONN_HAS_CERT and (c is not CompareType.EQUAL_TO
                                              or rule.value != "true"):
        raise InvalidInput("L7 rule type SSL_CONN_HAS_CERT takes EQUAL_TO and the value 'true'.")
    if t is L7RuleType.SSL_VERIFY_RESULT and (c is not CompareType.EQUAL_TO
                                              or not full_match(_DIGITS, rule.value)):
        raise InvalidInput(
            "L7 rule type SSL_VERIFY_RESULT takes EQUAL_TO and a non-negative integer."
        )
    if c is CompareType.REGEX:
        check_haproxy_regex(rule.value, "value", caseless=t is L7RuleType.HOST_NAME)
