"""``hypemeter profiles create|list|show|fit|delete`` and ``hypemeter keys
create|list|revoke`` (:mod:`hypemeter.profiles.commands` runs them with typed arguments)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hypemeter.cli.common import DATABASE_HELP, Subparsers


def _db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database", default=None, metavar="URL", help=DATABASE_HELP)


def add_profiles_parser(sub: Subparsers) -> None:
    p = sub.add_parser("profiles", help="per-newsroom adaptations (docs/profiles.md)")
    ps = p.add_subparsers(dest="profiles_command", required=True)
    c = ps.add_parser("create", help="create a profile")
    c.add_argument("name", help="the profile's name: ^[a-z0-9][a-z0-9_.-]{0,63}$")
    c.add_argument("--description", default=None, help="free text (default: none)")
    _db(c)
    c.set_defaults(func=lambda a: _run("profiles_create", a.database, a.name, a.description))
    ls = ps.add_parser("list", help="list the profiles")
    _db(ls)
    ls.set_defaults(func=lambda a: _run("profiles_list", a.database))
    sh = ps.add_parser("show", help="a profile's corrections and adapter, as JSON")
    sh.add_argument("name", help="the profile's name")
    _db(sh)
    sh.set_defaults(func=lambda a: _run("profile_show", a.database, a.name))
    fit = ps.add_parser("fit", help="fit the profile's adapter now, in this process")
    fit.add_argument("name", help="the profile's name")
    fit.add_argument("--model", type=Path, default=None, metavar="PATH",
                     help="bundle or models directory (default: the model serve would load)")
    _db(fit)
    fit.set_defaults(func=run_fit)
    de = ps.add_parser("delete", help="delete a profile with its corrections, adapters, keys")
    de.add_argument("name", help="the profile's name")
    _db(de)
    de.set_defaults(func=lambda a: _run("profile_delete", a.database, a.name))


def add_keys_parser(sub: Subparsers) -> None:
    p = sub.add_parser("keys", help="API keys scoped to a profile")
    ks = p.add_subparsers(dest="keys_command", required=True)
    c = ks.add_parser("create", help="create a key (shown once)")
    c.add_argument("--profile", required=True, metavar="NAME",
                   help="the profile the key is scoped to (required)")
    c.add_argument("--role", choices=("score", "correct"), required=True,
                   help="score: score as the profile; correct: also post, list, export and "
                   "delete its corrections (required)")
    _db(c)
    c.set_defaults(func=lambda a: _run("keys_create", a.database, a.profile, a.role))
    ls = ks.add_parser("list", help="list the keys (never the keys themselves)")
    ls.add_argument("--profile", default=None, metavar="NAME",
                    help="only this profile's keys (default: all)")
    _db(ls)
    ls.set_defaults(func=lambda a: _run("keys_list", a.database, a.profile))
    rv = ks.add_parser("revoke", help="revoke a key by its key_id")
    rv.add_argument("key_id", help="the key_id that keys list shows")
    _db(rv)
    rv.set_defaults(func=lambda a: _run("keys_revoke", a.database, a.key_id))


def _run(name: str, *args: object) -> int:
    from hypemeter.profiles import commands

    return int(getattr(commands, name)(*args))


def run_fit(args: argparse.Namespace) -> int:
    from hypemeter.paths import default_models_dir

    return _run("profile_fit", args.database, args.name, args.model or default_models_dir())
