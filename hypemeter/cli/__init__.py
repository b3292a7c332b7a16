"""The ``hypemeter`` command: serve, train, score, evaluate, suggest, datasets, db, feedback.

It sits on top of the core, ``hypemeter.service`` and ``hypemeter.training``: one module per
subcommand group builds its parser and turns the parsed arguments into a typed call; the
heavy parts are imported lazily, per subcommand. ``main`` prints every
:class:`~hypemeter.errors.HypemeterError` as ``hypemeter CMD: error: ...`` (status 2).

One family, argparse's conventions (see docs/command-line.md): every option has help text that
shows its default (:class:`~hypemeter.cli.common.HelpFormatter`), a mistyped option is reported
with the usage of the subcommand it was given to, and ``hypemeter --version`` prints the
version.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence

from hypemeter import __version__
from hypemeter.cli import datasets, db, evaluate, profiles, score, serve, suggest, train
from hypemeter.cli.common import HelpFormatter, leaf_parsers
from hypemeter.errors import HypemeterError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hypemeter",
        description="Score news text for sensationalism and misinformation risk.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help="print the version of hypemeter and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
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
    for _, p in leaf_parsers(parser):
        p.formatter_class = HelpFormatter
        p.set_defaults(usage_parser=p)  # the deepest parser wins: its usage on a bad option
    return parser


def reject_unknown(args: argparse.Namespace, extra: list[str]) -> None:
    """Report arguments no parser took with the usage of the subcommand they were given to
    (argparse would show the top-level usage), with a close option name when there is one."""
    p: argparse.ArgumentParser = args.usage_parser
    known = [o for action in p._actions for o in action.option_strings]
    hints = []
    for arg in extra:
        if arg.startswith("-"):
            close = difflib.get_close_matches(arg.split("=", 1)[0], known, n=1)
            if close:
                hints.append(f"{arg}: did you mean {close[0]}?")
    message = f"unrecognized arguments: {' '.join(extra)}"
    p.error(message + ("; " + "; ".join(hints) if hints else ""))


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
    args, extra = build_parser().parse_known_args(argv)
    if extra:
        reject_unknown(args, extra)
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
