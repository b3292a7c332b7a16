"""Adapters keyed by base model version: replicas serving different base models on one
database each fit, activate and serve the adapters of their own base model, and never refit
(or switch off) each other's.

One row per (profile, base model version): the refit requests that model's fits covered
(``fitted``) and its active adapter version (null: none beats the base scores). Existing
profiles get the row of the model their newest adapter was fitted on.

Revision ID: 0004_profile_model_adapters
Revises: 0003_feedback_language
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_profile_model_adapters"
down_revision = "0003_feedback_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profile_model_adapters",
        sa.Column("profile", sa.String(64),
                  sa.ForeignKey("profiles.name", ondelete="CASCADE"), primary_key=True),
        sa.Column("base_model_version", sa.String(128), primary_key=True),
        sa.Column("fitted", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("adapter_version", sa.Integer()),
    )
    # profiles.adapter_version is the newest adapter's version when it was activated, else
    # null: that is the state of the newest adapter's base model
    op.execute(
        "INSERT INTO profile_model_adapters (profile, base_model_version, fitted, "
        "adapter_version) "
        "SELECT a.profile, a.base_model_version, l.fitted, p.adapter_version "
        "FROM profile_adapters a JOIN profiles p ON p.name = a.profile "
        "JOIN profile_fit_leases l ON l.profile = a.profile "
        "WHERE a.version = (SELECT max(b.version) FROM profile_adapters b "
        "WHERE b.profile = a.profile)"
    )


def downgrade() -> None:
    op.drop_table("profile_model_adapters")
