"""``hypemeter evaluate``: a labelled file's metrics and report
(:func:`hypemeter.training.evaluate.evaluate_file`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hypemeter.cli.common import (
    Subparsers,
    announce_model,
    field_limit,
    input_format_options,
    positive_int,
)
from hypemeter.cli.score import MODEL_HELP
from hypemeter.errors import DataError

DEFAULT_OUT = Path("report")
REPORT_FILES = ("report.md", "metrics.json")


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "evaluate",
        help="evaluate the model on a labelled JSONL/CSV/Parquet file",
        description="Score a labelled file and write metrics.json, PNG plots (ROC, PR, "
        "reliability, score histograms) and report.md into a report folder. Rows with a "
        "missing or unknown label or bad JSON are reported with file:line and skipped. An "
        "existing report is never overwritten: without --out the report goes to report/, or "
        "report-2/, report-3/... when that already holds one; an --out folder that holds a "
        "report is refused unless --overwrite is given.",
    )
    p.add_argument("input", nargs="?", default=None, metavar="FILE",
                   help="labelled JSONL/CSV/Parquet file (or directory/glob of them)")
    p.add_argument("--data", default=None, metavar="FILE",
                   help="the same as FILE, the older spelling (default: FILE)")
    p.add_argument("--task", choices=("sensationalism", "misinformation"),
                   default="sensationalism",
                   help="which score the labels are for: sensationalism or misinformation "
                   "(the misinformation_risk score)")
    p.add_argument("--label-field", default="label", help="0/1/true/false field")
    p.add_argument("--target-field", default=None,
                   help="graded target in [0, 1] (default: truth_mean or target if present)")
    p.add_argument("--spans-field", default="spans",
                   help="gold spans: list of {field, start, end}")
    p.add_argument("--group-field", default=None,
                   help="field naming each row's outlet or corpus: metrics and a reliability "
                        "diagram per group (default: corpus, outlet or domain if present)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="report folder (default: report/, or report-2/, report-3/... if it "
                   "already holds a report)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the report in an existing --out folder")
    p.add_argument("--model", type=Path, default=None, metavar="PATH", help=MODEL_HELP)
    input_format_options(p, ("jsonl", "csv", "parquet"), "by file extension")
    p.add_argument("--batch-size", type=positive_int, default=256, metavar="N",
                   help="rows scored per model call")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def holds_report(folder: Path) -> bool:
    return any((folder / name).exists() for name in REPORT_FILES)


def report_dir(out: Path | None, overwrite: bool) -> Path:
    """Where the report goes: ``out`` unless it holds a report (refused without
    ``overwrite``); without ``out``, the first of report/, report-2/, ... holding none."""
    if out is not None:
        if holds_report(out) and not overwrite:
            raise DataError(f"{out} already holds a report; choose another --out, or pass "
                            "--overwrite to replace it")
        return out
    candidate, n = DEFAULT_OUT, 1
    while holds_report(candidate):
        n += 1
        candidate = DEFAULT_OUT.with_name(f"{DEFAULT_OUT.name}-{n}")
    return candidate


def run(args: argparse.Namespace) -> int:
    from hypemeter.training.evaluate import evaluate_file, summary

    if args.input is not None and args.data is not None and args.input != args.data:
        args.usage_parser.error("give the labelled file once: FILE or --data, not both")
    data = args.input if args.input is not None else args.data
    if data is None:
        args.usage_parser.error("the labelled FILE is required")
    max_field_chars = field_limit()
    out_dir = report_dir(args.out, args.overwrite)
    metrics = evaluate_file(
        data,
        model_path=announce_model("evaluate", args.model),
        out_dir=out_dir,
        task=args.task,
        label_field=args.label_field,
        target_field=args.target_field,
        spans_field=args.spans_field,
        group_field=args.group_field,
        fmt=args.input_format,
        batch_size=args.batch_size,
        quiet=args.quiet,
        max_field_chars=max_field_chars,
    )
    meta = metrics["meta"]
    print(f"evaluated {summary(metrics)}", file=sys.stderr)
    print(f"skipped {meta['skipped']} bad row(s); report in {out_dir / 'report.md'} "
          f"({meta['seconds']}s)", file=sys.stderr)
    return 0 if meta["skipped"] == 0 else 3
