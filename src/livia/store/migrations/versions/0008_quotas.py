"""quotas: a project's overrides of the default quotas

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 04:10:00

One row per project that has overrides, or whose quota row was locked for a
create (a row of nulls: every default). The downgrade drops them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

RESOURCES = ("loadbalancer", "listener", "pool", "member", "healthmonitor", "l7policy",
             "l7rule")


def upgrade() -> None:
    op.create_table(
        "quotas",
        sa.Column("project_id", sa.String(255), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=True) for name in RESOURCES),
        sa.PrimaryKeyConstraint("project_id", name="pk_quotas"),
    )


def downgrade() -> None:
    op.drop_table("quotas")
