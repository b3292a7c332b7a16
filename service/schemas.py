"""Request and response models of the REST API (with the examples shown in ``/docs``).

The response models mirror the core result contract
(:meth:`hypemeter.records.results.ScoreResult.to_dict`)
field for field; the endpoints return that dict directly, and the tests check every response
against these schemas through the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from hypemeter.records.results import DEFAULT_MAX_SPANS, unicode_problem

EXAMPLE_HEADLINE = "SHOCKING: Doctors Are FURIOUS About This One Weird Trick Everyone Is Using!"
EXAMPLE_BODY = (
    "You won't believe what happened next. Experts are terrified as the outrageous scheme "
    "spreads like wildfire, and the corrupt elites are desperate to bury the truth. "
    "Act now before it's too late: this devastating secret could destroy everything you love."
)

# Illustrative values (the shape of a result), not the output of the shipped model: the
# response schemas say so in the OpenAPI document.
EXAMPLE_RESULT: dict[str, Any] = {
    "id": "story-42",
    "scores": {"sensationalism": 0.93, "misinformation_risk": 0.71},
    "spans": [
        {
            "field": "headline",
            "start": 0,
            "end": 8,
            "text": "SHOCKING",
            "category": "loaded_language",
            "weight": 0.84,
        },
        {
            "field": "body",
            "start": 0,
            "end": 36,
            "text": "You won't believe what happened next",
            "category": "clickbait",
            "weight": 0.77,
        },
    ],
    "model": {"name": "hypemeter", "version": "20250101-120000"},
    "language": "en",
    "language_asserted": False,
}

# A batch item in a language the model does not read: not scored (illustrative).
EXAMPLE_REFUSED: dict[str, Any] = {
    "id": "story-44",
    "scores": None,
    "spans": [],
    "model": {"name": "hypemeter", "version": "20250101-120000"},
    "language": "es",
    "language_asserted": False,
    "error": {
        "code": "unsupported_language",
        "message": "the text is in Spanish (es), which this model does not read (it reads "
                   "English (en)); not scored",
    },
}

MAX_SPANS_LIMIT = 10_000
# DEFAULT_MAX_SPANS (hypemeter.records.results): per article, unless the request asks for up to
# MAX_SPANS_LIMIT; the CLI's `score --max-spans` default is the same constant.


def _valid_unicode(value: str | None) -> str | None:
    """Reject lone surrogates: they are not text and cannot be encoded back into a response."""
    problem = None if value is None else unicode_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


PROFILE_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"  # as hypemeter.storage.profiles.NAME_PATTERN


class ScoreRequest(BaseModel):
    """One article. ``headline`` and ``body`` may each be empty or absent, not both."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "story-42",
                    "headline": EXAMPLE_HEADLINE,
                    "body": EXAMPLE_BODY,
                    "explain": True,
                    "max_spans": 5,
                }
            ]
        },
    )

    id: Annotated[str | None, Field(max_length=256, description="echoed back in the result")] = (
        None
    )
    headline: Annotated[str | None, Field(description="the headline (may be empty)")] = None
    body: Annotated[str | None, Field(description="the article text (may be empty)")] = None
    explain: Annotated[
        bool, Field(description="return the phrases behind the score (`false` is faster)")
    ] = True
    max_spans: Annotated[
        int | None,
        Field(
            ge=0,
            le=MAX_SPANS_LIMIT,
            description=(
                f"at most this many spans per article, the highest-weight ones (default "
                f"{DEFAULT_MAX_SPANS}, also when null; up to {MAX_SPANS_LIMIT})"
            ),
        ),
    ] = DEFAULT_MAX_SPANS
    sentences: Annotated[
        bool, Field(description="also score every sentence of both fields (`sentences` in "
                                "the result)")
    ] = False
    profile: Annotated[str | None, Field(
        pattern=PROFILE_PATTERN,
        description="score as this profile (its adapter; `model.profile` and "
                    "`model.adapter_version` in the result). In a batch, give it once at the "
                    "top level. A profile key implies its own profile.")] = None
    language: Annotated[
        str | None,
        Field(
            pattern=r"^[a-z]{2,3}$",
            description=(
                "assert the text's language (ISO 639-1, e.g. `en`) instead of detecting it: "
                "the result then has `language_asserted: true`. Text in a language the model "
                "reads is scored; asserting another one is refused like detected text"
            ),
            examples=["en"],
        ),
    ] = None

    _check_text = field_validator("id", "headline", "body")(_valid_unicode)

    @field_validator("max_spans", mode="after")
    @classmethod
    def _default_cap(cls, value: int | None) -> int:
        return DEFAULT_MAX_SPANS if value is None else value


def batch_request_model(max_items: int) -> type[BaseModel]:
    """``{"items": [ScoreRequest, ...]}`` with 1..``max_items`` items (a setting)."""
    item_example = ScoreRequest.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    return create_model(
        "ScoreBatchRequest",
        __config__=ConfigDict(
            extra="forbid",
            strict=True,
            json_schema_extra={
                "examples": [
                    {
                        "items": [
                            item_example,
                            {"id": "story-43", "headline": "City council approves budget"},
                            {"id": "story-44",
                             "headline": "El ayuntamiento aprueba el presupuesto municipal",
                             "body": "El pleno aprobó el martes las cuentas del próximo año "
                                     "con los votos de tres grupos."},
                        ]
                    }
                ]
            },
        ),
        items=(
            Annotated[
                list[ScoreRequest],
                Field(
                    min_length=1,
                    max_length=max_items,
                    description=f"1 to {max_items} articles, scored in order",
                ),
            ],
            ...,
        ),
        profile=(
            Annotated[str | None, Field(pattern=PROFILE_PATTERN,
                                        description="score every item as this profile")],
            None,
        ),
    )


class Scores(BaseModel):
    sensationalism: Annotated[float, Field(ge=0.0, le=1.0)]
    misinformation_risk: Annotated[float, Field(ge=0.0, le=1.0)]


class SpanOut(BaseModel):
    field: Literal["headline", "body"]
    start: Annotated[int, Field(ge=0, description="character offset into `field`")]
    end: Annotated[int, Field(ge=0, description="character offset (exclusive)")]
    text: str
    category: str
    weight: float


class SentenceOut(BaseModel):
    field: Literal["headline", "body"]
    start: Annotated[int, Field(ge=0, description="character offset into `field`")]
    end: Annotated[int, Field(ge=0, description="character offset (exclusive)")]
    sensationalism: Annotated[float, Field(ge=0.0, le=1.0, description=(
        "probability that annotators would mark loaded, exaggerated, fearful or "
        "flag-waving wording in this sentence"))]


class ModelRef(BaseModel):
    name: str
    version: str
    profile: Annotated[str | None, Field(description="only when scored as a profile")] = None
    adapter_version: Annotated[int | None, Field(
        description="the profile's adapter applied (null: none fitted, or fitted on another "
                    "base model; the base scores); only when scored as a profile")] = None


LANGUAGE_DESCRIPTION = (
    "the text's language: an ISO 639-1 code (three letters for the few languages without "
    "one), or `und` when the text is too short or too mixed to tell (it is scored)")


class ItemError(BaseModel):
    code: Literal["unsupported_language"]
    message: str


class ScoreResponse(BaseModel):
    """The core result object. The example values are illustrative (they show the shape), not
    what a particular model returns for the example request."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_RESULT]})

    id: str | None
    scores: Scores
    spans: list[SpanOut]
    model: ModelRef
    language: Annotated[str, Field(pattern=r"^([a-z]{2,3}|und)$",
                                   description=LANGUAGE_DESCRIPTION)]
    language_asserted: Annotated[bool, Field(
        description="true when the request set `language` (it was not detected)")]
    sentences: Annotated[list[SentenceOut] | None, Field(
        description="every sentence of both fields, in order; only when `sentences` was asked "
                    "for")] = None


class BatchItemResponse(ScoreResponse):
    """One item of a batch: a result, or (``error`` present) an item that was not scored
    because its text is in a language the model does not read: ``scores`` null, ``spans``
    empty."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_RESULT, EXAMPLE_REFUSED]})

    scores: Scores | None  # type: ignore[assignment]
    error: Annotated[ItemError | None, Field(
        description="only on an item that was not scored (then `scores` is null)")] = None


class ScoreBatchResponse(BaseModel):
    """Results in request order. The example values are illustrative (they show the shape), not
    what a particular model returns for the example request."""

    model_config = ConfigDict(json_schema_extra={
        "examples": [{"results": [EXAMPLE_RESULT, EXAMPLE_REFUSED]}]})

    results: list[BatchItemResponse]


# FastAPI drops null values from the OpenAPI document (``exclude_none``), so an example whose
# ``scores`` is null would show without it: :func:`with_null_examples` puts these back.
NULL_EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "BatchItemResponse": [EXAMPLE_RESULT, EXAMPLE_REFUSED],
    "ScoreBatchResponse": [{"results": [EXAMPLE_RESULT, EXAMPLE_REFUSED]}],
}


def with_null_examples(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI ``document`` with the examples of :data:`NULL_EXAMPLES` as written."""
    schemas = document.get("components", {}).get("schemas", {})
    for name, examples in NULL_EXAMPLES.items():
        if name in schemas:
            schemas[name]["examples"] = examples
    return document


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    """Every error: ``{"error": {"code", "message", "field"?}}``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "invalid_input",
                        "message": "items.3.body: Input should be a valid string",
                        "field": "items.3.body",
                    }
                },
                {
                    "error": {
                        "code": "unsupported_language",
                        "message": "the text is in Spanish (es), which this model does not "
                                   "read (it reads English (en)); not scored",
                    }
                },
            ]
        }
    )

    error: ErrorDetail
