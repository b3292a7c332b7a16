"""``hypemeter suggest``: the unlabelled articles worth labelling next
(:mod:`hypemeter.training.suggest`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hypemeter.cli.common import Subparsers, positive_int
from hypemeter.errors import DataError
from hypemeter.paths import default_models_dir


def add_parser(sub: Subparsers) -> None:
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
    p.add_argument("--profile", default=None, metavar="NAME",
                   help="rank by the uncertainty of this profile's adapted scores (its adapter "
                        "read from the feedback database)")
    p.add_argument("--database", default=None, metavar="URL",
                   help="the feedback database holding the profile")
    p.add_argument("--diversity", type=float, default=0.5,
                   help="penalty per unit of similarity to an earlier pick (default 0.5)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hypemeter.scoring.scorer import load_scorer
    from hypemeter.training.suggest import suggest_file, thresholds_of, write_whole

    if args.input != "-" and not Path(args.input).is_file():
        raise DataError(f"input file {args.input} does not exist")
    scorer = load_scorer(args.model or default_models_dir())
    bundle = scorer.bundle
    model = bundle.model
    if args.profile is not None:
        from hypemeter.profiles.commands import profiled_scorer

        model = profiled_scorer(args.model or default_models_dir(), args.database, args.profile)
    read, skipped, picked = write_whole(args.output, lambda out: suggest_file(
        args.input, model, args.n, out, fmt=args.format, task=args.task,
        thresholds=thresholds_of(bundle.card), diversity=args.diversity))
    print(f"picked {picked} of {read - skipped} record(s), skipped {skipped} bad record(s)",
          file=sys.stderr)
    return 0 if skipped == 0 else 3
