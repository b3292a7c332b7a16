"""The ``hypemeter`` command: serve, train, score, evaluate, suggest, datasets, db, feedback.

Subcommands import their heavy parts lazily; the core never imports ``training`` or
``service`` at module level.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from hypemeter.errors import DataError, HypemeterError, InvalidSettingError
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
    p.add_argument("--server", default=None, metavar="URL",
                   help="score through a running hypemeter service (same output)")
    p.add_argument("--api-key", default=None, help="the service's API key (with --server)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_score)


def field_limit() -> int:
    """The per-field character limit, ``HYPEMETER_MAX_FIELD_CHARS``, read through the same
    settings object as the API (so the CLI and the API refuse the same records)."""
    from pydantic import ValidationError

    from hypemeter.service.settings import Settings

    try:
        return Settings().max_field_chars
    except ValidationError as exc:
        problems = "; ".join(
            f"HYPEMETER_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise InvalidSettingError(f"invalid setting: {problems}") from None


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
        max_field_chars=field_limit(),
        server=args.server,
        api_key=args.api_key,
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
                   help="folder holding the public corpora (`hypemeter datasets fetch`; "
                   "default: $HYPEMETER_DATA_DIR, else the user data folder; not needed "
                   "with --corpora sample)")
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
    p.add_argument("--feedback", nargs="?", const="", default=None, metavar="URL",
                   help="also train on the corrections in the feedback database (URL; "
                   "default $HYPEMETER_DATABASE_URL, else the default SQLite file), as own "
                   "data")
    p.set_defaults(func=_cmd_train)


def _cmd_train(args: argparse.Namespace) -> int:
    from hypemeter.training.train import train_command

    if args.feedback is None:
        return train_command(args)
    from hypemeter.errors import StorageUnavailableError
    from hypemeter.storage.commands import with_reason
    from hypemeter.storage.export import exported_feedback

    try:
        with exported_feedback(args.feedback or None) as (path, n):
            print(f"feedback: {n} correction(s) from the database", file=sys.stderr)
            if n:
                args.own_data = [*args.own_data, path]
            return train_command(args)
    except StorageUnavailableError as exc:
        raise with_reason(exc) from exc


DATABASE_HELP = ("database URL (default $HYPEMETER_DATABASE_URL, else feedback.db in the user "
                 "data folder)")


def _add_db(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="the feedback database")
    db_sub = p.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="create or migrate the schema to the newest revision")
    up.add_argument("--database", default=None, metavar="URL", help=DATABASE_HELP)
    up.set_defaults(func=_cmd_db_upgrade)


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from hypemeter.storage.commands import db_upgrade_command

    return db_upgrade_command(args)


def _add_feedback(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("feedback", help="corrections sent to POST /v1/feedback")
    fb_sub = p.add_subparsers(dest="feedback_command", required=True)
    ex = fb_sub.add_parser(
        "export",
        help="write the corrections as own-data JSONL, oldest first",
        description="One JSON object per line: id, headline, body, the labels given "
        "(sensational, misinformation), spans, created_at, model_version, source. The output "
        "file is written whole or not at all.",
    )
    ex.add_argument("--database", default=None, metavar="URL", help=DATABASE_HELP)
    ex.add_argument("--since", default=None, metavar="TIME",
                    help="only corrections from this ISO-8601 time on (e.g. 2026-12-01T00:00Z)")
    ex.add_argument("--output", "-o", default=None, metavar="FILE",
                    help="output file (default stdout)")
    ex.set_defaults(func=_cmd_feedback_export)


def _cmd_feedback_export(args: argparse.Namespace) -> int:
    from hypemeter.storage.commands import feedback_export_command

    return feedback_export_command(args)


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

    args.max_field_chars = field_limit()
    return evaluate_command(args)


def _add_datasets(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("datasets", help="list the public corpora, or fetch them")
    dsub = p.add_subparsers(dest="action", required=True)
    for name, help_text in (("list", "each corpus: tasks, licence, state in the data dir"),
                            ("fetch", "download, verify (sha256) and unpack corpora")):
        q = dsub.add_parser(name, help=help_text)
        if name == "fetch":
            q.add_argument("names", nargs="*", metavar="NAME", help="corpora (default: all)")
            q.add_argument("--download-dir", type=Path, default=None,
                           help="where downloads are kept to resume them (default: the "
                           "user cache folder)")
            q.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
        q.add_argument("--data-dir", type=Path, default=None,
                       help="folder of corpus folders (default: $HYPEMETER_DATA_DIR, else "
                       "the user data folder)")
        q.add_argument("--catalog", type=Path, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_datasets)


def _cmd_datasets(args: argparse.Namespace) -> int:
    from hypemeter.training.corpora import datasets_cmd as cmd

    if args.action == "list":
        return cmd.list_corpora(args.data_dir, args.catalog)
    return cmd.fetch_corpora(args.names, args.data_dir, download_dir=args.download_dir,
                             catalog=args.catalog, quiet=args.quiet)


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    value = non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _add_suggest(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "suggest",
        help="pick the unlabelled articles whose labels would teach the model most",
        description="Score unlabelled JSONL/CSV records {id, headline, body} and pick the N "
        "the model is least sure about (scores near the decision threshold), skipping near-"
        "duplicates and preferring articles unlike those already picked. Writes the picked "
        "records as JSONL, best first, each with a 'suggestion' (rank, scores, uncertainty) "
        "and 'input' (file, line). Bad records are reported with file:line and skipped.",
    )
    p.add_argument("input", help="JSONL or CSV file of unlabelled articles, or - for stdin")
    p.add_argument("--n", type=positive_int, default=50, help="how many to pick (default 50)")
    p.add_argument("--output", "-o", default="-", help="output JSONL file (default stdout)")
    p.add_argument("--model", type=Path, default=None, help="bundle or models directory")
    p.add_argument("--format", choices=("jsonl", "csv"), default=None,
                   help="input format (default: by file extension, JSONL for stdin)")
    p.add_argument("--task", choices=("both", "sensationalism", "misinformation"),
                   default="both", help="the score(s) whose uncertainty counts (default both)")
    p.add_argument("--diversity", type=float, default=0.5,
                   help="penalty per unit of similarity to an earlier pick (default 0.5)")
    p.set_defaults(func=_cmd_suggest)


def _cmd_suggest(args: argparse.Namespace) -> int:
    from hypemeter.scoring import load_scorer
    from hypemeter.suggest import suggest_file, thresholds_of, write_whole

    if args.input != "-" and not Path(args.input).is_file():
        raise DataError(f"input file {args.input} does not exist")
    bundle = load_scorer(args.model or default_models_dir()).bundle
    read, skipped, picked = write_whole(args.output, lambda out: suggest_file(
        args.input, bundle.model, args.n, out, fmt=args.format, task=args.task,
        thresholds=thresholds_of(bundle.card), diversity=args.diversity))
    print(f"picked {picked} of {read - skipped} record(s), skipped {skipped} bad record(s)",
          file=sys.stderr)
    return 0 if skipped == 0 else 3


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
    _add_datasets(sub)
    _add_db(sub)
    _add_feedback(sub)
    _add_suggest(sub)
    return parser


# The exit status when the reader of stdout goes away (`hypemeter score f | head`): what a
# shell reports for a program ended by SIGPIPE, 128 + 13.
BROKEN_PIPE_STATUS = 141


def _detach_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so the interpreter's last flush of a closed pipe
    does not fail again (and print a second error) at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout (embedded, tests)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe or a full disk shows here, not at exit
        return status
    except BrokenPipeError:  # the reader of our output went away: stop quietly
        _detach_stdout()
        return BROKEN_PIPE_STATUS
    except HypemeterError as exc:
        print(f"hypemeter {args.command}: error: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:  # stdout on a full disk (score's own output files say more)
        where = f" {exc.filename}" if exc.filename else ""
        print(f"hypemeter {args.command}: error: cannot write{where}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
