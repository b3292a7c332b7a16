"""The detected language of a correction (issue 24): corrections in a language the model does
not read are kept, and training leaves them out.

Revision ID: 0003_feedback_language
Revises: 0002_profiles
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_feedback_language"
down_revision = "0002_profiles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # null for the corrections stored before detection existed
    op.add_column("feedback", sa.Column("language", sa.String(8)))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("language")
