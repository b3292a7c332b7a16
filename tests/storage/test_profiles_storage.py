"""Profile storage (hypemeter.storage.profiles): profiles, scoped keys, adapters, the fit state
and its lease, on SQLite and on a real PostgreSQL server (the ``database_url`` fixture)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from hypemeter.errors import InvalidInputError, ProfileExistsError, UnknownProfileError
from hypemeter.storage import FeedbackStore, NewFeedback
from hypemeter.storage.migrate import current_revision, head_revision
from hypemeter.storage.profiles import ProfileStore, hash_key
from hypemeter.storage.tables import (
    FeedbackRow,
    ProfileAdapterRow,
    ProfileFitLeaseRow,
    ProfileKeyRow,
    ProfileRow,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def stores(database_url: str) -> Iterator[tuple[FeedbackStore, ProfileStore]]:
    s = FeedbackStore(database_url)
    s.upgrade()
    yield s, ProfileStore(s)
    s.close()


def correction(profile: str | None, label: int = 1) -> NewFeedback:
    return NewFeedback(headline="Council SLAMMED", body="The vote was close.",
                       sensational=label, profile=profile)


def rows_of(store: FeedbackStore, table: type, column: str, name: str) -> int:
    with store.engine().connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)
                               .where(getattr(table, column) == name)) or 0)


def test_the_migration_reaches_head(database_url: str) -> None:
    s = FeedbackStore(database_url)
    assert s.upgrade() == head_revision() == "0005_key_failures"
    assert current_revision(s.engine()) == "0005_key_failures"
    s.close()


def test_create_get_list_and_the_name_rule(stores: tuple[FeedbackStore, ProfileStore]) -> None:
    _, profiles = stores
    created = profiles.create("acme.news", "a newsroom", now=T0)
    assert created.created_at == T0
    with pytest.raises(ProfileExistsError):
        profiles.create("acme.news")
    for bad in ("Acme", "-acme", "", "a" * 65, "acme news"):
        with pytest.raises(InvalidInputError):
            profiles.create(bad)
    profiles.create("b2")
    assert [p.name for p in profiles.list()] == ["acme.news", "b2"]
    assert profiles.get("nope") is None
    with pytest.raises(UnknownProfileError):
        profiles.require("nope")


def test_a_correction_for_an_unknown_profile_is_refused_and_not_stored(
    stores: tuple[FeedbackStore, ProfileStore],
) -> None:
    store, _ = stores
    with pytest.raises(UnknownProfileError):
        store.add(correction("ghost"))
    assert store.count() == 0


def test_corrections_request_refits_and_counts(stores: tuple[FeedbackStore, ProfileStore]
                                               ) -> None:
    store, profiles = stores
    profiles.create("acme")
    for label in (1, 1, 0):
        store.add(correction("acme", label))
    store.add(correction(None))  # the shared model's: not the profile's
    assert profiles.fit_state("acme")["requested"] == 3  # type: ignore[index]
    counts = profiles.correction_counts("acme")
    assert counts == {"total": 3, "sensational": {"0": 1, "1": 2},
                      "misinformation": {"0": 0, "1": 0}, "spans": 0}
    assert [f.profile for f in profiles.corrections("acme")] == ["acme"] * 3
    items, _ = store.list(profile="acme")
    assert len(items) == 3 and all(i.to_item()["profile"] == "acme" for i in items)
    # deleting a correction of the profile asks for a refit too
    assert store.delete(items[0].id)
    assert profiles.fit_state("acme")["requested"] == 4  # type: ignore[index]


def test_debounce_and_the_lease(stores: tuple[FeedbackStore, ProfileStore]) -> None:
    _, profiles = stores
    profiles.create("acme")
    profiles.request_fit("acme", now=T0)
    assert profiles.due(debounce=1.0, max_wait=5.0, now=T0 + timedelta(seconds=0.5)) == []
    assert profiles.due(debounce=1.0, max_wait=5.0, now=T0 + timedelta(seconds=1.5)) == ["acme"]
    # a steady stream keeps it quiet-less; max_wait still lets it through
    profiles.request_fit("acme", now=T0 + timedelta(seconds=5.5))
    assert profiles.due(debounce=1.0, max_wait=5.0, now=T0 + timedelta(seconds=6)) == ["acme"]
    now = T0 + timedelta(seconds=6)
    claim = profiles.claim("acme", "w1", ttl=30, now=now)
    assert claim is not None and claim.requested == 2
    assert profiles.claim("acme", "w2", ttl=30, now=now) is None  # held
    assert profiles.due(debounce=0, max_wait=0, now=now) == []
    # a correction during the fit: due again after the fit
    profiles.request_fit("acme", now=now)
    version = profiles.save_adapter("acme", base_model_version="m1", meta="{}", arrays=b"",
                                    checksum="x", active=True, fitted_through=claim.requested,
                                    holder="w1", now=now)
    assert version == 1
    state = profiles.fit_state("acme")
    assert state is not None and (state["requested"], state["fitted"], state["fits"]) == (3, 2, 1)
    assert state["holder"] is None
    assert profiles.due(debounce=0, max_wait=0, now=now + timedelta(seconds=1)) == ["acme"]
    # an expired lease (a worker died mid-fit) can be taken over
    dead = profiles.claim("acme", "dead", ttl=1, now=now)
    assert dead is not None
    assert profiles.claim("acme", "w3", ttl=30, now=now + timedelta(seconds=2)) is not None


def test_concurrent_claims_one_winner(stores: tuple[FeedbackStore, ProfileStore]) -> None:
    _, profiles = stores
    profiles.create("acme")
    profiles.request_fit("acme")
    winners: list[object] = []
    barrier = threading.Barrier(6)

    def race(i: int) -> None:
        barrier.wait()
        got = profiles.claim("acme", f"w{i}", ttl=30)
        if got is not None:
            winners.append(got)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


def test_adapters_versioned_and_inactive_ones_not_served(
    stores: tuple[FeedbackStore, ProfileStore],
) -> None:
    _, profiles = stores
    profiles.create("acme")
    for active in (True, False):
        profiles.request_fit("acme")
        claim = profiles.claim("acme", "w", ttl=30)
        assert claim is not None
        profiles.save_adapter("acme", base_model_version="m1", meta='{"a": 1}',
                              arrays=b"\x00\x01", checksum="c", active=active,
                              fitted_through=claim.requested, holder="w")
    assert profiles.active_versions() == {"acme": None}  # the newest did not beat the base
    stored = profiles.load_adapter("acme")
    assert stored is not None and stored.version == 2 and stored.arrays == b"\x00\x01"
    assert profiles.load_adapter("acme", 1) is not None


def test_keys_hashed_scoped_and_revoked(stores: tuple[FeedbackStore, ProfileStore]) -> None:
    store, profiles = stores
    profiles.create("acme")
    record, secret = profiles.create_key("acme", "correct")
    with store.engine().connect() as conn:
        stored = conn.execute(select(ProfileKeyRow.key_hash)).scalar_one()
    assert stored == hash_key(secret) and secret not in stored
    assert profiles.find_key(secret) == record
    assert profiles.find_key(secret + "x") is None
    with pytest.raises(InvalidInputError):
        profiles.create_key("acme", "admin")
    with pytest.raises(UnknownProfileError):
        profiles.create_key("ghost", "score")
    assert [k.key_id for k in profiles.list_keys("acme")] == [record.key_id]
    assert profiles.revoke_key(record.key_id)
    assert profiles.find_key(secret) is None
    assert not profiles.revoke_key(record.key_id)


def test_delete_removes_every_row_of_the_profile(stores: tuple[FeedbackStore, ProfileStore]
                                                 ) -> None:
    store, profiles = stores
    profiles.create("acme")
    profiles.create("other")
    for name in ("acme", "other"):
        store.add(correction(name))
        profiles.create_key(name, "score")
        claim = profiles.claim(name, "w", ttl=30)
        assert claim is not None
        profiles.save_adapter(name, base_model_version="m", meta="{}", arrays=b"", checksum="c",
                              active=True, fitted_through=claim.requested, holder="w")
    assert profiles.delete("acme")
    assert not profiles.delete("acme")
    for table, column in ((ProfileRow, "name"), (ProfileKeyRow, "profile"),
                          (ProfileAdapterRow, "profile"), (ProfileFitLeaseRow, "profile"),
                          (FeedbackRow, "profile")):
        assert rows_of(store, table, column, "acme") == 0, table.__tablename__
        assert rows_of(store, table, column, "other") == 1, table.__tablename__


def test_counts_by_profile_and_the_export_of_one_profile(
    stores: tuple[FeedbackStore, ProfileStore], tmp_path: object,
) -> None:
    from pathlib import Path

    from hypemeter.storage.export import export_feedback

    store, profiles = stores
    profiles.create("acme")
    for name in ("acme", "acme", None):
        store.add(correction(name))
    assert store.count_by_profile() == {"acme": 2, None: 1}
    out = Path(str(tmp_path)) / "acme.jsonl"
    assert export_feedback(store, out, profile="acme") == 2
    assert len(out.read_text().splitlines()) == 2
