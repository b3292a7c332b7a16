"""``hypemeter evaluate``: a labelled file's metrics and report
(:func:`hypemeter.training.evaluate.evaluate_file`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hypemeter.cli.common import Subparsers, field_limit
from hypemeter.paths import default_models_dir


def add_parser(sub: Subparsers) -> None:
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
    p.add_argument("--group-field", default=None,
                   help="field naming each row's outlet or corpus: metrics and a reliability "
                        "diagram per group (default: corpus, outlet or domain if present)")
    p.add_argument("--out", type=Path, default=Path("report"), help="report directory")
    p.add_argument("--model", type=Path, default=None, help="bundle or models directory")
    p.add_argument("--format", choices=("jsonl", "csv", "parquet"), default=None,
                   help="input format (default: by file extension)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hypemeter.training.evaluate import evaluate_file, summary

    max_field_chars = field_limit()
    out_dir = Path(args.out)
    metrics = evaluate_file(
        args.data,
        model_path=args.model or default_models_dir(),
        out_dir=out_dir,
        task=args.task,
        label_field=args.label_field,
        target_field=args.target_field,
        spans_field=args.spans_field,
        group_field=args.group_field,
        fmt=args.format,
        batch_size=args.batch_size,
        quiet=args.quiet,
        max_field_chars=max_field_chars,
    )
    meta = metrics["meta"]
    print(f"evaluated {summary(metrics)}", file=sys.stderr)
    print(f"skipped {meta['skipped']} bad row(s); report in {out_dir / 'report.md'} "
          f"({meta['seconds']}s)", file=sys.stderr)
    return 0 if meta["skipped"] == 0 else 3
