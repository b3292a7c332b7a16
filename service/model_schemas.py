"""Response models of the model and operations routes: the model card, reload and rollout,
the health and readiness probes (the scoring routes' models are in :mod:`.schemas`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from hypemeter.service.schemas import ModelRef
from pydantic import BaseModel, ConfigDict, Field


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
