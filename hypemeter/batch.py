"""Streaming batch scoring: read records in chunks, score, write, never hold the whole file."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from hypemeter.bundle import load_bundle
from hypemeter.io import BadRecord, InputRecord, iter_records, open_text, write_jsonl
from hypemeter.scoring import Scorer

T = TypeVar("T")


@dataclass
class ScoreStats:
    scored: int = 0
    skipped: int = 0


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def score_records(
    scorer: Scorer,
    records: Iterable[InputRecord | BadRecord],
    out: IO[str],
    *,
    explain: bool = True,
    max_spans: int | None = None,
    batch_size: int = 256,
    errors: IO[str] | None = None,
    progress: object | None = None,
) -> ScoreStats:
    """Score ``records`` chunk by chunk into ``out``; bad records are reported and skipped."""
    stats = ScoreStats()
    errors = errors if errors is not None else sys.stderr
    for chunk in chunked(records, batch_size):
        good: list[InputRecord] = []
        for rec in chunk:
            if isinstance(rec, BadRecord):
                stats.skipped += 1
                print(f"skipped {rec}", file=errors)
            else:
                good.append(rec)
        if good:
            results = scorer.score([r.article for r in good], explain=explain,
                                   max_spans=max_spans)
            stats.scored += write_jsonl((r.to_dict() for r in results), out)
        if progress is not None:
            progress.update(len(chunk))  # type: ignore[attr-defined]
    return stats


def score_stream(
    input_path: str,
    output_path: str,
    *,
    model_path: Path,
    fmt: str | None = None,
    explain: bool = True,
    max_spans: int | None = None,
    batch_size: int = 256,
    quiet: bool = False,
) -> ScoreStats:
    scorer = Scorer(load_bundle(model_path))
    source = "<stdin>" if input_path == "-" else input_path
    show = not quiet and sys.stderr.isatty()
    with _maybe_open_out(output_path) as out, _open_in(input_path) as stream:
        progress = None
        if show:
            from tqdm import tqdm

            progress = tqdm(unit="rec", desc="scoring", file=sys.stderr)
        try:
            return score_records(
                scorer, iter_records(stream, source, fmt), out, explain=explain,
                max_spans=max_spans, batch_size=batch_size, progress=progress,
            )
        finally:
            if progress is not None:
                progress.close()


class _open_in:
    def __init__(self, path: str) -> None:
        self.path = path
        self.fh: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        try:
            self.fh = open_text(self.path)
        except OSError as exc:
            from hypemeter.errors import DataError

            raise DataError(f"cannot read {self.path}: {exc.strerror}") from exc
        return self.fh

    def __exit__(self, *exc: object) -> None:
        if self.fh is not None and self.fh is not sys.stdin:
            self.fh.close()


class _maybe_open_out:
    def __init__(self, path: str) -> None:
        self.path = path
        self.fh: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        if self.path == "-":
            return sys.stdout
        try:
            self.fh = Path(self.path).open("w", encoding="utf-8")
        except OSError as exc:
            from hypemeter.errors import DataError

            raise DataError(f"cannot write {self.path}: {exc.strerror}") from exc
        return self.fh

    def __exit__(self, *exc: object) -> None:
        if self.fh is not None:
            self.fh.close()
