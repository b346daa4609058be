"""tokens: room for Octavia's legacy role names

Revision ID: 0006
Revises: 0002
Create Date: 2026-12-04 03:00:00

``livia token create --role`` takes every role the policy knows, Octavia's
legacy ``load-balancer_global_observer`` (29 characters) included; the
column held 16. The downgrade narrows it again and fails if a longer role
is stored by then.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=sa.String(16), type_=sa.String(64),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=sa.String(64), type_=sa.String(16),
                              existing_nullable=False)
