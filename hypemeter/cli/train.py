"""``hypemeter train``: fit and publish a bundle (:func:`hypemeter.training.train.train_bundle`),
optionally on the feedback database's corrections as own data.

Bundles go to ``--out``, else ``$HYPEMETER_MODELS_DIR``, else ``models/`` in the user data
folder (:func:`hypemeter.paths.train_models_dir`), where ``serve`` and ``score`` find them
before the shipped model. The shipped ``models/`` is written only when named with ``--out``.
Everything that can be checked is checked before any work: corpus names, the data dir, the
output folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hypemeter.cli.common import Subparsers
from hypemeter.errors import DataError


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "train", help="train a model bundle from the corpora",
        description="Train a model bundle, write it under the models folder and publish it as "
        "that folder's current model. Without --out it goes to $HYPEMETER_MODELS_DIR, else to "
        "models/ in your user data folder, where serve, score, evaluate and suggest find it "
        "before the shipped model; the shipped models/ is written only when named with --out. "
        "Unknown --corpora names stop before any work (status 2).",
    )
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder holding the public corpora (`hypemeter datasets fetch`; "
                   "default: $HYPEMETER_DATA_DIR, else the user data folder; not needed "
                   "with --corpora sample)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="models folder to write the bundle into (default: "
                   "$HYPEMETER_MODELS_DIR, else models/ in the user data folder, e.g. "
                   "~/.local/share/hypemeter/models)")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed of the split and the learners (same seed, same data: "
                   "the same model)")
    p.add_argument("--corpora", default=None, metavar="NAMES",
                   help="comma-separated corpus names to use (default: all found; `hypemeter "
                   "datasets list` shows them, plus 'sample')")
    p.add_argument("--own-data", type=Path, action="append", default=[], metavar="FILE",
                   help="your own labelled JSONL in the sample corpus's format (repeatable; "
                   "default: none)")
    p.add_argument("--no-sample", action="store_true",
                   help="leave out the project's own sample corpus")
    p.add_argument("--version", default=None, help="bundle version (default: a timestamp)")
    p.add_argument("--no-publish", action="store_true",
                   help="write the bundle without pointing the folder's current at it")
    p.add_argument("--feedback", nargs="?", const="", default=None, metavar="URL",
                   help="also train on the corrections in the feedback database (URL; "
                   "default $HYPEMETER_DATABASE_URL, else the default SQLite file), as own "
                   "data")
    p.add_argument("--profile", default=None, metavar="NAME",
                   help="with --feedback: only this profile's corrections (default: every "
                   "correction, the shared ones and every profile's)")
    p.set_defaults(func=run)


def output_dir(out: Path | None) -> Path:
    """``--out``, else :func:`hypemeter.paths.train_models_dir`, which must not be the
    shipped models folder (``$HYPEMETER_MODELS_DIR`` pointing at it needs ``--out``)."""
    from hypemeter.paths import is_shipped, train_models_dir

    if out is not None:
        return out
    target = train_models_dir()
    if is_shipped(target):
        raise DataError(f"{target} holds the shipped model ($HYPEMETER_MODELS_DIR points at "
                        f"it): pass --out {target} to write there on purpose, or --out "
                        "another folder")
    return target


def run(args: argparse.Namespace) -> int:
    from hypemeter.training.train import resolve_data_dir

    corpora = [c.strip() for c in args.corpora.split(",") if c.strip()] if args.corpora \
        else None
    data_dir = resolve_data_dir(args.data_dir, corpora)  # unknown names first, then the dir
    out = output_dir(args.out)
    print(f"hypemeter train: writing the bundle to {out}", file=sys.stderr)
    if args.feedback is None:
        return train(args, corpora, data_dir, out, args.own_data)
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
            own = [*args.own_data, path] if n else args.own_data
            return train(args, corpora, data_dir, out, own)
    except StorageUnavailableError as exc:
        raise with_reason(exc) from exc


def train(args: argparse.Namespace, corpora: list[str] | None, data_dir: Path, out: Path,
          own_files: list[Path]) -> int:
    from hypemeter.training.train import train_bundle

    train_bundle(
        data_dir,
        out,
        seed=args.seed,
        corpora=corpora,
        include_sample=not args.no_sample,
        version=args.version,
        publish=not args.no_publish,
        log=lambda msg: print(msg, file=sys.stderr),
        own_files=own_files,
    )
    return 0
