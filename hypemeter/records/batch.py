"""Streaming batch scoring: read records in chunks, score, write, never hold the whole input.

:func:`score_stream` is what ``hypemeter score`` runs. Input may be stdin, a file, a directory
or a glob of JSONL/CSV/Parquet partitions; output stdout, a file or a directory of part files
(see :mod:`hypemeter.engines.partitions`). The scoring runs in this process, in a local process
pool (``jobs`` > 1) or on a Dask cluster (``engine="dask"``); every engine gives the same bytes
in the same (input) order. Bad records are reported with file and line and skipped, and a
partition that cannot be read is reported and skipped without losing the others.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from hypemeter.bundles.bundle import Bundle
from hypemeter.engines import ScoreOptions, make_engine, open_bundle, scores_in_process
from hypemeter.engines.output import Output, check_output_is_not_input, render_jsonl
from hypemeter.engines.partitions import (
    PartitionError,
    count_records,
    iter_chunks,
    resolve_inputs,
)
from hypemeter.records.io import BadRecord, InputRecord, UnsupportedLanguageRecord
from hypemeter.scoring.scorer import Scorer

T = TypeVar("T")
# builds the engine of hypemeter score --server from the options (a RemoteEngine)
RemoteFactory = Callable[[ScoreOptions], Any]


@dataclass
class ScoreStats:
    scored: int = 0
    skipped: int = 0
    unsupported_language: int = 0  # of the skipped: text in a language the model does not read
    partitions: int = 0
    bad_partitions: int = 0
    engine: str = "local"
    workers: int = 1
    outputs: list[str] = field(default_factory=list)


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def report_bad(rec: BadRecord, errors: IO[str]) -> None:
    kind = "partition" if isinstance(rec, PartitionError) else "record"
    print(f"skipped {kind} {rec}", file=errors)


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
    sentences: bool = False,
) -> ScoreStats:
    """Score already-parsed ``records`` chunk by chunk into ``out`` (JSONL), in-process."""
    stats = ScoreStats()
    errors = errors if errors is not None else sys.stderr
    for chunk in chunked(records, batch_size):
        good: list[InputRecord] = []
        for rec in chunk:
            if isinstance(rec, BadRecord):
                stats.skipped += 1
                report_bad(rec, errors)
            else:
                good.append(rec)
        if good:
            results = scorer.score([r.article for r in good], explain=explain,
                                   max_spans=max_spans, sentences=sentences)
            for rec, result in zip(good, results, strict=True):
                if result.error is not None:
                    refused = UnsupportedLanguageRecord(
                        rec.source, rec.line,
                        f"{result.error.code} ({result.language}): {result.error.message}")
                    stats.skipped += 1
                    stats.unsupported_language += 1
                    report_bad(refused, errors)
            results = [r for r in results if r.error is None]
            out.write(render_jsonl(results))
            stats.scored += len(results)
        if progress is not None:
            progress.update(len(chunk))  # type: ignore[attr-defined]
    return stats


def progress_bar(stream: IO[str], desc: str, total: int | None = None) -> Any:
    """A tqdm bar on ``stream`` (a terminal), also when the terminal reports no size (a
    pseudo-terminal nobody sized: tqdm would hide the bar on a terminal of 0 rows). With
    ``total`` (records, when the input's size is known) it shows the percentage and the
    time left."""
    import os

    from tqdm import tqdm

    try:
        cols, rows = os.get_terminal_size(stream.fileno())
    except (OSError, ValueError, AttributeError):
        cols = rows = 0
    return tqdm(unit="rec", desc=desc, file=stream, total=total,
                ncols=cols if cols > 0 else 100, nrows=rows if rows > 0 else 24)


def score_stream(
    input_path: str,
    output_path: str,
    *,
    model_path: Path,
    fmt: str | None = None,
    output_format: str | None = None,
    explain: bool = True,
    max_spans: int | None = None,
    sentences: bool = False,
    batch_size: int = 256,
    quiet: bool = False,
    jobs: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    errors: IO[str] | None = None,
    scorer: Scorer | None = None,
    max_field_chars: int | None = None,
    remote: RemoteFactory | None = None,
    language: str | None = None,
) -> ScoreStats:
    """Score ``input_path`` (stdin, file, directory or glob) into ``output_path``.

    ``fmt`` forces the input format, ``output_format`` the output's (default: by extension;
    JSONL for stdout and directories). Progress shows on a terminal unless ``quiet``.
    ``max_field_chars`` caps each record's headline and body (a longer one is a bad record).
    ``remote`` builds, from the options, an engine that scores through a running service
    instead of a local model (``hypemeter score --server`` passes
    :class:`hypemeter.client.engine.RemoteEngine`; the core never imports the client).
    ``language`` asserts every record's language (``--language en``); otherwise a record
    confidently in a language the model does not read is skipped and reported.
    """
    errors = errors if errors is not None else sys.stderr
    parts = resolve_inputs(input_path, fmt)
    check_output_is_not_input(parts, output_path)
    model: Scorer | Bundle | None = None
    if remote is not None:
        engine = "server"
    elif scorer is not None:
        model = scorer
    elif scores_in_process(engine, jobs):
        model = Scorer(open_bundle(model_path))
    else:  # the workers load the model; this process only verifies the bundle
        model = open_bundle(model_path, load_model=False)
    output = Output(output_path, output_format, sentences=sentences)
    opts = ScoreOptions(explain=explain, max_spans=max_spans, sentences=sentences,
                        render="jsonl" if output.fmt == "jsonl" else "rows",
                        max_field_chars=max_field_chars, language=language)
    stats = ScoreStats(partitions=len(parts), engine=engine)
    runner = None
    progress = None
    ok = False
    try:
        if remote is not None:
            runner = remote(opts)
        else:
            assert model is not None
            runner = make_engine(model, opts, engine=engine, jobs=jobs, scheduler=scheduler)
        stats.workers = runner.workers  # type: ignore[attr-defined]
        if not quiet and errors.isatty():
            progress = progress_bar(errors, f"scoring ({engine} x{stats.workers})",
                                    total=count_records(parts))
        for res in runner.map(iter_chunks(parts, max(1, batch_size), max_field_chars)):
            for bad in res.bad:
                stats.skipped += 1
                stats.bad_partitions += isinstance(bad, PartitionError)
                stats.unsupported_language += isinstance(bad, UnsupportedLanguageRecord)
                report_bad(bad, errors)
            if res.scored:
                output.write(res.part, res.payload)
                stats.scored += res.scored
            if progress is not None:
                progress.update(res.size)
        ok = True
    finally:
        if progress is not None:
            progress.close()
        if runner is not None:
            runner.close()
        if ok:
            output.close()
        else:
            output.abort()
    stats.outputs = list(output.files)
    return stats


__all__ = ["ScoreStats", "chunked", "score_records", "score_stream"]
