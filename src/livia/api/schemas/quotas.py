"""Quota bodies: Octavia's field names and the deprecated ``load_balancer``/``health_monitor``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from livia.api.schemas.fields import Body, Out
from livia.domain.quotas import MAX_QUOTA, UNLIMITED

Limit = Annotated[int | None, Field(ge=UNLIMITED, le=MAX_QUOTA)]


class QuotaUpdate(Body):
    """null (or absent) leaves a value; -1 is unlimited."""

    loadbalancer: Limit = None
    load_balancer: Limit = None
    listener: Limit = None
    pool: Limit = None
    member: Limit = None
    healthmonitor: Limit = None
    health_monitor: Limit = None
    l7policy: Limit = None
    l7rule: Limit = None


class QuotaUpdateBody(Body):
    quota: QuotaUpdate


class QuotaOne(Out):
    quota: dict[str, object]


class QuotaMany(Out):
    quotas: list[dict[str, object]]
    quotas_links: list[dict[str, object]]
