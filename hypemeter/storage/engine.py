"""Which database, and how to talk to it.

``HYPEMETER_DATABASE_URL`` names the database (any SQLAlchemy URL; ``postgresql://`` and
``postgres://`` mean PostgreSQL through psycopg 3). Unset, it is a SQLite file
``feedback.db`` in the user data folder (:func:`default_data_folder`), created on first use.

SQLite runs in WAL mode with a busy timeout; every write transaction starts with
``BEGIN IMMEDIATE`` so two processes writing at once queue for the lock instead of failing with
"database is locked" (which a deferred transaction that reads first can do). ``synchronous``
is ``NORMAL``, SQLite's advice for WAL: a commit is in the WAL file (the operating system's
cache) before the request is acknowledged, so a killed server loses nothing acknowledged; only
a power cut or an operating-system crash can lose the last commits. A commit costs about
0.1 ms instead of an fsync (about 3 ms here), which keeps two busy workers from queueing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from hypemeter.errors import DataError, StorageUnavailableError
from hypemeter.settings import core_settings
from hypemeter.storage.deadline import DEFAULT_TIMEOUT_SECONDS

ENV_VAR = "HYPEMETER_DATABASE_URL"
APP_NAME = "hypemeter"
DEFAULT_FILENAME = "feedback.db"
SQLITE_BUSY_SECONDS = 30
SUPPORTED_BACKENDS = ("sqlite", "postgresql")  # the two the tests run against
UNAVAILABLE = "the feedback database is unavailable; try again later (scoring is unaffected)"


def default_data_folder() -> Path:
    """The user data folder (``~/.local/share/hypemeter`` on Linux, platformdirs' choice
    elsewhere)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def default_database_url() -> str:
    return f"sqlite:///{default_data_folder() / DEFAULT_FILENAME}"


def resolve_url(url: str | None = None) -> URL:
    """``url``, else ``$HYPEMETER_DATABASE_URL``, else the default SQLite file; as a URL."""
    text = (url or "").strip() or (core_settings().database_url or "").strip() \
        or default_database_url()
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise DataError(
            f"not a database URL: {safe_text(text)!r} (expected e.g. sqlite:///path/feedback.db "
            "or postgresql+psycopg://user:password@host/dbname)"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise DataError(
            f"unsupported database {safe_text(parsed)!r}: use sqlite:///PATH or "
            "postgresql+psycopg://user:password@host/dbname"
        )
    return parsed


def safe_text(url: str | URL) -> str:
    """The URL with its password hidden (for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def sqlite_file(url: URL) -> Path | None:
    """The file a SQLite URL points at (None for in-memory databases and other backends)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):
        return None
    return Path(url.database)


def database_timeout(timeout: float | None = None) -> float:
    """``timeout``, else ``$HYPEMETER_DATABASE_TIMEOUT``, else 5 seconds."""
    if timeout is not None:
        return timeout
    configured = core_settings().database_timeout
    if configured is not None and configured <= 0:
        raise DataError("HYPEMETER_DATABASE_TIMEOUT must be a number of seconds above 0")
    return configured or DEFAULT_TIMEOUT_SECONDS


def make_engine(url: URL, timeout: float | None = None) -> Engine:
    """An engine for ``url``; the SQLite folder is created here (first use). On PostgreSQL
    every call to the server ends within ``timeout`` seconds (:func:`database_timeout`)."""
    backend = url.get_backend_name()
    timeout = database_timeout(timeout)
    kwargs: dict[str, Any] = {"pool_timeout": timeout}
    if backend == "sqlite":
        path = sqlite_file(url)
        if path is not None:
            try:
                path.expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageUnavailableError(
                    UNAVAILABLE, reason=f"cannot create the folder {path.parent}: {exc}"
                ) from exc
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_SECONDS}
    elif backend == "postgresql":
        from hypemeter.storage.postgres import connect_args

        options = url.query.get("options")
        kwargs["connect_args"] = connect_args(
            timeout, options if isinstance(options, str) else None
        )
        kwargs["pool_pre_ping"] = True  # a restarted server leaves dead pooled connections
    try:
        engine = create_engine(url, **kwargs)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise DataError(
            f"unsupported database URL {safe_text(url)!r}: {exc} (use sqlite:/// or "
            "postgresql+psycopg://)"
        ) from None
    if backend == "sqlite":
        _tune_sqlite(engine)
    elif backend == "postgresql":
        _bound_postgres(engine, timeout)
    return engine


def _bound_postgres(engine: Engine, timeout: float) -> None:
    """Connections whose every wait for the server ends in time (:mod:`.postgres`)."""
    from hypemeter.storage.postgres import bounded_connect

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        return bounded_connect(timeout, cargs, cparams)


def _tune_sqlite(engine: Engine) -> None:
    """WAL, busy timeout, NORMAL sync; transactions begin IMMEDIATE unless read-only."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_SECONDS * 1000}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA foreign_keys = ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get("hypemeter_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def unavailable(exc: BaseException) -> StorageUnavailableError:
    """A driver or pool error as the project's 503 error (the reason keeps the driver's words)."""
    orig = getattr(exc, "orig", None) or exc
    reason = str(orig).strip().splitlines()[0][:300] if str(orig).strip() else type(orig).__name__
    return StorageUnavailableError(UNAVAILABLE, reason=reason)


# Errors that mean "the database cannot be used right now", as opposed to a bug in a query.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (DBAPIError, PoolTimeoutError, OSError)


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn connection and driver errors into :class:`StorageUnavailableError`."""
    try:
        yield
    except UNAVAILABLE_ERRORS as exc:
        raise unavailable(exc) from exc
    except SQLAlchemyError as exc:
        raise unavailable(exc) from exc
