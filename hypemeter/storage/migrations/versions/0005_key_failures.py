"""Wrong API keys per client, shared by every worker and replica (issue 22, audit 8): one row
per wrong key, counted over a sliding window and deleted once out of it.

Revision ID: 0005_key_failures
Revises: 0004_profile_model_adapters
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_key_failures"
down_revision = "0004_profile_model_adapters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("failed_at", sa.Float, nullable=False),  # seconds since the epoch
    )
    op.create_index("ix_key_failures_client_failed_at", "key_failures", ["client", "failed_at"])
    op.create_index("ix_key_failures_failed_at", "key_failures", ["failed_at"])


def downgrade() -> None:
    op.drop_table("key_failures")
