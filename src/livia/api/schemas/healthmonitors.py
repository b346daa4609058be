"""Health monitor request and response schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from livia.api.schemas.fields import Body, Name, NotNull, Out, ProjectId, Tags, Uuid
from livia.domain import limits
from livia.domain.healthmonitors import HttpMethod, MonitorType

MAX_INT = 2**31 - 1


class HealthMonitorFields(Body):
    name: Name | None = None
    admin_state_up: bool = True
    type: MonitorType
    delay: int = Field(ge=0, le=MAX_INT)
    timeout: int = Field(ge=0, le=MAX_INT)
    max_retries: int = Field(ge=1, le=10)
    max_retries_down: int = Field(3, ge=1, le=10)
    http_method: HttpMethod | None = None
    url_path: str | None = Field(None, max_length=limits.URL_LENGTH)
    expected_codes: str | None = Field(None, max_length=limits.EXPECTED_CODES_LENGTH)
    http_version: float | None = None
    domain_name: str | None = Field(None, max_length=limits.DOMAIN_NAME_LENGTH)
    tags: Tags = []
    project_id: ProjectId | None = None
    tenant_id: ProjectId | None = None


class HealthMonitorCreate(HealthMonitorFields):
    pool_id: Uuid


class HealthMonitorSingleCreate(HealthMonitorFields):
    """A monitor inside a pool of a single-call load balancer create."""


class HealthMonitorUpdate(Body):
    name: Name | None = None
    admin_state_up: bool | None = None
    delay: Annotated[int | None, NotNull] = Field(None, ge=0, le=MAX_INT)
    timeout: Annotated[int | None, NotNull] = Field(None, ge=0, le=MAX_INT)
    max_retries: Annotated[int | None, NotNull] = Field(None, ge=1, le=10)
    max_retries_down: int | None = Field(None, ge=1, le=10)
    http_method: HttpMethod | None = None
    url_path: str | None = Field(None, max_length=limits.URL_LENGTH)
    expected_codes: str | None = Field(None, max_length=limits.EXPECTED_CODES_LENGTH)
    http_version: float | None = None
    domain_name: str | None = Field(None, max_length=limits.DOMAIN_NAME_LENGTH)
    tags: Tags | None = None


class HealthMonitorCreateBody(Body):
    healthmonitor: HealthMonitorCreate


class HealthMonitorUpdateBody(Body):
    healthmonitor: HealthMonitorUpdate


class HealthMonitorOut(Out):
    id: str | None = None
    name: str | None = None
    type: str | None = None
    delay: int | None = None
    timeout: int | None = None
    max_retries: int | None = None
    max_retries_down: int | None = None
    http_method: str | None = None
    url_path: str | None = None
    expected_codes: str | None = None
    http_version: float | None = None
    domain_name: str | None = None
    admin_state_up: bool | None = None
    project_id: str | None = None
    pools: list[dict[str, str]] | None = None
    provisioning_status: str | None = None
    operating_status: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    tags: list[str] | None = None


class HealthMonitorOne(Out):
    healthmonitor: HealthMonitorOut


class HealthMonitorMany(Out):
    healthmonitors: list[HealthMonitorOut]
    healthmonitors_links: list[dict[str, str]]
