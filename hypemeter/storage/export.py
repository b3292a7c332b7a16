"""Feedback as own-data JSONL: ``hypemeter feedback export`` and ``hypemeter train --feedback``.

One line per correction, oldest first::

    {"id", "feedback_id", "headline", "body", "sensational"?, "misinformation"?, "spans"?,
     "created_at", "model_version"?}

``id`` is the article id the client sent (null when none), ``feedback_id`` the correction's own
id (:meth:`~hypemeter.storage.records.Feedback.to_export`).

A file is written whole or not at all (a temporary file in the same folder, renamed over the
target at the end).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TextIO

from hypemeter.errors import DataError
from hypemeter.storage.store import FeedbackStore

FEEDBACK_FILENAME = "feedback.jsonl"  # loaded by training as corpus "own:feedback"


def write_jsonl(store: FeedbackStore, out: TextIO, since: datetime | str | None = None,
                profile: str | None = None) -> int:
    n = 0
    for item in store.iter_all(since=since, profile=profile):
        out.write(json.dumps(item.to_export(), ensure_ascii=False) + "\n")
        n += 1
    return n


def export_feedback(
    store: FeedbackStore, output: Path | str | None = None, since: datetime | str | None = None,
    profile: str | None = None,
) -> int:
    """Write the JSONL to ``output`` atomically (``None`` or ``-``: stdout); returns lines.
    ``profile``: only that profile's corrections."""
    if output is None or str(output) == "-":
        return write_jsonl(store, sys.stdout, since, profile)
    target = Path(output)
    folder = target.parent
    if not folder.is_dir():
        raise DataError(f"{target}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            n = write_jsonl(store, fh, since, profile)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def feedback_sources(url: str | None = None) -> dict[str | None, int]:
    """How many corrections each profile holds (None: the shared model's)."""
    store = FeedbackStore(url)
    try:
        return store.count_by_profile()
    finally:
        store.close()


@contextmanager
def exported_feedback(url: str | None = None, profile: str | None = None
                      ) -> Iterator[tuple[Path, int]]:
    """The database's corrections (``profile``: only that profile's) in a temporary
    ``feedback.jsonl`` (removed afterwards)."""
    store = FeedbackStore(url)
    try:
        with tempfile.TemporaryDirectory(prefix="hypemeter-feedback-") as tmp:
            path = Path(tmp) / FEEDBACK_FILENAME
            n = export_feedback(store, path, profile=profile)
            yield path, n
    finally:
        store.close()
