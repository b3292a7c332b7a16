"""The SQLAlchemy models (the schema itself is created by the Alembic migrations)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
)
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
    profile: Mapped[str | None] = mapped_column(String(64))  # None: the shared model's
    # detected when stored ("und": too short to tell); None for rows stored before that
    language: Mapped[str | None] = mapped_column(String(8))

    __table_args__ = (
        Index("ix_feedback_created_at_id", "created_at", "id"),
        Index("ix_feedback_model_version", "model_version"),
        Index("ix_feedback_profile_created_at", "profile", "created_at"),
    )


class ProfileRow(Base):
    """A named adaptation of the shipped model (see :mod:`hypemeter.storage.profiles`)."""

    __tablename__ = "profiles"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    adapter_version: Mapped[int | None] = mapped_column(Integer)


class ProfileKeyRow(Base):
    """A key scoped to one profile; only the SHA-256 of the key is stored."""

    __tablename__ = "profile_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    profile: Mapped[str] = mapped_column(
        String(64), ForeignKey("profiles.name", ondelete="CASCADE"), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class ProfileAdapterRow(Base):
    """One fitted adapter: JSON text and an ``.npz`` of plain arrays (never a pickle), with
    the SHA-256 of both."""

    __tablename__ = "profile_adapters"

    profile: Mapped[str] = mapped_column(
        String(64), ForeignKey("profiles.name", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    base_model_version: Mapped[str] = mapped_column(String(128), nullable=False)
    meta: Mapped[str] = mapped_column(Text, nullable=False)
    arrays: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    checksum: Mapped[str] = mapped_column(String(64), nullable=False)


class ProfileFitLeaseRow(Base):
    """A profile's fit state: refits requested and done, and who holds the fit lease."""

    __tablename__ = "profile_fit_leases"

    profile: Mapped[str] = mapped_column(
        String(64), ForeignKey("profiles.name", ondelete="CASCADE"), primary_key=True)
    requested: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fitted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    fits: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    holder: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProfileModelAdapterRow(Base):
    """A profile's state on one base model: the refit requests its fits covered and its
    active adapter version there (None: none, or none beat the base scores)."""

    __tablename__ = "profile_model_adapters"

    profile: Mapped[str] = mapped_column(
        String(64), ForeignKey("profiles.name", ondelete="CASCADE"), primary_key=True)
    base_model_version: Mapped[str] = mapped_column(String(128), primary_key=True)
    fitted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    adapter_version: Mapped[int | None] = mapped_column(Integer)


class KeyFailureRow(Base):
    """One wrong API key from one client address (see :mod:`hypemeter.storage.key_failures`)."""

    __tablename__ = "key_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64), nullable=False)
    failed_at: Mapped[float] = mapped_column(Float, nullable=False)  # seconds since the epoch

    __table_args__ = (
        Index("ix_key_failures_client_failed_at", "client", "failed_at"),
        Index("ix_key_failures_failed_at", "failed_at"),
    )
