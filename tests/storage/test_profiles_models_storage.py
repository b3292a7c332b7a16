"""Profile adapters keyed by base model version (hypemeter.storage.profiles with ``model=``):
replicas serving different base models on one database each see their own model's active
adapter and due fits, and one model's fits never switch off, delete or cover another's. On
SQLite and on the real PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from hypemeter.storage import FeedbackStore, NewFeedback
from hypemeter.storage.profiles import ProfileStore
from hypemeter.storage.tables import ProfileModelAdapterRow


@pytest.fixture
def stores(database_url: str) -> Iterator[tuple[FeedbackStore, ProfileStore]]:
    s = FeedbackStore(database_url)
    s.upgrade()
    yield s, ProfileStore(s)
    s.close()


def fit(profiles: ProfileStore, model: str, *, active: bool = True) -> int:
    claim = profiles.claim("acme", f"worker-{model}", ttl=30, model=model)
    assert claim is not None, f"no fit due on {model}"
    version = profiles.save_adapter("acme", base_model_version=model, meta="{}", arrays=b"",
                                    checksum="c", active=active,
                                    fitted_through=claim.requested, holder=claim.holder)
    assert version is not None
    return version


def due(profiles: ProfileStore, model: str) -> list[str]:
    return profiles.due(debounce=0, max_wait=0, model=model)


def correct(store: FeedbackStore) -> None:
    store.add(NewFeedback(headline="Council SLAMMED", body="The vote.", sensational=1,
                          profile="acme"))


def test_each_base_model_fits_and_serves_its_own_adapter(
    stores: tuple[FeedbackStore, ProfileStore],
) -> None:
    store, profiles = stores
    profiles.create("acme")
    assert due(profiles, "m1") == due(profiles, "m2") == []  # no correction: nothing to fit
    correct(store)
    assert due(profiles, "m1") == due(profiles, "m2") == ["acme"]
    v1 = fit(profiles, "m1")
    # m1's fit covers m1 only: m2 still has the correction to fit, and m1 nothing
    assert due(profiles, "m1") == [] and due(profiles, "m2") == ["acme"]
    assert profiles.claim("acme", "again", ttl=30, model="m1") is None
    assert profiles.active_versions(["acme"], model="m1") == {"acme": v1}
    assert profiles.active_versions(["acme"], model="m2") == {"acme": None}
    v2 = fit(profiles, "m2")
    assert due(profiles, "m1") == due(profiles, "m2") == []
    # m2's fit did not switch m1's adapter off
    assert profiles.active_versions(["acme"], model="m1") == {"acme": v1}
    assert profiles.active_versions(["acme"], model="m2") == {"acme": v2}
    stored = profiles.load_adapter("acme", model="m1")
    assert stored is not None and stored.version == v1 and stored.base_model_version == "m1"
    state = profiles.fit_state("acme", model="m2")
    assert state is not None and state["requested"] == state["fitted"] == 1

    # a new correction is due on both models again; a model whose fit does not beat the base
    # switches off its own adapter only
    correct(store)
    assert due(profiles, "m1") == due(profiles, "m2") == ["acme"]
    fit(profiles, "m2", active=False)
    assert profiles.active_versions(["acme"], model="m2") == {"acme": None}
    assert profiles.active_versions(["acme"], model="m1") == {"acme": v1}
    # a new base model (a reload) has every profile with corrections due
    assert due(profiles, "m3") == ["acme"]


def test_old_versions_pruned_but_never_one_a_model_serves(
    stores: tuple[FeedbackStore, ProfileStore],
) -> None:
    store, profiles = stores
    profiles.create("acme")
    correct(store)
    v1 = fit(profiles, "m1")
    for _ in range(8):  # m2 refits many times: m1's adapter stays stored and active
        correct(store)
        last = fit(profiles, "m2")
    assert profiles.active_versions(["acme"], model="m1") == {"acme": v1}
    assert profiles.load_adapter("acme", v1) is not None
    assert profiles.load_adapter("acme", last - 6) is None  # older m2 versions are pruned
    assert profiles.delete("acme")
    with store.engine().connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ProfileModelAdapterRow)) == 0


def test_the_migration_gives_existing_profiles_their_model_state(database_url: str) -> None:
    """A database at 0003 with one profile fitted (its newest adapter active on m1) and one
    whose newest fit did not beat the base: after the upgrade, each has the row of its newest
    adapter's model, and that model's fits cover what was fitted."""
    from alembic import command
    from sqlalchemy import insert

    from hypemeter.storage.migrate import _config
    from hypemeter.storage.tables import (
        ProfileAdapterRow,
        ProfileFitLeaseRow,
        ProfileRow,
    )

    store = FeedbackStore(database_url)
    cfg = _config()
    with store.engine().connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003_feedback_language")
        now = datetime.now(UTC)
        for name, active in (("acme", True), ("beta", False)):
            conn.execute(insert(ProfileRow), {"name": name, "created_at": now,
                                              "adapter_version": 2 if active else None})
            conn.execute(insert(ProfileFitLeaseRow), {"profile": name, "requested": 4,
                                                      "fitted": 3, "fits": 2,
                                                      "requested_at": now})
            for version, model in ((1, "m0"), (2, "m1")):
                conn.execute(insert(ProfileAdapterRow), {
                    "profile": name, "version": version, "fitted_at": now,
                    "base_model_version": model, "meta": "{}", "arrays": b"",
                    "checksum": "c"})
        conn.commit()
    store.upgrade()
    profiles = ProfileStore(store)
    assert profiles.active_versions(["acme", "beta"], model="m1") == {"acme": 2, "beta": None}
    assert profiles.active_versions(["acme"], model="m0") == {"acme": None}
    acme = profiles.fit_state("acme", model="m1")
    assert acme is not None and acme["fitted"] == 3
    assert sorted(profiles.due(debounce=0, max_wait=0, model="m1")) == ["acme", "beta"]
    store.close()
