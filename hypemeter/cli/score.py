"""``hypemeter score``: score records from files, partitions or stdin."""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial
from pathlib import Path

from hypemeter.cli.common import Subparsers, field_limit, non_negative_int
from hypemeter.paths import default_models_dir


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "score",
        help="score JSONL/CSV/Parquet records {id, headline, body}",
        description="Score records from stdin, a file, a directory or a glob of partitions "
        "(JSONL, CSV, Parquet; .gz JSONL/CSV too). Output goes to stdout, a file, or a "
        "directory (an existing one, or a path ending in /) of part files, one per input "
        "partition, in input order. The output may not be one of the input files, nor a "
        "directory holding input files (its part files would be read back as input on the "
        "next run). Bad records are reported with file:line and skipped.",
    )
    p.add_argument("input", nargs="?", default="-",
                   help="input file, directory or glob of partitions, or - for stdin")
    p.add_argument("--output", "-o", default="-",
                   help="output file or directory/ (default stdout); not an input file, "
                   "nor the input directory")
    p.add_argument("--model", type=Path, default=None, help="bundle or models directory")
    p.add_argument("--format", choices=("jsonl", "csv", "parquet"), default=None,
                   help="input format (default: by file extension, JSONL for stdin)")
    p.add_argument("--output-format", choices=("jsonl", "csv", "parquet"), default=None,
                   help="output format (default: by extension; JSONL for stdout/directories)")
    p.add_argument("--no-explain", action="store_true", help="skip spans (faster)")
    p.add_argument("--sentences", action="store_true",
                   help="also score every sentence (a \"sentences\" list in each result)")
    p.add_argument("--max-spans", type=non_negative_int, default=None,
                   help="at most this many spans per record (default: all)")
    p.add_argument("--batch-size", type=int, default=256, help="records per scoring task")
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="worker processes (local, default 1), or LocalCluster workers "
                   "(dask, default: one per CPU)")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local processes, or a dask.distributed cluster")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler address (default: start a LocalCluster)")
    p.add_argument("--server", default=None, metavar="URL",
                   help="score through a running hypemeter service (same output)")
    p.add_argument("--api-key", default=None, help="the service's API key (with --server)")
    p.add_argument("--language", type=language_code, default=None, metavar="CODE",
                   help="assert every record's language (e.g. en) instead of detecting it; "
                   "by default a record confidently in a language the model does not read "
                   "is skipped and reported (file, line, language)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def language_code(value: str) -> str:
    """``--language``: a 2-letter ISO 639-1 code (3 letters for a few languages)."""
    from hypemeter.language import valid_code

    if not valid_code(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a language code: give an ISO 639-1 code such as en")
    return value


def run(args: argparse.Namespace) -> int:
    from hypemeter.records.batch import score_stream

    jobs = args.jobs
    if jobs is None:
        jobs = (os.cpu_count() or 2) if args.engine == "dask" else 1
    remote = None
    if args.server is not None:
        from hypemeter.client.engine import RemoteEngine

        remote = partial(RemoteEngine, args.server, api_key=args.api_key,
                         batch_items=args.batch_size)
    stats = score_stream(
        args.input,
        args.output,
        model_path=args.model or default_models_dir(),
        fmt=args.format,
        output_format=args.output_format,
        explain=not args.no_explain,
        max_spans=args.max_spans,
        sentences=args.sentences,
        batch_size=args.batch_size,
        quiet=args.quiet,
        jobs=jobs,
        engine=args.engine,
        scheduler=args.scheduler,
        max_field_chars=field_limit(),
        remote=remote,
        language=args.language,
    )
    notes = []
    if stats.bad_partitions:
        notes.append(f"{stats.bad_partitions} unreadable partition(s)")
    if stats.unsupported_language:
        notes.append(f"{stats.unsupported_language} in a language the model does not read")
    bad_parts = f" ({'; '.join(notes)})" if notes else ""
    print(
        f"scored {stats.scored} record(s) from {stats.partitions} partition(s), skipped "
        f"{stats.skipped} bad record(s){bad_parts}",
        file=sys.stderr,
    )
    return 0 if stats.skipped == 0 else 3
