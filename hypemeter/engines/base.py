"""What every engine runs: score one :class:`Chunk` with a loaded :class:`Scorer`.

Engines differ only in *where* :func:`process_chunk` runs (this process, a local process pool,
Dask workers); chunking, parsing, scoring and rendering are the same code everywhere, which is
why every engine gives the same output bytes for the same input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from hypemeter.bundles.bundle import Bundle
from hypemeter.engines.output import render_jsonl
from hypemeter.engines.partitions import Chunk
from hypemeter.errors import HypemeterError, ModelLoadError, describe, message_of
from hypemeter.records.io import BadRecord, UnsupportedLanguageRecord, iter_jsonl
from hypemeter.records.results import Article, ScoreResult
from hypemeter.scoring.scorer import Scorer, isolate_failures, load_scorer


class ScoringFailedError(HypemeterError):
    code = "scoring_failed"


@dataclass(frozen=True, slots=True)
class ScoreOptions:
    explain: bool = True
    max_spans: int | None = None
    sentences: bool = False
    render: str = "jsonl"  # "jsonl": payload is output text; "rows": result dicts
    max_field_chars: int | None = None  # headline/body cap (the API's HYPEMETER_MAX_FIELD_CHARS)
    language: str | None = None  # asserted for every record (``hypemeter score --language``)


@dataclass(slots=True)
class ChunkResult:
    part: int
    seq: int
    payload: str | list[dict[str, Any]]
    scored: int
    bad: list[BadRecord] = field(default_factory=list)
    size: int = 0  # records consumed, good and bad (for progress)


@dataclass(frozen=True, slots=True)
class BundleRef:
    """Which bundle to load: its directory and the sha256 its card records."""

    path: str
    sha256: str

    @classmethod
    def of(cls, bundle: Bundle) -> BundleRef:
        return cls(str(Path(bundle.path).resolve()), str(bundle.card["model_sha256"]))

    @property
    def key(self) -> str:
        return f"{self.path}#{self.sha256}"


def load_ref(ref: BundleRef) -> Scorer:
    """Load the bundle a worker was told about, and make sure it is the very same model."""
    scorer = load_scorer(ref.path)
    if scorer.bundle.card["model_sha256"] != ref.sha256:
        raise ModelLoadError(
            f"the bundle at {ref.path} changed while scoring (sha256 "
            f"{scorer.bundle.card['model_sha256']}, expected {ref.sha256})"
        )
    return scorer


def _parse(chunk: Chunk, max_field_chars: int | None = None
           ) -> tuple[list[tuple[int, Article]], list[BadRecord]]:
    bad = list(chunk.bad)
    if chunk.lines is None:
        return list(chunk.items or []), bad
    items: list[tuple[int, Article]] = []
    offset = chunk.first_line - 1
    for rec in iter_jsonl(chunk.lines, chunk.source, max_field_chars):
        if isinstance(rec, BadRecord):
            bad.append(BadRecord(chunk.source, offset + rec.line, rec.reason))
        else:
            items.append((offset + rec.line, rec.article))
    return items, bad


def asserting(items: list[tuple[int, Article]], language: str | None
              ) -> list[tuple[int, Article]]:
    """The articles with ``language`` asserted (``--language``), unless one says its own."""
    if language is None:
        return items
    return [(line, a if a.language is not None else replace(a, language=language))
            for line, a in items]


def not_scored(results: list[ScoreResult], lines: list[int], source: str,
               bad: list[BadRecord]) -> list[ScoreResult]:
    """The scored results; each one not scored (a language the model does not read) becomes
    a skipped record at its line, its reason naming the language."""
    kept: list[ScoreResult] = []
    for line, result in zip(lines, results, strict=True):
        if result.error is None:
            kept.append(result)
        else:
            bad.append(UnsupportedLanguageRecord(
                source, line, f"{result.error.code} ({result.language}): "
                              f"{result.error.message}"))
    return kept


def process_chunk(scorer: Scorer, chunk: Chunk, opts: ScoreOptions) -> ChunkResult:
    """Parse (if raw), score and render one chunk. Never raises on bad data: a record the
    model cannot score is isolated and reported like any bad record, and so is one in a
    language the model does not read."""
    items, bad = _parse(chunk, opts.max_field_chars)
    items = asserting(items, opts.language)
    outcomes = isolate_failures(
        lambda arts: scorer.score(arts, explain=opts.explain, max_spans=opts.max_spans,
                                  sentences=opts.sentences),
        [a for _, a in items],
    )
    results = [o for o in outcomes if isinstance(o, ScoreResult)]
    failed = [(line, o) for (line, _), o in zip(items, outcomes, strict=True)
              if isinstance(o, Exception)]
    if len(items) > 1 and not results:
        # Not a bad record: the model cannot score anything (e.g. a bundle pickled by an
        # incompatible hypemeter). Stop rather than skip every record.
        exc = failed[0][1]
        raise ScoringFailedError(
            f"scoring failed for every record of {chunk.source} lines "
            f"{items[0][0]}-{items[-1][0]}: {describe(exc)}"
        ) from exc
    bad.extend(BadRecord(chunk.source, line, f"cannot score: {message_of(exc)}")
               for line, exc in failed)
    results = not_scored(results, [line for (line, _), o in zip(items, outcomes, strict=True)
                                   if isinstance(o, ScoreResult)], chunk.source, bad)
    bad.sort(key=lambda b: b.line)
    payload: str | list[dict[str, Any]] = (
        render_jsonl(results) if opts.render == "jsonl" else [r.to_dict() for r in results]
    )
    return ChunkResult(chunk.part, chunk.seq, payload, len(results), bad, chunk.size)


class Engine(Protocol):
    """Runs :func:`process_chunk` over chunks and yields results in input order, holding a
    bounded number of chunks in flight (memory stays flat whatever the input size)."""

    name: str

    def map(self, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]: ...

    def close(self) -> None: ...
