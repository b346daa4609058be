"""flavors, flavor profiles, availability zones and their profiles

Revision ID: 0005
Revises: 0006
Create Date: 2026-12-04 03:30:00

Four tables (``flavor_profiles``, ``flavors``, ``availability_zone_profiles``,
``availability_zones``, the last keyed by name) and the load balancer's
snapshot of its flavor's data-plane keys (``loadbalancers.flavor_options``,
JSON; NULL for the load balancers that exist already: they keep Livia's
defaults). The downgrade drops them, flavors and zones included.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flavor_profiles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("provider_name", sa.String(length=64), nullable=False),
        sa.Column("flavor_data", sa.String(length=4096), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flavor_profiles")),
    )
    op.create_table(
        "flavors",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("flavor_profile_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["flavor_profile_id"], ["flavor_profiles.id"],
                                name=op.f("fk_flavors_flavor_profile_id_flavor_profiles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flavors")),
        sa.UniqueConstraint("name", name=op.f("uq_flavors_name")),
    )
    op.create_index(op.f("ix_flavors_flavor_profile_id"), "flavors", ["flavor_profile_id"])
    op.create_table(
        "availability_zone_profiles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("provider_name", sa.String(length=64), nullable=False),
        sa.Column("availability_zone_data", sa.String(length=4096), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_zone_profiles")),
    )
    op.create_table(
        "availability_zones",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("availability_zone_profile_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["availability_zone_profile_id"], ["availability_zone_profiles.id"],
            name=op.f("fk_availability_zones_availability_zone_profile_id_"
                      "availability_zone_profiles")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_availability_zones")),
    )
    op.create_index(op.f("ix_availability_zones_availability_zone_profile_id"),
                    "availability_zones", ["availability_zone_profile_id"])
    with op.batch_alter_table("loadbalancers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flavor_options", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("loadbalancers", schema=None) as batch_op:
        batch_op.drop_column("flavor_options")
    op.drop_index(op.f("ix_availability_zones_availability_zone_profile_id"),
                  table_name="availability_zones")
    op.drop_table("availability_zones")
    op.drop_table("availability_zone_profiles")
    op.drop_index(op.f("ix_flavors_flavor_profile_id"), table_name="flavors")
    op.drop_table("flavors")
    op.drop_table("flavor_profiles")
