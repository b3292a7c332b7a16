"""The feedback table.

Revision ID: 0001_feedback
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_feedback"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("article_id", sa.String(256)),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sensational", sa.SmallInteger()),
        sa.Column("misinformation", sa.SmallInteger()),
        sa.Column("spans", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(128)),
        sa.Column("note", sa.Text()),
        sa.CheckConstraint("sensational IN (0, 1)", name="ck_feedback_sensational"),
        sa.CheckConstraint("misinformation IN (0, 1)", name="ck_feedback_misinformation"),
    )
    op.create_index("ix_feedback_created_at_id", "feedback", ["created_at", "id"])
    op.create_index("ix_feedback_model_version", "feedback", ["model_version"])


def downgrade() -> None:
    op.drop_index("ix_feedback_model_version", table_name="feedback")
    op.drop_index("ix_feedback_created_at_id", table_name="feedback")
    op.drop_table("feedback")
