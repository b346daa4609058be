"""L7 policy request and response schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from livia.api.schemas.fields import Body, Name, NotNull, Out, ProjectId, Tags, Url, Uuid
from livia.api.schemas.l7rules import L7RuleCreate
from livia.api.schemas.pools import PoolSingleCreate, count_pool
from livia.domain import limits
from livia.domain.l7policies import MAX_POSITION, L7Action


class L7PolicyFields(Body):
    name: Name | None = None
    description: Name | None = None
    admin_state_up: bool = True
    action: L7Action
    position: int = Field(MAX_POSITION, ge=1, le=MAX_POSITION)
    redirect_pool_id: Uuid | None = None
    redirect_url: Url | None = None
    redirect_prefix: Url | None = None
    redirect_http_code: int | None = None
    rules: Annotated[list[L7RuleCreate], Field(max_length=limits.MAX_GRAPH_OBJECTS)] = []
    tags: Tags = []
    project_id: ProjectId | None = None
    tenant_id: ProjectId | None = None


class L7PolicyCreate(L7PolicyFields):
    listener_id: Uuid


class L7PolicySingleCreate(L7PolicyFields):
    redirect_pool: PoolSingleCreate | None = None

    def count_objects(self) -> int:
        """What this policy adds to a fully populated create: itself, its rules and pool."""
        pool = count_pool(self.redirect_pool) if self.redirect_pool is not None else 0
        return 1 + len(self.rules) + pool


class L7PolicyUpdate(Body):
    name: Name | None = None
    description: Name | None = None
    admin_state_up: bool | None = None
    action: Annotated[L7Action | None, NotNull] = None
    position: Annotated[int | None, NotNull] = Field(None, ge=1, le=MAX_POSITION)
    redirect_pool_id: Uuid | None = None
    redirect_url: Url | None = None
    redirect_prefix: Url | None = None
    redirect_http_code: int | None = None
    tags: Tags | None = None


class L7PolicyCreateBody(Body):
    l7policy: L7PolicyCreate


class L7PolicyUpdateBody(Body):
    l7policy: L7PolicyUpdate


class L7PolicyOut(Out):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    admin_state_up: bool | None = None
    listener_id: str | None = None
    action: str | None = None
    position: int | None = None
    redirect_pool_id: str | None = None
    redirect_url: str | None = None
    redirect_prefix: str | None = None
    redirect_http_code: int | None = None
    rules: list[dict[str, str]] | None = None
    project_id: str | None = None
    provisioning_status: str | None = None
    operating_status: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    tags: list[str] | None = None


class L7PolicyOne(Out):
    l7policy: L7PolicyOut


class L7PolicyMany(Out):
    l7policies: list[L7PolicyOut]
    l7policies_links: list[dict[str, str]]
