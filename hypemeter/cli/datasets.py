"""``hypemeter datasets list|fetch``: the public corpora of the catalog."""

from __future__ import annotations

import argparse
from pathlib import Path

from hypemeter.cli.common import Subparsers


def add_parser(sub: Subparsers) -> None:
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hypemeter.training.corpora import datasets_cmd as cmd

    if args.action == "list":
        return cmd.list_corpora(args.data_dir, args.catalog)
    return cmd.fetch_corpora(args.names, args.data_dir, download_dir=args.download_dir,
                             catalog=args.catalog, quiet=args.quiet)
