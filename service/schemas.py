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


class ReportFile(BaseModel):
    name: str
    url: str
    media_type: str


class ModelCalibration(BaseModel):
    """The card's ``calibration`` entry (see docs/calibration.md)."""

    model_config = ConfigDict(extra="allow")

    method: dict[str, Any] | None = Field(
        default=None, description="per score, the calibration form for text with a body "
        "(`article`) and for headlines alone (`headline`): sigmoid, beta or isotonic")
    reference_prevalence: dict[str, float] | None = Field(
        default=None, description="per score, the share of positive texts in the feed the "
        "probabilities are calibrated to (misinformation_risk 0.1: a feed in which 10% of "
        "articles are fabricated)")
    fitted_on: str | None = Field(
        default=None, description="what the calibration was fitted on: "
        "`leave-one-corpus-out` predictions (each corpus scored by a model fitted without it)")
    meaning: dict[str, str] | None = None


class ModelCardResponse(BaseModel):
    """What the loaded model is and how it was validated (from its card)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "hypemeter",
                    "version": "20250101-120000",
                    "created_at": "2025-01-01T12:00:00+00:00",
                    "corpora": [{"name": "sample", "records": {"sensationalism": 120}}],
                    "training_records": 120,
                    "validation": {"records": 24, "sensationalism": {"roc_auc": 0.91}},
                    "thresholds": {"sensationalism": 0.5, "misinformation_risk": 0.5},
                    "languages": ["en"],
                    "calibration": {
                        "method": {"sensationalism": {"article": "sigmoid",
                                                      "headline": "isotonic"},
                                   "misinformation_risk": {"article": "beta",
                                                           "headline": "sigmoid"}},
                        "reference_prevalence": {"sensationalism": 0.5,
                                                 "misinformation_risk": 0.1},
                        "fitted_on": "leave-one-corpus-out",
                    },
                    "limits": ["Scores measure style; they are not a fact-check."],
                    "measured": {
                        "scoring": {
                            "command": "python benchmarks/bench_scoring.py --record",
                            "measured_at": "2025-01-01T12:30:00+00:00",
                            "results": {"with_explanations": {"articles_per_cpu_second": 1300}},
                        }
                    },
                    "report": [
                        {
                            "name": "calibration.png",
                            "url": "/v1/model/report/calibration.png",
                            "media_type": "image/png",
                        }
                    ],
                }
            ]
        }
    )

    name: str
    version: str
    created_at: str | None = None
    corpora: list[Any] = Field(default_factory=list)
    training_records: int | None = None
    validation: dict[str, Any] = Field(default_factory=dict)
    thresholds: dict[str, Any] = Field(default_factory=dict)
    languages: list[str] = Field(
        default_factory=lambda: ["en"],
        description="the languages the model reads (ISO 639-1); text confidently in another "
        "one is not scored (422 `unsupported_language`)")
    calibration: ModelCalibration | None = Field(
        default=None,
        description="how the scores were calibrated and the reference prevalence each is "
        "calibrated to (null for a model without calibration)",
    )
    limits: list[Any] = Field(default_factory=list)
    measured: dict[str, Any] = Field(
        default_factory=dict,
        description="benchmark figures recorded for this model (`--record`): per benchmark "
        "the command, when it ran and its results",
    )
    report: list[ReportFile] = Field(default_factory=list)


class ReloadRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"version": "20250101-120000"}]},
    )

    version: Annotated[
        str | None,
        Field(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
            description="a version directory under the models dir (default: `current`)",
        ),
    ] = None


class WorkerCounts(BaseModel):
    total: int = Field(description="live worker processes")
    on_version: int = Field(description="workers serving the published generation")
    failed: int = Field(description="workers that could not load it (they keep their old model)")


class ReloadResponse(BaseModel):
    """``reloaded`` (200): every live worker serves the new model. ``in_progress`` (202): this
    worker does, the others had not all followed when the reply was sent; ask
    ``GET /v1/admin/reload``."""

    status: Literal["reloaded", "in_progress"]
    model: ModelRef
    previous_version: str | None
    generation: int = Field(description="rollout number, +1 per successful reload")
    workers: WorkerCounts


class RolloutStatusResponse(BaseModel):
    """How far the last reload got across the worker processes."""

    status: Literal["reloaded", "in_progress"]
    generation: int
    version: str | None
    workers: WorkerCounts


class HealthResponse(BaseModel):
    status: Literal["ok"]


class ReadyResponse(BaseModel):
    status: Literal["ready"]
    model: ModelRef


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
