"""Alembic environment: run the migrations on the connection that
:func:`hypemeter.storage.migrate.upgrade` passes in ``config.attributes["connection"]``.

Migrations run inside one transaction that first takes a lock (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: an advisory lock), so several workers starting at once upgrade the schema once.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from hypemeter.storage.tables import Base

MIGRATION_LOCK_KEY = 7_274_361_901  # any constant; shared by every hypemeter process

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the programmatic entry point is supported
    raise RuntimeError("run migrations with `hypemeter db upgrade`")

with connection.begin():
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        transactional_ddl=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
