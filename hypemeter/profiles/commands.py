"""``hypemeter profiles ...`` and ``hypemeter keys ...`` with typed arguments (the CLI,
:mod:`hypemeter.cli.profiles`, parses; this runs), and the adapter a local ``hypemeter score
--profile`` applies. They work on the feedback database directly (``--database`` or
``HYPEMETER_DATABASE_URL``), as the server does."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypemeter.errors import StorageUnavailableError, UnknownProfileError
from hypemeter.profiles.apply import LoadedAdapter, ProfiledScorer
from hypemeter.profiles.codec import AdapterRejectedError, decode, public_head
from hypemeter.profiles.fitting import fit_claimed, load_stored
from hypemeter.scoring.scorer import load_scorer
from hypemeter.storage.commands import with_reason
from hypemeter.storage.profiles import ProfileStore
from hypemeter.storage.records import iso_utc
from hypemeter.storage.store import FeedbackStore

CLI_HOLDER = "cli"


@contextmanager
def opened(database: str | None) -> Iterator[ProfileStore]:
    store = FeedbackStore(database)
    try:
        yield ProfileStore(store)
    except StorageUnavailableError as exc:
        raise with_reason(exc) from exc
    finally:
        store.close()


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def profiles_create(database: str | None, name: str, description: str | None) -> int:
    with opened(database) as profiles:
        created = profiles.create(name, description)
    _print(created.to_item())
    return 0


def profiles_list(database: str | None) -> int:
    with opened(database) as profiles:
        for p in profiles.list():
            print(f"{p.name}\t{iso_utc(p.created_at)}\tadapter {p.adapter_version or '-'}\t"
                  f"{p.description or ''}")
    return 0


def profile_show(database: str | None, name: str) -> int:
    with opened(database) as profiles:
        profile = profiles.require(name)
        out: dict[str, Any] = {**profile.to_item(),
                               "corrections": profiles.correction_counts(name),
                               "adapter": None}
        stored = profiles.load_adapter(name)
        if stored is not None:
            try:
                meta = decode(stored.meta, stored.arrays, stored.checksum).meta
                heads = {h: public_head(spec)
                         for h, spec in meta["heads"].items()}
            except AdapterRejectedError as exc:
                heads = {"refused": exc.message}
            out["adapter"] = {"version": stored.version, "fitted_at": iso_utc(stored.fitted_at),
                              "base_model_version": stored.base_model_version,
                              "active": profile.adapter_version == stored.version,
                              "heads": heads}
    _print(out)
    return 0


def profile_fit(database: str | None, name: str, model: Path) -> int:
    """Fit now, in this process, on ``model`` (taking the fit lease like a server worker)."""
    scorer = load_scorer(model)
    with opened(database) as profiles:
        profiles.require(name)
        profiles.request_fit(name)
        claim = profiles.claim(name, CLI_HOLDER, ttl=600, model=scorer.version)
        if claim is None:
            print(f"profile {name!r} is being fitted by a server right now; its adapter will "
                  "be stored when that fit ends", file=sys.stderr)
            return 1
        outcome = fit_claimed(profiles, scorer, claim)
    print(f"profile {name}: adapter version {outcome.version} "
          f"({'active' if outcome.active else 'not active: the base scores are served'}), "
          f"labels {outcome.labels}, {outcome.seconds:.2f} s", file=sys.stderr)
    return 0


def profile_delete(database: str | None, name: str) -> int:
    with opened(database) as profiles:
        if not profiles.delete(name):
            raise UnknownProfileError(f"no profile named {name!r}", field="profile")
    print(f"deleted profile {name} with its corrections, adapters and keys", file=sys.stderr)
    return 0


def keys_create(database: str | None, profile: str, role: str) -> int:
    with opened(database) as profiles:
        record, secret = profiles.create_key(profile, role)
    _print({**record.to_item(), "key": secret})
    print("the key is shown this once; only its SHA-256 is stored", file=sys.stderr)
    return 0


def keys_list(database: str | None, profile: str | None) -> int:
    with opened(database) as profiles:
        for k in profiles.list_keys(profile):
            print(f"{k.key_id}\t{k.profile}\t{k.role}\t{iso_utc(k.created_at)}")
    return 0


def keys_revoke(database: str | None, key_id: str) -> int:
    with opened(database) as profiles:
        if not profiles.revoke_key(key_id):
            raise UnknownProfileError(f"no key with id {key_id!r}", field="key_id")
    print(f"revoked key {key_id}", file=sys.stderr)
    return 0


def profiled_scorer(model: Path, database: str | None, name: str) -> ProfiledScorer:
    """The shipped (or given) model scoring as ``name``, its active adapter read from the
    database (the base scores when it has none, or one fitted on another model)."""
    scorer = load_scorer(model)
    loaded: LoadedAdapter | None = None
    with opened(database) as profiles:
        profile = profiles.require(name)
        active = profiles.active_versions([name], model=scorer.version).get(name)
        if active is not None:
            stored = profiles.load_adapter(name, active)
        elif profile.adapter_version is not None:  # fitted on another model: said below
            stored = profiles.load_adapter(name, profile.adapter_version)
        else:
            stored = None
        if stored is not None:
            try:
                loaded = load_stored(stored)
            except AdapterRejectedError as exc:
                print(f"warning: {exc.message}; scoring with the base model", file=sys.stderr)
    if loaded is not None and loaded.base_model_version != scorer.version:
        print(f"warning: profile {name}'s adapter was fitted on model "
              f"{loaded.base_model_version}, not {scorer.version}: base scores (run "
              f"`hypemeter profiles fit {name}`)", file=sys.stderr)
    return ProfiledScorer(scorer, name, loaded)
