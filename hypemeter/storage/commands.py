"""``hypemeter db upgrade`` and ``hypemeter feedback export`` (the CLI parses, this runs)."""

from __future__ import annotations

import argparse
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


def db_upgrade_command(args: argparse.Namespace) -> int:
    store = FeedbackStore(args.database)
    try:
        revision = store.upgrade()
    except StorageUnavailableError as exc:
        raise with_reason(exc) from exc
    finally:
        store.close()
    print(f"{safe_text(store.url)}: schema at revision {revision}", file=sys.stderr)
    return 0


def feedback_export_command(args: argparse.Namespace) -> int:
    since = parse_time(args.since, "--since") if args.since else None
    store = FeedbackStore(args.database)
    try:
        n = export_feedback(store, args.output, since=since)
    except StorageUnavailableError as exc:
        raise with_reason(exc) from exc
    finally:
        store.close()
    where = "stdout" if args.output in (None, "-") else args.output
    print(f"exported {n} correction(s) to {where}", file=sys.stderr)
    return 0
