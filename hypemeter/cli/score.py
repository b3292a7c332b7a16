"""``hypemeter score``: score records from files, partitions or stdin."""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial
from pathlib import Path

from hypemeter.cli.common import (
    Subparsers,
    announce_model,
    field_limit,
    input_format_options,
    positive_int,
    span_cap,
)
from hypemeter.records.results import DEFAULT_MAX_SPANS

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")
MODEL_HELP = ("model bundle or models folder (default: $HYPEMETER_MODELS_DIR, else your trained "
              "models once `hypemeter train` has published one, else the shipped model)")


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
    p.add_argument("input", nargs="?", default="-", metavar="FILE",
                   help="input file, directory or glob of partitions, or - for stdin "
                   "(default: -)")
    p.add_argument("--output", "-o", default="-", metavar="FILE",
                   help="output file or directory/ (default: - for stdout); not an input file, "
                   "nor the input directory")
    p.add_argument("--model", type=Path, default=None, metavar="PATH", help=MODEL_HELP)
    input_format_options(p, ("jsonl", "csv", "parquet"), "by file extension, JSONL for stdin")
    p.add_argument("--output-format", choices=OUTPUT_FORMATS, default=None, metavar="FORMAT",
                   help="output format, one of jsonl, csv, parquet (default: by the output's "
                   "file extension; JSONL for stdout and directories)")
    p.add_argument("--no-explain", action="store_true", help="skip spans (faster)")
    p.add_argument("--sentences", action="store_true",
                   help="also score every sentence (a \"sentences\" list in each result)")
    p.add_argument("--max-spans", type=span_cap, default=DEFAULT_MAX_SPANS, metavar="N",
                   help=f"at most N spans per record, the highest-weight ones, or 'all' "
                   f"(default: {DEFAULT_MAX_SPANS}, as the API's max_spans)")
    p.add_argument("--batch-size", type=positive_int, default=256, metavar="N",
                   help="records per scoring task")
    p.add_argument("--jobs", "-j", type=positive_int, default=None, metavar="N",
                   help="worker processes (local, default 1), or LocalCluster workers "
                   "(dask, default: one per CPU)")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local processes, or a dask.distributed cluster")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler address (default: start a LocalCluster)")
    p.add_argument("--server", default=None, metavar="URL",
                   help="score through a running hypemeter service, same output (default: "
                   "score here with a local model)")
    p.add_argument("--api-key", default=None,
                   help="the service's API key, with --server (default: none)")
    p.add_argument("--profile", default=None, metavar="NAME",
                   help="score as this profile (docs/profiles.md): with --server, the server "
                        "applies it; else its adapter is read from the feedback database "
                        "(default: no profile)")
    p.add_argument("--database", default=None, metavar="URL",
                   help="the feedback database holding the profile (default: "
                        "HYPEMETER_DATABASE_URL)")
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
                         batch_items=args.batch_size, profile=args.profile)
        print(f"hypemeter score: model of the service at {args.server}", file=sys.stderr)
        model_path = Path(args.model or ".")  # unused: the service scores
    else:
        model_path = announce_model("score", args.model)
    scorer = None
    if args.profile is not None and remote is None:
        from hypemeter.errors import InvalidInputError
        from hypemeter.profiles.commands import profiled_scorer

        if jobs != 1 or args.engine != "local":
            raise InvalidInputError("--profile scores in this process: use --jobs 1 and the "
                                    "local engine (or --server)")
        scorer = profiled_scorer(model_path, args.database, args.profile)
    stats = score_stream(
        args.input,
        args.output,
        model_path=model_path,
        fmt=args.input_format,
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
        scorer=scorer,
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
