"""``hypemeter db upgrade`` and ``hypemeter feedback export`` with typed arguments (the CLI,
:mod:`hypemeter.cli.db`, parses; this runs)."""

from __future__ import annotations

import sys

from hypemeter.errors import StorageUnavailableError
from hypemeter.storage.engine import safe_text
from hypemeter.storage.export import export_feedback
from hypemeter.storage.records import parse_time
from hypemeter.storage.store import FeedbackStore


def with_reason(exc: StorageUnavailableError) -> StorageUnavailableError:
    """The CLI runs where the database is configured: show the driver's reason too."""
    if exc.reason and exc.reason not in exc.message:
        exc.message = f"{exc.message.split(';')[0]}: {exc.reason}"
    return exc


def db_upgrade(database: str | None) -> int:
    """Create or migrate the schema at ``database`` (None: the configured default)."""
    store = FeedbackStore(database)
    try:
        revision = store.upgrade(patient=True)
    except StorageUnavailableError as exc:
        raise with_reason(exc) from exc
    finally:
        store.close()
    print(f"{safe_text(store.url)}: schema at revision {revision}", file=sys.stderr)
    return 0


def feedback_export(database: str | None, *, since: str | None = None,
                    output: str | None = None, profile: str | None = None) -> int:
    """Write the corrections from ``since`` (ISO-8601 text) on to ``output`` (None or ``-``:
    stdout) as own-data JSONL."""
    since_time = parse_time(since, "--since") if since else None
    store = FeedbackStore(database)
    try:
        n = export_feedback(store, output, since=since_time, profile=profile)
    except StorageUnavailableError as exc:
        raise with_reason(exc) from exc
    finally:
        store.close()
    where = "stdout" if output in (None, "-") else output
    print(f"exported {n} correction(s) to {where}", file=sys.stderr)
    return 0
