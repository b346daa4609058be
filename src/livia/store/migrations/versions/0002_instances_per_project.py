"""instances: names unique per project; confined instances and their uid

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 17:30:00

Instance names were unique across projects (one project learnt, and could
squat, another's names); they are unique within a project now. A project's
instance runs confined as a uid of its own: ``confined`` and ``uid`` record
it. Instances that exist already were started unconfined and stay so
(``confined`` false) until they are created again.

The downgrade restores the global uniqueness of names: it fails if two
projects use one name by then.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confined", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("uid", sa.Integer(), nullable=True))
        batch_op.drop_constraint("uq_instances_name", type_="unique")
        batch_op.create_unique_constraint("uq_instances_project_name", ["project_id", "name"])
        batch_op.create_unique_constraint("uq_instances_uid", ["uid"])


def downgrade() -> None:
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_constraint("uq_instances_uid", type_="unique")
        batch_op.drop_constraint("uq_instances_project_name", type_="unique")
        batch_op.create_unique_constraint("uq_instances_name", ["name"])
        batch_op.drop_column("uid")
        batch_op.drop_column("confined")
