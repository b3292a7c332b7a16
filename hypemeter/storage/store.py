"""The repository: add, get, list (newest first, opaque cursor, filters), delete, iterate.

:class:`FeedbackStore` owns one engine. It brings the schema up to date on first use (and when
the service starts), so a database that was down at start is picked up once it is back. Every
database problem comes out as :class:`~hypemeter.errors.StorageUnavailableError` (503).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, and_, delete, insert, or_, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from hypemeter.errors import InvalidInputError, StorageUnavailableError
from hypemeter.storage.engine import make_engine, resolve_url, safe_text, translated_errors
from hypemeter.storage.migrate import upgrade
from hypemeter.storage.records import LABELS, Feedback, NewFeedback, SpanVerdict, parse_time
from hypemeter.storage.tables import FeedbackRow

MAX_LIMIT = 1000
EXPORT_CHUNK = 500


@dataclass(frozen=True, slots=True)
class LabelFilter:
    """``sensational`` (has that label) or ``sensational:1`` (has it, with that value)."""

    name: str
    value: int | None = None

    @classmethod
    def parse(cls, text: str) -> LabelFilter:
        name, _, value = text.strip().partition(":")
        if name not in LABELS or value not in ("", "0", "1"):
            raise InvalidInputError(
                f"label: {text[:64]!r} is not one of sensational, misinformation (optionally "
                "with :0 or :1, e.g. sensational:1)", field="label",
            )
        return cls(name, int(value) if value else None)


def encode_cursor(created_at: datetime, feedback_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), feedback_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, feedback_id = json.loads(raw)
        return datetime.fromisoformat(when).astimezone(UTC), str(feedback_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInputError(
            "cursor: not a cursor this server gave out (use next_cursor as it is)",
            field="cursor",
        ) from None


def _to_feedback(row: FeedbackRow) -> Feedback:
    spans = tuple(
        SpanVerdict(s["field"], s["start"], s["end"], s["verdict"], s.get("category"))
        for s in row.spans or ()
    )
    return Feedback(
        id=row.id, created_at=row.created_at, headline=row.headline, body=row.body,
        sensational=row.sensational, misinformation=row.misinformation, spans=spans,
        article_id=row.article_id, model_version=row.model_version, note=row.note,
        language=row.language,
    )


class FeedbackStore:
    def __init__(self, url: str | URL | None = None) -> None:
        self.url: URL = url if isinstance(url, URL) else resolve_url(url)
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._ready = False
        self._lock = threading.Lock()
        # SQLite has one writer at a time. Threads of one process queue here (woken at once
        # when the lock frees) rather than in SQLite's busy handler, which sleeps in steps of
        # up to 100 ms; only the processes (workers) meet in the busy handler.
        self._write_lock: threading.Lock | contextlib.nullcontext[None] = (
            threading.Lock() if self.backend == "sqlite" else contextlib.nullcontext()
        )

    def __repr__(self) -> str:
        return f"FeedbackStore({safe_text(self.url)!r})"

    @property
    def backend(self) -> str:
        return self.url.get_backend_name()

    # ------------------------------------------------------------------ lifecycle

    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = make_engine(self.url)
                self._sessions = sessionmaker(self._engine, expire_on_commit=False)
            return self._engine

    def upgrade(self) -> str:
        """Apply the migrations (idempotent, safe from several processes at once)."""
        revision = upgrade(self.engine())
        self._ready = True
        return revision

    def _session(self, readonly: bool = False) -> Session:
        if not self._ready:
            self.upgrade()
        assert self._sessions is not None
        session = self._sessions()
        if readonly:
            session.connection(execution_options={"hypemeter_readonly": True})
        return session

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine, self._sessions, self._ready = None, None, False

    # ------------------------------------------------------------------ operations

    def add(self, item: NewFeedback, *, now: datetime | None = None) -> Feedback:
        """Validate and store one correction; returns it with its id and time."""
        item.validate()
        values = {
            "id": str(uuid.uuid4()),
            "created_at": (now or datetime.now(UTC)).astimezone(UTC),
            "article_id": item.article_id,
            "headline": item.headline,
            "body": item.body,
            "sensational": item.sensational,
            "misinformation": item.misinformation,
            "spans": [s.to_dict() for s in item.spans],
            "model_version": item.model_version,
            "note": item.note,
            "language": item.language,
        }
        with translated_errors():
            if not self._ready:
                self.upgrade()
            # one Core INSERT in its own transaction: no unit of work for a single row
            with self._write_lock, self.engine().begin() as conn:
                conn.execute(insert(FeedbackRow), values)
        return _to_feedback(FeedbackRow(**values))

    def get(self, feedback_id: str) -> Feedback | None:
        with translated_errors(), self._session(readonly=True) as session:
            row = session.get(FeedbackRow, feedback_id)
            return None if row is None else _to_feedback(row)

    def delete(self, feedback_id: str) -> bool:
        """True when a row was deleted."""
        with translated_errors(), self._write_lock, self._session() as session, session.begin():
            result = session.execute(delete(FeedbackRow).where(FeedbackRow.id == feedback_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def list(
        self,
        *,
        limit: int = 100,
        cursor: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        model_version: str | None = None,
        label: str | LabelFilter | None = None,
    ) -> tuple[list[Feedback], str | None]:
        """Newest first; ``since`` inclusive, ``until`` exclusive. Returns items and the cursor
        for the next page (None on the last page)."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInputError(f"limit must be 1 to {MAX_LIMIT}", field="limit")
        query = select(FeedbackRow)
        for cond in _filters(since, until, model_version, label):
            query = query.where(cond)
        if cursor:
            when, last_id = decode_cursor(cursor)
            query = query.where(or_(
                FeedbackRow.created_at < when,
                and_(FeedbackRow.created_at == when, FeedbackRow.id < last_id),
            ))
        query = query.order_by(FeedbackRow.created_at.desc(), FeedbackRow.id.desc())
        with translated_errors(), self._session(readonly=True) as session:
            rows = list(session.scalars(query.limit(limit + 1)))
        items = [_to_feedback(r) for r in rows[:limit]]
        more = len(rows) > limit
        return items, (encode_cursor(items[-1].created_at, items[-1].id) if more else None)

    def iter_all(
        self, *, since: datetime | str | None = None, until: datetime | str | None = None
    ) -> Iterator[Feedback]:
        """Every correction, oldest first, read in chunks (for export)."""
        after: tuple[datetime, str] | None = None
        while True:
            query = select(FeedbackRow)
            for cond in _filters(since, until, None, None):
                query = query.where(cond)
            if after is not None:
                query = query.where(or_(
                    FeedbackRow.created_at > after[0],
                    and_(FeedbackRow.created_at == after[0], FeedbackRow.id > after[1]),
                ))
            query = query.order_by(FeedbackRow.created_at, FeedbackRow.id).limit(EXPORT_CHUNK)
            with translated_errors(), self._session(readonly=True) as session:
                rows = [_to_feedback(r) for r in session.scalars(query)]
            yield from rows
            if len(rows) < EXPORT_CHUNK:
                return
            after = (rows[-1].created_at, rows[-1].id)

    def count(self) -> int:
        from sqlalchemy import func

        with translated_errors(), self._session(readonly=True) as session:
            return int(session.scalar(select(func.count()).select_from(FeedbackRow)) or 0)


def _filters(
    since: datetime | str | None,
    until: datetime | str | None,
    model_version: str | None,
    label: str | LabelFilter | None,
) -> list[object]:
    conds: list[object] = []
    if since is not None:
        when = parse_time(since, "since") if isinstance(since, str) else since
        conds.append(FeedbackRow.created_at >= when)
    if until is not None:
        when = parse_time(until, "until") if isinstance(until, str) else until
        conds.append(FeedbackRow.created_at < when)
    if model_version is not None:
        conds.append(FeedbackRow.model_version == model_version)
    if label is not None:
        lf = LabelFilter.parse(label) if isinstance(label, str) else label
        column = getattr(FeedbackRow, lf.name)
        conds.append(column.is_not(None) if lf.value is None else column == lf.value)
    return conds


__all__ = ["MAX_LIMIT", "FeedbackStore", "LabelFilter", "StorageUnavailableError"]
