"""Profiles: named adaptations of the shipped model, their scoped keys, adapters and fit state,
and the profile a correction belongs to.

Revision ID: 0002_profiles
Revises: 0001_feedback
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_profiles"
down_revision = "0001_feedback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("description", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        # the active adapter (None: none fitted, or the last fit did not beat the base)
        sa.Column("adapter_version", sa.Integer()),
    )
    op.create_table(
        "profile_keys",
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("profile", sa.String(64),
                  sa.ForeignKey("profiles.name", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('score', 'correct')", name="ck_profile_keys_role"),
    )
    op.create_index("ix_profile_keys_key_hash", "profile_keys", ["key_hash"], unique=True)
    op.create_index("ix_profile_keys_profile", "profile_keys", ["profile"])
    op.create_table(
        "profile_adapters",
        sa.Column("profile", sa.String(64),
                  sa.ForeignKey("profiles.name", ondelete="CASCADE"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("base_model_version", sa.String(128), nullable=False),
        sa.Column("meta", sa.Text(), nullable=False),  # JSON text, as checksummed
        sa.Column("arrays", sa.LargeBinary(), nullable=False),  # .npz, loaded allow_pickle=False
        sa.Column("checksum", sa.String(64), nullable=False),  # sha256 of meta + arrays
    )
    op.create_table(
        "profile_fit_leases",
        sa.Column("profile", sa.String(64),
                  sa.ForeignKey("profiles.name", ondelete="CASCADE"), primary_key=True),
        sa.Column("requested", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("requested_at", sa.DateTime(timezone=True)),
        sa.Column("pending_since", sa.DateTime(timezone=True)),
        sa.Column("fitted", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("fits", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("holder", sa.String(64)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
    )
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("profile", sa.String(64)))
        batch.create_index("ix_feedback_profile_created_at", ["profile", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_index("ix_feedback_profile_created_at")
        batch.drop_column("profile")
    op.drop_table("profile_fit_leases")
    op.drop_table("profile_adapters")
    op.drop_index("ix_profile_keys_profile", table_name="profile_keys")
    op.drop_index("ix_profile_keys_key_hash", table_name="profile_keys")
    op.drop_table("profile_keys")
    op.drop_table("profiles")
