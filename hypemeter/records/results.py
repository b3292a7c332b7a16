"""The records that flow through hypemeter and the result contract every surface returns.

The result object (``ScoreResult.to_dict``) is the one contract shared by the CLI, the REST API,
the reports and the page::

    {"id": str | null,
     "scores": {"sensationalism": float, "misinformation_risk": float} | null,
     "spans": [{"field": "headline" | "body", "start": int, "end": int, "text": str,
                "category": str, "weight": float}],
     "model": {"name": "hypemeter", "version": str,
               "profile"?: str, "adapter_version"?: int | null},  # with a profile
     "language": str,             # ISO 639-1 code (3 letters for a few), or "und"
     "language_asserted": bool,   # true: the caller said the language; it was not detected
     "sentences": [{"field": "headline" | "body", "start": int, "end": int,
                    "sensationalism": float}],      # only when sentences are asked for
     "error": {"code": str, "message": str}}        # only on an item that was not scored

``scores`` is null (and ``spans`` empty) exactly when ``error`` is present: the text is in a
language the model does not read (``unsupported_language``; see docs/languages.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Spans per article when the caller does not say: the REST API's ``max_spans`` default and
# ``hypemeter score --max-spans``'s, the same number on every surface.
DEFAULT_MAX_SPANS = 100


def unencodable_at(value: str) -> int | None:
    """The index of the first character UTF-8 cannot encode (a surrogate), or None."""
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def unicode_problem(value: str) -> str | None:
    """Why ``value`` is not valid Unicode text (a lone surrogate), or None when it is.

    The one rule for every surface (files, the REST API): lone surrogates are not text, and
    can neither be hashed by the model nor encoded back into a response.
    """
    at = unencodable_at(value)
    return None if at is None else f"not valid Unicode (lone surrogate at {at})"


Field = Literal["headline", "body"]
Task = Literal["sensationalism", "misinformation", "spans"]
SCORE_NAMES: tuple[str, str] = ("sensationalism", "misinformation_risk")
# The span categories a result carries; the page's legend shows the same ones (one list for the
# API, its validation, the page and training).
SPAN_CATEGORIES: tuple[str, ...] = (
    "loaded_language",
    "urgency",
    "clickbait",
    "name_calling",
    "doubt",
    "slogan",
)
# Categories the span model cannot tell apart from loaded language on held-out annotated
# articles (gold exaggeration and fear-appeal phrases got their own category in 1 of 14 and 2
# of 16 matched spans, flag-waving in 4 of 9 with 10 false ones): results report them as loaded
# language. A correction may still name them (older clients); training reads them as before.
MERGED_CATEGORIES: dict[str, str] = {
    "exaggeration": "loaded_language",
    "fear_appeal": "loaded_language",
    "flag_waving": "loaded_language",
}
# What a correction's span may name: the result categories and the merged ones.
CORRECTION_CATEGORIES: tuple[str, ...] = (*SPAN_CATEGORIES, "exaggeration", "fear_appeal")


def public_category(category: str) -> str:
    """The category a result reports for a category the model or lexicon gave."""
    return MERGED_CATEGORIES.get(category, category)


@dataclass(frozen=True, slots=True)
class Article:
    """Text to score. Either field may be empty, not both."""

    headline: str = ""
    body: str = ""
    id: str | None = None
    language: str | None = None  # asserted by the caller; None: detected


@dataclass(frozen=True, slots=True)
class Span:
    field: Field
    start: int
    end: int
    text: str
    category: str
    weight: float


@dataclass(frozen=True, slots=True)
class SentenceScore:
    """A sentence of a field (``field[start:end]``, code points) and its score."""

    field: Field
    start: int
    end: int
    sensationalism: float


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    version: str
    # scored for a profile (hypemeter.profiles): its name and the adapter version applied
    # (None while none is fitted or the adapter serves the base scores)
    profile: str | None = None
    adapter_version: int | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "version": self.version}
        if self.profile is not None:
            out["profile"] = self.profile
            out["adapter_version"] = self.adapter_version
        return out


@dataclass(frozen=True, slots=True)
class ResultError:
    """Why an item of a batch was not scored."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class ScoreResult:
    id: str | None
    scores: dict[str, float] | None  # None exactly when ``error`` is set
    spans: list[Span]
    model: ModelInfo
    sentences: list[SentenceScore] | None = None  # only when asked for
    language: str = "und"
    language_asserted: bool = False
    error: ResultError | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "id": self.id,
            "scores": None if self.scores is None else dict(self.scores),
            "spans": [
                {"field": s.field, "start": s.start, "end": s.end, "text": s.text,
                 "category": s.category, "weight": s.weight}
                for s in self.spans
            ],
            "model": self.model.to_dict(),
            "language": self.language,
            "language_asserted": self.language_asserted,
        }
        if self.sentences is not None:
            out["sentences"] = [
                {"field": s.field, "start": s.start, "end": s.end,
                 "sensationalism": s.sensationalism}
                for s in self.sentences
            ]
        if self.error is not None:
            out["error"] = {"code": self.error.code, "message": self.error.message}
        return out


# The technique of a span a person marked as *not* loaded language (own data, feedback): the
# lexicon learns that phrase in that text as a negative, never as a phrase to flag.
NOT_LOADED = "Not_Loaded"


@dataclass(frozen=True, slots=True)
class GoldSpan:
    """A labelled span in a training corpus (character offsets into ``field``).

    ``category`` is the span category a person chose for it (own data, feedback), when known.
    """

    field: Field
    start: int
    end: int
    technique: str
    category: str | None = None


@dataclass(slots=True)
class Record:
    """One labelled training/evaluation item, whatever corpus it came from.

    ``label`` is 0/1 for binary tasks (1 = sensational / misinformation / has spans);
    ``target`` is an optional graded value in [0, 1] (e.g. Webis-17 ``truth_mean``).
    ``source`` names the outlet, domain or corpus; ``group`` keeps items that must stay in one
    split together (an outlet, a Pérez-Rosas pair, a HYPO triple).
    """

    id: str
    headline: str
    body: str
    task: Task
    label: int | None
    source: str
    group: str
    corpus: str
    target: float | None = None
    spans: list[GoldSpan] = field(default_factory=list)
    kind: str = "article"  # article | headline | claim | sentence
