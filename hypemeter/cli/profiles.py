"""``hypemeter profiles create|list|show|fit|delete`` and ``hypemeter keys
create|list|revoke`` (:mod:`hypemeter.profiles.commands` runs them with typed arguments).

Every one of them is built by :func:`_command`: its arguments, then ``--database``, and it
runs ``commands.<run>(database, *its arguments in order)``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypemeter.cli.common import DATABASE_HELP, Subparsers

# one argument of a subcommand: add_argument's flags and keywords
Arg = tuple[tuple[str, ...], dict[str, Any]]
NAME: Arg = (("name",), {"help": "the profile's name"})


def _command(group: Subparsers, name: str, help: str, run: str, *args: Arg,
             func: Callable[[argparse.Namespace], int] | None = None) -> None:
    """Add subcommand ``name`` to ``group``, running ``commands.<run>`` (or ``func``)."""
    p = group.add_parser(name, help=help)
    dests = [p.add_argument(*flags, **options).dest for flags, options in args]
    p.add_argument("--database", default=None, metavar="URL", help=DATABASE_HELP)
    p.set_defaults(func=func or (
        lambda a: _run(run, a.database, *(getattr(a, dest) for dest in dests))))


def add_profiles_parser(sub: Subparsers) -> None:
    p = sub.add_parser("profiles", help="per-newsroom adaptations (docs/profiles.md)")
    ps = p.add_subparsers(dest="profiles_command", required=True)
    _command(ps, "create", "create a profile", "profiles_create",
             (("name",), {"help": "the profile's name: ^[a-z0-9][a-z0-9_.-]{0,63}$"}),
             (("--description",), {"default": None, "help": "free text (default: none)"}))
    _command(ps, "list", "list the profiles", "profiles_list")
    _command(ps, "show", "a profile's corrections and adapter, as JSON", "profile_show", NAME)
    _command(ps, "fit", "fit the profile's adapter now, in this process", "profile_fit", NAME,
             (("--model",), {"type": Path, "default": None, "metavar": "PATH",
                             "help": "bundle or models directory (default: the model serve "
                             "would load)"}), func=run_fit)
    _command(ps, "delete", "delete a profile with its corrections, adapters, keys",
             "profile_delete", NAME)


def add_keys_parser(sub: Subparsers) -> None:
    p = sub.add_parser("keys", help="API keys scoped to a profile")
    ks = p.add_subparsers(dest="keys_command", required=True)
    _command(ks, "create", "create a key (shown once)", "keys_create",
             (("--profile",), {"required": True, "metavar": "NAME",
                               "help": "the profile the key is scoped to (required)"}),
             (("--role",), {"choices": ("score", "correct"), "required": True,
                            "help": "score: score as the profile; correct: also post, list, "
                            "export and delete its corrections (required)"}))
    _command(ks, "list", "list the keys (never the keys themselves)", "keys_list",
             (("--profile",), {"default": None, "metavar": "NAME",
                               "help": "only this profile's keys (default: all)"}))
    _command(ks, "revoke", "revoke a key by its key_id", "keys_revoke",
             (("key_id",), {"help": "the key_id that keys list shows"}))


def _run(name: str, *args: object) -> int:
    from hypemeter.profiles import commands

    return int(getattr(commands, name)(*args))


def run_fit(args: argparse.Namespace) -> int:
    from hypemeter.paths import default_models_dir

    return _run("profile_fit", args.database, args.name, args.model or default_models_dir())
