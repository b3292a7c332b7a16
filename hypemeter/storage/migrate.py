"""Schema migrations (Alembic), applied by the service at start and by ``hypemeter db upgrade``.

A database already at the newest revision (every start but the first after an upgrade of
hypemeter) is told apart with one ``SELECT`` on Alembic's version table, against the head read
from the migration files: Alembic (about a tenth of a second to import, with Mako) is imported
and run only when there is something to migrate.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

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


_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(?:None|[\"']([^\"']+)[\"'])",
                       re.MULTILINE)


@cache
def head_revision() -> str:
    """The newest revision: the one no migration names as its ``down_revision`` (read from
    the files in ``migrations/versions``; the tests check it against Alembic's own answer)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            if value:
                (revisions if kind == "revision" else parents).add(value)
    heads = revisions - parents
    if len(heads) != 1:  # pragma: no cover - the migrations form one line
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def _at_head(conn: Connection, head: str) -> bool:
    """Whether the schema is at ``head`` already (one query; a database without Alembic's
    table, or any error, is "no": the migration that follows decides). Ends the transaction
    the query began, so the migration can begin its own."""
    try:
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
    except DBAPIError:
        rows = []
    conn.rollback()
    return [tuple(row) for row in rows] == [(head,)]


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with translated_errors(), engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, statement_seconds: float | None = None) -> str:
    """Bring the schema to the newest revision (a no-op when it is there); returns it.
    ``statement_seconds``: PostgreSQL's statement timeout during the migration (the
    connection's own, :mod:`hypemeter.storage.postgres`, comes back after)."""
    head = head_revision()
    try:
        with _PROCESS_LOCK, translated_errors(), engine.connect() as conn:
            if _at_head(conn, head):
                return head
            from alembic import command

            cfg = _config()
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
    except Exception as exc:
        from alembic.util import CommandError

        if not isinstance(exc, CommandError):
            raise
        # e.g. a schema revision from a newer hypemeter
        raise StorageUnavailableError(UNAVAILABLE, reason=f"schema migration: {exc}") from None
    return head
