"""The ``hypemeter`` command: serve, train, score, evaluate, suggest, datasets, db, feedback.

It sits on top of the core, ``hypemeter.service`` and ``hypemeter.training``: one module per
subcommand group builds its parser and turns the parsed arguments into a typed call; the
heavy parts are imported lazily, per subcommand. ``main`` prints every
:class:`~hypemeter.errors.HypemeterError` as ``hypemeter CMD: error: ...`` (status 2).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from hypemeter.cli import datasets, db, evaluate, profiles, score, serve, suggest, train
from hypemeter.errors import HypemeterError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hypemeter",
        description="Score news text for sensationalism and misinformation risk.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve.add_parser(sub)
    train.add_parser(sub)
    score.add_parser(sub)
    evaluate.add_parser(sub)
    datasets.add_parser(sub)
    db.add_db_parser(sub)
    db.add_feedback_parser(sub)
    suggest.add_parser(sub)
    profiles.add_profiles_parser(sub)
    profiles.add_keys_parser(sub)
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


__all__ = ["BROKEN_PIPE_STATUS", "build_parser", "main"]
