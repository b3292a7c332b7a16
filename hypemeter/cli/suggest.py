"""``hypemeter suggest``: the unlabelled articles worth labelling next
(:mod:`hypemeter.training.suggest`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hypemeter.cli.common import (
    Subparsers,
    announce_model,
    input_format_options,
    positive_int,
)
from hypemeter.cli.score import MODEL_HELP
from hypemeter.errors import DataError

OUTPUT_FORMATS = ("jsonl", "csv")


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "suggest",
        help="pick the unlabelled articles whose labels would teach the model most",
        description="Score unlabelled JSONL/CSV records {id, headline, body} and pick the N "
        "the model is least sure about (scores near the decision threshold), skipping near-"
        "duplicates and preferring articles unlike those already picked. Writes the picked "
        "records, best first, each with a 'suggestion' (rank, scores, uncertainty) and "
        "'input' (file, line): JSONL, or CSV when the output ends in .csv or --output-format "
        "csv says so (the same output rules as `hypemeter score`; in CSV, 'suggestion' and "
        "'input' are JSON text). Bad records are reported with file:line and skipped.",
    )
    p.add_argument("input", metavar="FILE",
                   help="JSONL or CSV file of unlabelled articles, or - for stdin")
    p.add_argument("--n", type=positive_int, default=50, help="how many to pick")
    p.add_argument("--output", "-o", default="-", metavar="FILE",
                   help="output file (default: - for stdout)")
    p.add_argument("--model", type=Path, default=None, metavar="PATH", help=MODEL_HELP)
    input_format_options(p, ("jsonl", "csv"), "by file extension, JSONL for stdin")
    p.add_argument("--output-format", choices=OUTPUT_FORMATS, default=None, metavar="FORMAT",
                   help="output format, jsonl or csv (default: by the output's file "
                   "extension; JSONL for stdout)")
    p.add_argument("--task", choices=("both", "sensationalism", "misinformation"),
                   default="both", help="the score(s) whose uncertainty counts")
    p.add_argument("--profile", default=None, metavar="NAME",
                   help="rank by the uncertainty of this profile's adapted scores (its adapter "
                        "read from the feedback database; default: no profile)")
    p.add_argument("--database", default=None, metavar="URL",
                   help="the feedback database holding the profile (default: "
                        "HYPEMETER_DATABASE_URL)")
    p.add_argument("--diversity", type=float, default=0.5,
                   help="penalty per unit of similarity to an earlier pick")
    p.set_defaults(func=run)


def output_format(output: str, given: str | None) -> str:
    """``given``, else by the output's extension (JSONL for stdout): the rule of ``score``."""
    from hypemeter.records.io import format_of

    fmt = given or ("jsonl" if output == "-" else format_of(output))
    if fmt not in OUTPUT_FORMATS:
        raise DataError(f"suggest writes JSONL or CSV, not {fmt} ({output}): use a .jsonl or "
                        ".csv output, or --output-format")
    return fmt


def run(args: argparse.Namespace) -> int:
    from hypemeter.scoring.scorer import load_scorer
    from hypemeter.training.suggest import suggest_file, thresholds_of, write_whole

    if args.input != "-" and not Path(args.input).is_file():
        raise DataError(f"input file {args.input} does not exist")
    fmt = output_format(args.output, args.output_format)
    model_path = announce_model("suggest", args.model)
    bundle = load_scorer(model_path).bundle
    model = bundle.model
    if args.profile is not None:
        from hypemeter.profiles.commands import profiled_scorer

        model = profiled_scorer(model_path, args.database, args.profile)
    read, skipped, picked = write_whole(args.output, lambda out: suggest_file(
        args.input, model, args.n, out, fmt=args.input_format, task=args.task,
        thresholds=thresholds_of(bundle.card), diversity=args.diversity, output_format=fmt))
    print(f"picked {picked} of {read - skipped} record(s), skipped {skipped} bad record(s)",
          file=sys.stderr)
    return 0 if skipped == 0 else 3
