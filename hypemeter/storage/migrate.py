"""Schema migrations (Alembic), applied by the service at start and by ``hypemeter db upgrade``."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine

from hypemeter.errors import StorageUnavailableError
from hypemeter.storage.engine import UNAVAILABLE, translated_errors

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Alembic's `context` is module-global, so one process runs one migration at a time; across
# processes the migration's own transaction lock (see migrations/env.py) takes over.
_PROCESS_LOCK = threading.Lock()


def _config():  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with translated_errors(), engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, statement_seconds: float | None = None) -> str:
    """Bring the schema to the newest revision (a no-op when it is there); returns it.
    ``statement_seconds``: PostgreSQL's statement timeout during the migration (the
    connection's own, :mod:`hypemeter.storage.postgres`, comes back after)."""
    from alembic import command
    from alembic.util import CommandError

    cfg = _config()
    try:
        with _PROCESS_LOCK, translated_errors(), engine.connect() as conn:
            postgres = engine.dialect.name == "postgresql" and statement_seconds is not None
            if postgres:
                conn.exec_driver_sql(
                    f"SET statement_timeout = {int((statement_seconds or 0) * 1000)}"
                )
                conn.commit()  # the session keeps the setting; the migration begins its own
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            if postgres:
                conn.exec_driver_sql("RESET statement_timeout")
                conn.commit()
    except CommandError as exc:  # e.g. a schema revision from a newer hypemeter
        raise StorageUnavailableError(UNAVAILABLE, reason=f"schema migration: {exc}") from None
    return head_revision()
