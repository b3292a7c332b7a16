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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import URL

from hypemeter.errors import InvalidInputError, StorageUnavailableError, UnknownProfileError
from hypemeter.storage.deadline import deadline
from hypemeter.storage.engine import (
    database_timeout,
    make_engine,
    resolve_url,
    safe_text,
    translated_errors,
)
from hypemeter.storage.lazy import load_tables
from hypemeter.storage.migrate import upgrade
from hypemeter.storage.paging import PlannedRow, batches, plan_page, row_bytes
from hypemeter.storage.records import (
    LABELS,
    Feedback,
    NewFeedback,
    SpanVerdict,
    check_no_nul,
    parse_time,
)

MAX_LIMIT = 1000
DEFAULT_PAGE_BYTES = 8_000_000
MIGRATION_SECONDS = 120.0  # what a patient schema migration may take
EXPORT_CHUNK = 500

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from hypemeter.storage import tables
else:
    from hypemeter.storage.lazy import tables  # the ORM is imported on first use


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
        # out-of-range times (OverflowError) and NULs: no cursor this server gave out has them
        moment = datetime.fromisoformat(when).astimezone(UTC)
        if "\x00" in str(feedback_id):
            raise ValueError("NUL")
        return moment, str(feedback_id)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise InvalidInputError(
            "cursor: not a cursor this server gave out (use next_cursor as it is)",
            field="cursor",
        ) from None


def _to_feedback(row: tables.FeedbackRow) -> Feedback:
    spans = tuple(
        SpanVerdict(s["field"], s["start"], s["end"], s["verdict"], s.get("category"))
        for s in row.spans or ()
    )
    return Feedback(
        id=row.id, created_at=row.created_at, headline=row.headline, body=row.body,
        sensational=row.sensational, misinformation=row.misinformation, spans=spans,
        article_id=row.article_id, model_version=row.model_version, note=row.note,
        profile=row.profile,
        language=row.language,
    )


def request_refit(conn: object, profile: str, now: datetime) -> None:
    """Ask for a refit of ``profile`` in the caller's transaction (one more request, the time
    of the last; the fit loop debounces them). Unknown profile: :class:`UnknownProfileError`."""
    result = conn.execute(  # type: ignore[attr-defined]
        update(tables.ProfileFitLeaseRow)
        .where(tables.ProfileFitLeaseRow.profile == profile)
        .values(
            requested=tables.ProfileFitLeaseRow.requested + 1,
            requested_at=now,
            pending_since=func.coalesce(tables.ProfileFitLeaseRow.pending_since, now),
        )
    )
    if not result.rowcount:
        raise UnknownProfileError(f"no profile named {profile!r}", field="profile")


class FeedbackStore:
    def __init__(self, url: str | URL | None = None, *, timeout: float | None = None) -> None:
        self.url: URL = url if isinstance(url, URL) else resolve_url(url)
        # seconds any one operation may take, all its database calls together
        self.timeout = database_timeout(timeout)
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
        """The engine; once the schema is checked, with the ORM tables imported (queries ask
        for the engine before they begin a transaction; the check itself needs Core alone)."""
        with self._lock:
            if self._engine is None:
                self._engine = make_engine(self.url, self.timeout)
            engine = self._engine
        if self._ready:
            load_tables()
        return engine

    def upgrade(self, *, patient: bool = False) -> str:
        """Apply the migrations (idempotent, safe from several processes at once). On first
        use by a request they get the database timeout; ``patient`` (the service's start,
        ``hypemeter db upgrade``) gives them :data:`MIGRATION_SECONDS` at least."""
        seconds = max(self.timeout, MIGRATION_SECONDS) if patient else self.timeout
        with deadline(seconds, fresh=True):
            revision = upgrade(self.engine(), statement_seconds=seconds)
        self._ready = True
        return revision

    def _session(self, readonly: bool = False) -> Session:
        if not self._ready:
            self.upgrade()
        engine = self.engine()
        with self._lock:  # the ORM is imported with the first session, not at start-up
            if self._sessions is None or self._sessions.kw.get("bind") is not engine:
                from sqlalchemy.orm import sessionmaker

                self._sessions = sessionmaker(engine, expire_on_commit=False)
            sessions = self._sessions
        session = sessions()
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
            "profile": item.profile,
            "language": item.language,
        }
        with translated_errors(), deadline(self.timeout):
            if not self._ready:
                self.upgrade()
            # one Core INSERT in its own transaction: no unit of work for a single row
            with self._write_lock, self.engine().begin() as conn:
                if item.profile is not None:  # the refit request commits with the correction
                    request_refit(conn, item.profile, values["created_at"])
                conn.execute(insert(tables.FeedbackRow), values)
        return _to_feedback(tables.FeedbackRow(**values))

    def get(self, feedback_id: str) -> Feedback | None:
        if "\x00" in feedback_id:  # no stored id holds one (PostgreSQL cannot even compare it)
            return None
        with translated_errors(), deadline(self.timeout), \
                self._session(readonly=True) as session:
            row = session.get(tables.FeedbackRow, feedback_id)
            return None if row is None else _to_feedback(row)

    def delete(self, feedback_id: str, *, profile: str | None = None) -> bool:
        """True when a row was deleted (with ``profile``: only a correction of that profile).
        Deleting a profile's correction asks for a refit of the profile."""
        if "\x00" in feedback_id:
            return False
        with translated_errors(), deadline(self.timeout), self._write_lock, \
                self._session() as session, session.begin():
            query = delete(tables.FeedbackRow).where(tables.FeedbackRow.id == feedback_id)
            if profile is not None:
                query = query.where(tables.FeedbackRow.profile == profile)
            owner = session.scalar(
                select(tables.FeedbackRow.profile).where(tables.FeedbackRow.id == feedback_id))
            result = session.execute(query)
            deleted = bool(result.rowcount)  # type: ignore[attr-defined]
            if deleted and owner is not None:
                with contextlib.suppress(UnknownProfileError):
                    request_refit(session, owner, datetime.now(UTC))
            return deleted

    def list(
        self,
        *,
        limit: int = 100,
        cursor: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        model_version: str | None = None,
        label: str | LabelFilter | None = None,
        profile: str | None = None,
    ) -> tuple[list[Feedback], str | None]:
        """Newest first; ``since`` inclusive, ``until`` exclusive. Returns items and the cursor
        for the next page (None on the last page)."""
        query = _newest_first(select(tables.FeedbackRow), limit, cursor,
                              _filters(since, until, model_version, label, profile))
        with translated_errors(), deadline(self.timeout), \
                self._session(readonly=True) as session:
            rows = list(session.scalars(query))
        items = [_to_feedback(r) for r in rows[:limit]]
        more = len(rows) > limit
        return items, (encode_cursor(items[-1].created_at, items[-1].id) if more else None)

    def page(
        self,
        *,
        limit: int = 100,
        max_bytes: int = DEFAULT_PAGE_BYTES,
        cursor: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        model_version: str | None = None,
        label: str | LabelFilter | None = None,
        profile: str | None = None,
    ) -> tuple[Iterator[list[Feedback]], str | None]:
        """One page of :meth:`list`, bounded by ``limit`` rows and ``max_bytes`` of stored
        text (at least one row), as batches read lazily (see :mod:`.paging`): the first batch
        is read before this returns, so an outage is raised here, not mid-page."""
        row = tables.FeedbackRow
        query = _newest_first(select(row.created_at, row.id, row_bytes()), limit,
                              cursor, _filters(since, until, model_version, label, profile))
        with translated_errors(), deadline(self.timeout), \
                self._session(readonly=True) as session:
            candidates = session.execute(query).all()
        planned, more = plan_page(candidates, limit, max_bytes)
        next_cursor = encode_cursor(planned[-1].created_at, planned[-1].id) if more else None
        parts = batches(planned)
        first = next(parts, None)
        first_rows = self._read_batch(first) if first is not None else []

        def read() -> Iterator[list[Feedback]]:
            if first_rows:
                yield first_rows
            for batch in parts:
                yield self._read_batch(batch)

        return read(), next_cursor

    def _read_batch(self, batch: list[PlannedRow]) -> list[Feedback]:
        """The rows of ``batch``, in its order (a row deleted since the plan is left out)."""
        ids = [row.id for row in batch]
        with translated_errors(), deadline(self.timeout), \
                self._session(readonly=True) as session:
            found = {r.id: _to_feedback(r)
                     for r in session.scalars(select(tables.FeedbackRow)
                                              .where(tables.FeedbackRow.id.in_(ids)))}
        return [found[i] for i in ids if i in found]

    def iter_all(
        self, *, since: datetime | str | None = None, until: datetime | str | None = None,
        profile: str | None = None,
    ) -> Iterator[Feedback]:
        """Every correction, oldest first, read in chunks (for export)."""
        after: tuple[datetime, str] | None = None
        while True:
            query = select(tables.FeedbackRow)
            for cond in _filters(since, until, None, None, profile):
                query = query.where(cond)
            if after is not None:
                query = query.where(or_(
                    tables.FeedbackRow.created_at > after[0],
                    and_(tables.FeedbackRow.created_at == after[0],
                         tables.FeedbackRow.id > after[1]),
                ))
            query = query.order_by(tables.FeedbackRow.created_at,
                                   tables.FeedbackRow.id).limit(EXPORT_CHUNK)
            with translated_errors(), deadline(self.timeout), \
                    self._session(readonly=True) as session:
                rows = [_to_feedback(r) for r in session.scalars(query)]
            yield from rows
            if len(rows) < EXPORT_CHUNK:
                return
            after = (rows[-1].created_at, rows[-1].id)

    def count_by_profile(self) -> dict[str | None, int]:
        """Corrections per profile (None: the shared model's)."""
        query = select(tables.FeedbackRow.profile,
                       func.count()).group_by(tables.FeedbackRow.profile)
        with translated_errors(), self._session(readonly=True) as session:
            return {p: int(n) for p, n in session.execute(query)}

    def count(self) -> int:
        with translated_errors(), deadline(self.timeout), \
                self._session(readonly=True) as session:
            return int(session.scalar(select(func.count()).select_from(tables.FeedbackRow)) or 0)


def _newest_first(query: Any, limit: int, cursor: str | None, conditions: Iterable[Any]) -> Any:
    """``query`` filtered, after ``cursor``, newest first, with one row more than ``limit``
    (which tells whether a next page exists)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(f"limit must be 1 to {MAX_LIMIT}", field="limit")
    for cond in conditions:
        query = query.where(cond)
    if cursor:
        when, last_id = decode_cursor(cursor)
        query = query.where(or_(
            tables.FeedbackRow.created_at < when,
            and_(tables.FeedbackRow.created_at == when, tables.FeedbackRow.id < last_id),
        ))
    return query.order_by(tables.FeedbackRow.created_at.desc(),
                          tables.FeedbackRow.id.desc()).limit(limit + 1)


def _filters(
    since: datetime | str | None,
    until: datetime | str | None,
    model_version: str | None,
    label: str | LabelFilter | None,
    profile: str | None = None,
) -> list[object]:
    conds: list[object] = []
    if profile is not None:
        conds.append(tables.FeedbackRow.profile == profile)
    if since is not None:
        when = parse_time(since, "since") if isinstance(since, str) else since
        conds.append(tables.FeedbackRow.created_at >= when)
    if until is not None:
        when = parse_time(until, "until") if isinstance(until, str) else until
        conds.append(tables.FeedbackRow.created_at < when)
    if model_version is not None:
        check_no_nul(model_version, "model_version")
        conds.append(tables.FeedbackRow.model_version == model_version)
    if label is not None:
        lf = LabelFilter.parse(label) if isinstance(label, str) else label
        column = getattr(tables.FeedbackRow, lf.name)
        conds.append(column.is_not(None) if lf.value is None else column == lf.value)
    return conds


__all__ = ["MAX_LIMIT", "FeedbackStore", "LabelFilter", "StorageUnavailableError"]
