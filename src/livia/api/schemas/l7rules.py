"""L7 rule request and response schemas."""

from __future__ import annotations

from pydantic import Field

from livia.api.schemas.fields import Body, Out, ProjectId, Tags
from livia.domain import limits
from livia.domain.l7rules import CompareType, L7RuleType


class L7RuleCreate(Body):
    type: L7RuleType
    compare_type: CompareType
    key: str | None = Field(None, max_length=limits.L7_VALUE_LENGTH)
    value: str = Field(max_length=limits.L7_VALUE_LENGTH)
    invert: bool = False
    admin_state_up: bool = True
    tags: Tags = []
    project_id: ProjectId | None = None
    tenant_id: ProjectId | None = None


class L7RuleUpdate(Body):
    type: L7RuleType | None = None
    compare_type: CompareType | None = None
    key: str | None = Field(None, max_length=limits.L7_VALUE_LENGTH)
    value: str | None = Field(None, max_length=limits.L7_VALUE_LENGTH)
    invert: bool | None = None
    admin_state_up: bool | None = None
    tags: Tags | None = None


class L7RuleCreateBody(Body):
    rule: L7RuleCreate


class L7RuleUpdateBody(Body):
    rule: L7RuleUpdate


class L7RuleOut(Out):
    id: str | None = None
    type: str | None = None
    compare_type: str | None = None
    key: str | None = None
    value: str | None = None
    invert: bool | None = None
    admin_state_up: bool | None = None
    project_id: str | None = None
    provisioning_status: str | None = None
    operating_status: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    tags: list[str] | None = None


class L7RuleOne(Out):
    rule: L7RuleOut


class L7RuleMany(Out):
    rules: list[L7RuleOut]
    rules_links: list[dict[str, str]]
