"""Feedback records: what a correction holds, its rules, and its two outward shapes
(the API item and the own-data JSONL line)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from hypemeter.errors import InvalidInputError

Field = Literal["headline", "body"]
Verdict = Literal["loaded", "not_loaded"]
LABELS = ("sensational", "misinformation")
FIELDS = ("headline", "body")
VERDICTS = ("loaded", "not_loaded")


@dataclass(frozen=True, slots=True)
class SpanVerdict:
    """``text[start:end]`` of ``field`` (code points) is, or is not, loaded language.

    ``text`` is optional on input (when given it must equal the cut substring) and is never
    stored: the offsets and the stored article text say it.
    """

    field: Field
    start: int
    end: int
    verdict: Verdict
    category: str | None = None
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "start": self.start, "end": self.end,
                               "verdict": self.verdict}
        if self.category is not None:
            out["category"] = self.category
        return out


@dataclass(frozen=True, slots=True)
class NewFeedback:
    headline: str
    body: str
    sensational: int | None = None
    misinformation: int | None = None
    spans: tuple[SpanVerdict, ...] = ()
    article_id: str | None = None
    model_version: str | None = None
    note: str | None = None
    profile: str | None = None  # None: a correction of the shared model
    language: str | None = None  # detected by the writer (hypemeter.language.detect)

    def validate(self) -> None:
        """Raise :class:`InvalidInputError` naming the field for anything the rules forbid."""
        for name in TEXT_FIELDS:
            check_no_nul(getattr(self, name), name)
        for name in LABELS:
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value not in (0, 1)):
                raise InvalidInputError(f"labels.{name} must be 0 or 1, not {value!r}",
                                        field=f"labels.{name}")
        if not self.headline.strip() and not self.body.strip():
            raise InvalidInputError("headline and body are both empty", field="body")
        if self.sensational is None and self.misinformation is None and not self.spans:
            raise InvalidInputError(
                "give at least one label (labels.sensational or labels.misinformation) or one "
                "span verdict (spans)", field="labels",
            )
        for i, span in enumerate(self.spans):
            _check_span(i, span, self.headline if span.field == "headline" else self.body)


# The stored text fields. PostgreSQL's text type cannot hold U+0000 (SQLite can): refusing it
# on every backend keeps one answer for one request (422 naming the field).
TEXT_FIELDS = ("article_id", "headline", "body", "model_version", "note")
API_NAMES = {"article_id": "id"}  # the request's names where they differ from the record's


def check_no_nul(value: str | None, field: str) -> None:
    """422 for a NUL character (U+0000), which no backend is asked to store or compare."""
    if value is not None and "\x00" in value:
        name = API_NAMES.get(field, field)
        where = value.index("\x00")
        raise InvalidInputError(
            f"{name}: holds a NUL character (U+0000 at position {where}), which "
            "the feedback database cannot store; remove it", field=name,
        )


def _check_span(i: int, span: SpanVerdict, text: str) -> None:
    where = f"spans.{i}"
    if span.field not in FIELDS:
        raise InvalidInputError(f"{where}.field must be 'headline' or 'body'",
                                field=f"{where}.field")
    if span.verdict not in VERDICTS:
        raise InvalidInputError(f"{where}.verdict must be 'loaded' or 'not_loaded'",
                                field=f"{where}.verdict")
    if span.start < 0 or span.start >= len(text):
        raise InvalidInputError(
            f"{where}.start {span.start} is outside the {span.field} (0..{len(text) - 1}; "
            "offsets count code points)" if text else f"{where}: the {span.field} is empty",
            field=f"{where}.start",
        )
    if span.end <= span.start or span.end > len(text):
        raise InvalidInputError(
            f"{where}.end {span.end} must be after start ({span.start}) and at most the "
            f"{span.field}'s length ({len(text)})",
            field=f"{where}.end",
        )
    cut = text[span.start:span.end]
    if not cut.strip():
        raise InvalidInputError(f"{where} cuts only whitespace from the {span.field}",
                                field=f"{where}.end")
    if span.text is not None and span.text != cut:
        raise InvalidInputError(
            f"{where}.text does not match {span.field}[{span.start}:{span.end}] "
            f"({cut[:60]!r})", field=f"{where}.text",
        )


@dataclass(frozen=True, slots=True)
class Feedback:
    """A stored correction."""

    id: str
    created_at: datetime
    headline: str
    body: str
    sensational: int | None
    misinformation: int | None
    spans: tuple[SpanVerdict, ...] = field(default_factory=tuple)
    article_id: str | None = None
    model_version: str | None = None
    note: str | None = None
    profile: str | None = None
    language: str | None = None

    @property
    def labels(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in LABELS if getattr(self, name) is not None}

    def to_item(self) -> dict[str, Any]:
        """The API's shape (``GET /v1/feedback``); ``profile`` only for a profile's."""
        item: dict[str, Any] = {
            "feedback_id": self.id,
            "created_at": iso_utc(self.created_at),
            "id": self.article_id,
            "headline": self.headline,
            "body": self.body,
            "labels": self.labels,
            "spans": [s.to_dict() for s in self.spans],
            "model_version": self.model_version,
            "note": self.note,
            "language": self.language,
        }
        if self.profile is not None:
            item["profile"] = self.profile
        return item

    def to_export(self) -> dict[str, Any]:
        """One own-data JSONL line (``hypemeter feedback export``): only the labels given.

        ``id`` is the article id the client sent with the correction (null when it sent none),
        ``feedback_id`` the id the database gave the correction (as in the API's items)."""
        out: dict[str, Any] = {"id": self.article_id, "feedback_id": self.id,
                               "headline": self.headline, "body": self.body}
        out.update(self.labels)
        if self.spans:
            out["spans"] = [s.to_dict() for s in self.spans]
        out["created_at"] = iso_utc(self.created_at)
        if self.model_version is not None:
            out["model_version"] = self.model_version
        if self.language is not None:
            out["language"] = self.language
        # no "source": each correction is its own group when training splits and folds (one
        # shared source would put every correction in one group: none held out to validate
        # them, and one fold of the grouped out-of-fold fits holding them all)
        return out


def iso_utc(value: datetime) -> str:
    """``2026-12-01T15:04:05.123456Z``."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(text: str, field: str) -> datetime:
    """An ISO-8601 time (``Z`` or an offset; no offset means UTC) as an aware UTC datetime."""
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise InvalidInputError(
            f"{field}: {text[:64]!r} is not an ISO-8601 time (e.g. 2026-12-01T15:00:00Z)",
            field=field,
        ) from None
    return as_utc(value, field, text)


def as_utc(value: datetime, field: str, text: str | None = None) -> datetime:
    """``value`` in UTC (no offset means UTC); 422 when UTC would leave years 1-9999
    (``0001-01-01T00:00:00+14:00`` is a valid ISO time that no datetime can hold in UTC)."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        shown = text if text is not None else value.isoformat()
        raise InvalidInputError(
            f"{field}: {shown[:64]!r} is out of range (in UTC it falls outside the years "
            "1 to 9999)", field=field,
        ) from None
