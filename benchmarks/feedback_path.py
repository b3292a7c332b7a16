"""Corrections through the real path: POST /v1/feedback -> database -> ``train --feedback``.

:class:`FeedbackPath` starts one real ``hypemeter serve`` (a free loopback port, a fresh SQLite
database in a temporary folder, the given models dir, an admin key of its own) and stops it at
the end. :meth:`FeedbackPath.ingest` sends corrections one ``POST /v1/feedback`` each (with
:class:`hypemeter.Client`), reads the database back with the function ``hypemeter train
--feedback`` uses (:func:`hypemeter.storage.export.exported_feedback`: a temporary
``feedback.jsonl``), loads it with the own-data loader as ``train --own-data`` does (corpus
``own:feedback``) and returns the training records. Then it deletes every correction it sent
(``DELETE /v1/feedback/{id}``, admin key) and checks that the database is empty again, so each
call starts from an empty database.

Used by ``bench_adaptation.py`` and ``tests/training/test_adaptation_path.py``.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from hypemeter.training.corpora.registry import load_corpora
from serve_support import Served, start_serve

from hypemeter import Client
from hypemeter.records.results import Record
from hypemeter.storage.export import exported_feedback

REPO = Path(__file__).resolve().parents[1]


class FeedbackPath:
    """A running ``hypemeter serve`` with its own SQLite feedback database (a context manager)."""

    def __init__(self, models: Path = REPO / "models", startup_timeout: float = 120.0) -> None:
        self.models = Path(models)
        self.startup_timeout = startup_timeout
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-feedback-path-")
        folder = Path(self._tmp.name)
        self.database_url = f"sqlite:///{folder / 'feedback.db'}"
        self.admin_key = secrets.token_hex(16)
        self.url = ""
        self._served: Served | None = None
        self.sent = 0

    # ------------------------------------------------------------------ server
    def start(self) -> FeedbackPath:
        try:
            self._served = start_serve(self.models, Path(self._tmp.name), {
                "HYPEMETER_DATABASE_URL": self.database_url,
                "HYPEMETER_ADMIN_KEY": self.admin_key, "HYPEMETER_LOG_LEVEL": "warning",
            }, timeout=self.startup_timeout)
        except BaseException:
            self._tmp.cleanup()
            raise
        self.url = self._served.url
        return self

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop(timeout=20)
        self._tmp.cleanup()

    def __enter__(self) -> FeedbackPath:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ------------------------------------------------------------------ the path
    def ingest(self, corrections: Sequence[Mapping[str, Any]]) -> list[Record]:
        """POST each correction (``{"headline", "body", "labels"?, "spans"?, "id"?,
        "model_version"?}``), export the database as ``train --feedback`` does and return the
        records training gets; the database is empty again afterwards."""
        ids: list[str] = []
        with Client(self.url) as client:
            try:
                for c in corrections:
                    extra = {k: v for k, v in c.items() if k not in ("headline", "body")}
                    ids.append(client.feedback(c.get("headline", ""), c.get("body", ""),
                                               **extra)["feedback_id"])
                self.sent += len(ids)
                with exported_feedback(self.database_url) as (path, n):
                    if n != len(ids):
                        raise RuntimeError(f"the database holds {n} corrections, {len(ids)} "
                                           "were sent")
                    records, reports = load_corpora(path.parent / "no-corpora", names=[],
                                                    include_sample=False, own_files=[path],
                                                    catalog={})
            finally:
                self._delete(ids)
        problems = [str(i) for rep in reports for i in rep.issues]
        if problems:
            raise RuntimeError("the exported corrections did not load cleanly:\n"
                               + "\n".join(problems))
        return records

    def _delete(self, ids: Sequence[str]) -> None:
        headers = {"Authorization": f"Bearer {self.admin_key}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=60) as http:
            for feedback_id in ids:
                r = http.delete(f"/v1/feedback/{feedback_id}")
                if r.status_code != 204:
                    raise RuntimeError(f"DELETE /v1/feedback/{feedback_id}: {r.status_code} "
                                       f"{r.text[:300]}")
            left = http.get("/v1/feedback", params={"limit": 1})
            left.raise_for_status()
            if left.json()["items"]:
                raise RuntimeError("the feedback database is not empty after the deletions")
