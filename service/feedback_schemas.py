"""Request and response models of the feedback API (``/v1/feedback``), with ``/docs`` examples.

Pydantic checks the shapes and types; the rules that need the text (offsets in range, a
non-empty cut, at least one label or span) are the storage's own
(:meth:`hypemeter.storage.NewFeedback.validate`), so every writer obeys them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from hypemeter.service.schemas import EXAMPLE_BODY, EXAMPLE_HEADLINE, _valid_unicode
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hypemeter.records.results import CORRECTION_CATEGORIES

MAX_SPANS = 1000
MAX_NOTE_CHARS = 2000

Binary = Literal[0, 1]

EXAMPLE_FEEDBACK = {
    "id": "story-42",
    "headline": EXAMPLE_HEADLINE,
    "body": EXAMPLE_BODY,
    "labels": {"sensational": 1},
    "spans": [
        {"field": "headline", "start": 0, "end": 8, "verdict": "loaded",
         "category": "loaded_language"},
        {"field": "body", "start": 0, "end": 36, "verdict": "not_loaded"},
    ],
    "model_version": "20250101-120000",
    "note": "the second phrase is a quote, not the outlet's wording",
}
EXAMPLE_CREATED = {"feedback_id": "0b9f6c1e-4f0a-4d5e-9a57-3c2d1e0f9b8a",
                   "created_at": "2026-12-01T15:04:05.123456Z", "language": "en"}
EXAMPLE_ITEM = {**EXAMPLE_CREATED, **EXAMPLE_FEEDBACK}


class FeedbackLabels(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    sensational: Annotated[Binary | None, Field(description="1: sensational; 0: not")] = None
    misinformation: Annotated[
        Binary | None, Field(description="1: reads like misinformation; 0: not")
    ] = None

    @field_validator("sensational", "misinformation", mode="before")
    @classmethod
    def _no_booleans(cls, value: object) -> object:
        if isinstance(value, bool):  # true == 1 in Python; the contract says 0 or 1
            raise ValueError("Input should be 0 or 1, not a boolean")
        return value


class SpanVerdictIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    field: Literal["headline", "body"]
    start: Annotated[int, Field(ge=0, description="code-point offset into `field`")]
    end: Annotated[int, Field(ge=0, description="code-point offset (exclusive)")]
    verdict: Annotated[
        Literal["loaded", "not_loaded"],
        Field(description="`loaded`: a phrase the model missed or got right; `not_loaded`: "
              "a highlighted phrase that is not loaded language here"),
    ]
    category: Annotated[
        str | None,
        Field(max_length=64, description="one of: " + ", ".join(CORRECTION_CATEGORIES)),
    ] = None
    text: Annotated[
        str | None,
        Field(max_length=10_000, description="optional: must equal `field[start:end]`; "
              "not stored"),
    ] = None

    _check_text = field_validator("category", "text")(_valid_unicode)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        """Training takes only the categories it knows: refuse others here, not at retraining."""
        if value is not None and value not in CORRECTION_CATEGORIES:
            raise ValueError(f"unknown category; one of: {', '.join(CORRECTION_CATEGORIES)}")
        return value


class FeedbackRequest(BaseModel):
    """A correction of one article: labels, span verdicts or both (at least one of them)."""

    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra={"examples": [EXAMPLE_FEEDBACK]}
    )

    id: Annotated[str | None, Field(max_length=256, description="your id for the article")] = None
    headline: Annotated[str, Field(description="the headline as scored (may be empty)")]
    body: Annotated[str, Field(description="the article text as scored (may be empty)")]
    labels: FeedbackLabels | None = None
    spans: Annotated[list[SpanVerdictIn], Field(max_length=MAX_SPANS)] = Field(
        default_factory=list
    )
    model_version: Annotated[
        str | None, Field(max_length=128, description="the model version that scored it")
    ] = None
    note: Annotated[str | None, Field(max_length=MAX_NOTE_CHARS)] = None
    profile: Annotated[str | None, Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$",
        description="the profile this correction adapts (its adapter refits within seconds); "
                    "a profile key implies its own")] = None

    _check_text = field_validator("id", "headline", "body", "model_version", "note")(
        _valid_unicode
    )


class FeedbackCreated(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CREATED]})

    feedback_id: str
    created_at: Annotated[str, Field(description="ISO-8601, UTC")]
    language: Annotated[str | None, Field(
        description="the text's detected language (ISO 639-1, or `und`); a correction in a "
                    "language the model does not read is stored but not used for training")]


class SpanVerdictOut(BaseModel):
    field: Literal["headline", "body"]
    start: int
    end: int
    verdict: Literal["loaded", "not_loaded"]
    category: str | None = None


class FeedbackItem(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ITEM]})

    feedback_id: str
    created_at: str
    id: str | None
    headline: str
    body: str
    labels: FeedbackLabels
    spans: list[SpanVerdictOut]
    model_version: str | None
    note: str | None
    profile: Annotated[str | None, Field(description="only for a profile's correction")] = None
    language: Annotated[str | None, Field(
        description="detected when stored (null for corrections stored before detection)")]


class FeedbackPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE_ITEM], "next_cursor": None}]}
    )

    items: list[FeedbackItem]
    next_cursor: Annotated[
        str | None, Field(description="pass as `cursor` for the next page; null on the last")
    ]
