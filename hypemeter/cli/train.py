"""``hypemeter train``: fit and publish a bundle (:func:`hypemeter.training.train.train_bundle`),
optionally on the feedback database's corrections as own data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hypemeter.cli.common import Subparsers
from hypemeter.paths import default_models_dir


def add_parser(sub: Subparsers) -> None:
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
    p.add_argument("--profile", default=None, metavar="NAME",
                   help="with --feedback: only this profile's corrections (default: every "
                   "correction, the shared ones and every profile's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.feedback is None:
        return train(args, args.own_data)
    from hypemeter.errors import StorageUnavailableError
    from hypemeter.storage.commands import with_reason
    from hypemeter.storage.export import exported_feedback, feedback_sources

    try:
        with exported_feedback(args.feedback or None, args.profile) as (path, n):
            if args.profile is not None:
                whose = f"profile {args.profile}"
            else:
                sources = feedback_sources(args.feedback or None)
                whose = ", ".join(f"{'shared' if p is None else 'profile ' + p}: {c}"
                                  for p, c in sorted(sources.items(),
                                                     key=lambda pc: (pc[0] is not None,
                                                                     pc[0] or "")))
            print(f"feedback: {n} correction(s) from the database ({whose or 'none'})",
                  file=sys.stderr)
            return train(args, [*args.own_data, path] if n else args.own_data)
    except StorageUnavailableError as exc:
        raise with_reason(exc) from exc


def train(args: argparse.Namespace, own_files: list[Path]) -> int:
    from hypemeter.training.train import resolve_data_dir, train_bundle

    corpora = [c.strip() for c in args.corpora.split(",")] if args.corpora else None
    train_bundle(
        resolve_data_dir(args.data_dir, corpora),
        args.out or default_models_dir(),
        seed=args.seed,
        corpora=corpora,
        include_sample=not args.no_sample,
        version=args.version,
        publish=not args.no_publish,
        log=lambda msg: print(msg, file=sys.stderr),
        own_files=own_files,
    )
    return 0
