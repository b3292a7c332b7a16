"""Wrong API keys per client address, in the database so that every worker and replica counts
the same failures (``HYPEMETER_MAX_KEY_FAILURES`` per ``HYPEMETER_KEY_FAILURE_WINDOW``).

Only failures are written: one row per wrong key, and the rows that have left the window are
deleted in the same transaction. A request with the right key only reads (one indexed count
over its own address, cached for a moment by the service).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select

from hypemeter.storage.deadline import deadline
from hypemeter.storage.engine import translated_errors
from hypemeter.storage.store import FeedbackStore

MAX_CLIENT_CHARS = 64  # the column's width; an IPv6 address with a zone fits
# the read before a keyed request waits at most this long (or the database timeout, if
# shorter): a hung database must not hold every keyed request for the timeout twice
READ_SECONDS = 0.5

if TYPE_CHECKING:
    from hypemeter.storage import tables
else:
    from hypemeter.storage.lazy import tables  # the ORM is imported on first use


@dataclass(frozen=True, slots=True)
class FailureCount:
    """A client's wrong keys within the window, and when the oldest of them leaves it."""

    count: int
    oldest: float | None  # seconds since the epoch

    def retry_after(self, limit: int, window: float, now: float) -> float | None:
        """Seconds until the client may try again (None: it may now)."""
        if limit <= 0 or self.count < limit or self.oldest is None:
            return None
        return max(0.0, self.oldest + window - now)


class KeyFailureStore:
    """The ``key_failures`` table of a :class:`~hypemeter.storage.store.FeedbackStore`."""

    def __init__(self, store: FeedbackStore, window: float) -> None:
        self.store = store
        self.window = window

    def _engine(self):  # type: ignore[no-untyped-def]
        if not self.store._ready:
            self.store.upgrade()
        return self.store.engine()

    def _count(self, conn, client: str, now: float) -> FailureCount:  # type: ignore[no-untyped-def]
        row = conn.execute(
            select(func.count(), func.min(tables.KeyFailureRow.failed_at)).where(
                tables.KeyFailureRow.client == client,
                tables.KeyFailureRow.failed_at > now - self.window,
            )
        ).one()
        return FailureCount(int(row[0]), None if row[1] is None else float(row[1]))

    def count(self, client: str, *, now: float | None = None) -> FailureCount:
        """``client``'s failures within the window (a read; no row is written)."""
        now = time.time() if now is None else now
        with translated_errors(), deadline(min(self.store.timeout, READ_SECONDS)), \
                self._engine().connect() as conn, conn.begin():
            return self._count(conn.execution_options(hypemeter_readonly=True),
                               client[:MAX_CLIENT_CHARS], now)

    def fail(self, client: str, *, now: float | None = None) -> FailureCount:
        """Record one wrong key from ``client``; returns its failures within the window, this
        one included. Rows older than the window (any client's) are deleted on the way."""
        now = time.time() if now is None else now
        client = client[:MAX_CLIENT_CHARS]
        with translated_errors(), deadline(self.store.timeout), self.store._write_lock, \
                self._engine().begin() as conn:
            conn.execute(delete(tables.KeyFailureRow)
                         .where(tables.KeyFailureRow.failed_at <= now - self.window))
            conn.execute(insert(tables.KeyFailureRow), {"client": client, "failed_at": now})
            return self._count(conn, client, now)
