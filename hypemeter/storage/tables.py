"""The SQLAlchemy models (the schema itself is created by the Alembic migrations)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, SmallInteger, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite (no time zones) stores naive UTC text."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class FeedbackRow(Base):
    """One correction: the article as the user saw it, their labels and span verdicts."""

    __tablename__ = "feedback"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    article_id: Mapped[str | None] = mapped_column(String(256))
    headline: Mapped[str] = mapped_column(Text, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    sensational: Mapped[int | None] = mapped_column(SmallInteger)
    misinformation: Mapped[int | None] = mapped_column(SmallInteger)
    spans: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    model_version: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    # detected when stored ("und": too short to tell); None for rows stored before that
    language: Mapped[str | None] = mapped_column(String(8))

    __table_args__ = (
        Index("ix_feedback_created_at_id", "created_at", "id"),
        Index("ix_feedback_model_version", "model_version"),
    )
