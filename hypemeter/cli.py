"""The ``hypemeter`` command: serve, train, score, evaluate.

Subcommands import their heavy parts lazily; the core never imports ``training`` or
``service`` at module level.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from hypemeter.errors import HypemeterError
from hypemeter.paths import default_models_dir


def non_negative_int(text: str) -> int:
    """An argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _add_score(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_score)


def _cmd_score(args: argparse.Namespace) -> int:
    import os

    from hypemeter.batch import score_stream

    jobs = args.jobs
    if jobs is None:
        jobs = (os.cpu_count() or 2) if args.engine == "dask" else 1
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
    )
    bad_parts = f" ({stats.bad_partitions} unreadable partition(s))" if stats.bad_partitions \
        else ""
    print(
        f"scored {stats.scored} record(s) from {stats.partitions} partition(s), skipped "
        f"{stats.skipped} bad record(s){bad_parts}",
        file=sys.stderr,
    )
    return 0 if stats.skipped == 0 else 3


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model bundle from the corpora")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder holding the public corpora (see datasets/catalog.json; "
                   "default: $HYPEMETER_DATA_DIR, else ../shared/datasets beside the "
                   "repository; not needed with --corpora sample)")
    p.add_argument("--out", type=Path, default=None, help="models directory (default models/)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--corpora", default=None,
                   help="comma-separated corpus names to use (default: all found)")
    p.add_argument("--own-data", type=Path, action="append", default=[], metavar="FILE",
                   help="your own labelled JSONL in the sample corpus's format (repeatable)")
    p.add_argument("--no-sample", action="store_true",
                   help="leave out the project's own sample corpus")
    p.add_argument("--version", default=None, help="bundle version (default: a timestamp)")
    p.add_argument("--no-publish", action="store_true",
                   help="write the bundle without pointing models/current at it")
    p.set_defaults(func=_cmd_train)


def _cmd_train(args: argparse.Namespace) -> int:
    from hypemeter.training.train import train_command

    return train_command(args)


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve the REST API with uvicorn")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--model", type=Path, default=None, help="bundle or models directory")
    p.set_defaults(func=_cmd_serve)


def _cmd_serve(args: argparse.Namespace) -> int:
    from hypemeter.service.server import serve

    return serve(host=args.host, port=args.port, workers=args.workers, model=args.model)


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="evaluate the model on a labelled JSONL/CSV file",
        description="Score a labelled file and write metrics.json, PNG plots (ROC, PR, "
        "reliability, score histograms) and report.md. Rows with a missing or unknown "
        "label or bad JSON are reported with file:line and skipped.",
    )
    p.add_argument("--data", required=True,
                   help="labelled JSONL/CSV/Parquet file (or directory/glob of them)")
    p.add_argument("--task", choices=("sensationalism", "misinformation"),
                   default="sensationalism")
    p.add_argument("--label-field", default="label", help="0/1/true/false field (default label)")
    p.add_argument("--target-field", default=None,
                   help="graded target in [0, 1] (default: truth_mean or target if present)")
    p.add_argument("--spans-field", default="spans",
                   help="gold spans: list of {field, start, end} (default spans)")
    p.add_argument("--out", type=Path, default=Path("report"), help="report directory")
    p.add_argument("--model", type=Path, default=None, help="bundle or models directory")
    p.add_argument("--format", choices=("jsonl", "csv", "parquet"), default=None,
                   help="input format (default: by file extension)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_evaluate)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from hypemeter.training.evaluate import evaluate_command

    return evaluate_command(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hypemeter",
        description="Score news text for sensationalism and misinformation risk.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_serve(sub)
    _add_train(sub)
    _add_score(sub)
    _add_evaluate(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HypemeterError as exc:
        print(f"hypemeter {args.command}: error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
