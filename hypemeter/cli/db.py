"""``hypemeter db upgrade`` and ``hypemeter feedback export``: the feedback database
(:mod:`hypemeter.storage.commands` runs them with typed arguments)."""

from __future__ import annotations

import argparse

from hypemeter.cli.common import DATABASE_HELP, Subparsers


def add_db_parser(sub: Subparsers) -> None:
    p = sub.add_parser("db", help="the feedback database")
    db_sub = p.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="create or migrate the schema to the newest revision")
    up.add_argument("--database", default=None, metavar="URL", help=DATABASE_HELP)
    up.set_defaults(func=run_db_upgrade)


def run_db_upgrade(args: argparse.Namespace) -> int:
    from hypemeter.storage.commands import db_upgrade

    return db_upgrade(args.database)


def add_feedback_parser(sub: Subparsers) -> None:
    p = sub.add_parser("feedback", help="corrections sent to POST /v1/feedback")
    fb_sub = p.add_subparsers(dest="feedback_command", required=True)
    ex = fb_sub.add_parser(
        "export",
        help="write the corrections as own-data JSONL, oldest first",
        description="One JSON object per line: id (the article id sent with the correction, "
        "null when none), feedback_id (the correction's own id), headline, body, the labels "
        "given (sensational, misinformation), spans, created_at, model_version. The output "
        "file is written whole or not at all.",
    )
    ex.add_argument("--database", default=None, metavar="URL", help=DATABASE_HELP)
    ex.add_argument("--since", default=None, metavar="TIME",
                    help="only corrections from this ISO-8601 time on, e.g. 2026-12-01T00:00Z "
                    "(default: all)")
    ex.add_argument("--output", "-o", default=None, metavar="FILE",
                    help="output file (default: stdout)")
    ex.add_argument("--profile", default=None, metavar="NAME",
                    help="only this profile's corrections (default: every correction)")
    ex.set_defaults(func=run_feedback_export)


def run_feedback_export(args: argparse.Namespace) -> int:
    from hypemeter.storage.commands import feedback_export

    return feedback_export(args.database, since=args.since, output=args.output,
                           profile=args.profile)
