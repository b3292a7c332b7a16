"""A worker's LRU of adapters (:class:`ProfileRuntime`): bounded by count and by bytes, and
preloaded from the database at start (up to those bounds), so a profile's first request reads
nothing from the database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypemeter.service.profile_runtime import ProfileRuntime
from profile_texts import newsroom

from hypemeter.profiles.fitting import fit_claimed
from hypemeter.scoring.scorer import Scorer
from hypemeter.storage import FeedbackStore
from hypemeter.storage.profiles import ProfileStore
from hypemeter.storage.records import NewFeedback

NAMES = ("p0", "p1", "p2", "p3")  # p3: no corrections, no adapter


class Holder:
    def __init__(self, scorer: Scorer) -> None:
        self.current = type("Loaded", (), {"version": scorer.version, "scorer": scorer})()


@pytest.fixture(scope="module")
def database(scorer: Scorer, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('lru') / 'feedback.db'}"
    store = FeedbackStore(url)
    profiles = ProfileStore(store)
    for i, name in enumerate(NAMES):
        profiles.create(name)
        if name == "p3":
            continue
        for art in newsroom(24, seed=i):
            store.add(NewFeedback(art["headline"], art["body"], sensational=art["label"],
                                  profile=name))
        claim = profiles.claim(name, "test", ttl=60)
        assert claim is not None
        fit_claimed(profiles, scorer, claim)
    store.close()
    return url


@pytest.fixture
def runtime(database: str, scorer: Scorer) -> Iterator[Any]:
    store = FeedbackStore(database)
    made: list[ProfileRuntime] = []

    def make(**kw: Any) -> ProfileRuntime:
        rt = ProfileRuntime(store, Holder(scorer), fit=False, **kw)  # type: ignore[arg-type]
        made.append(rt)
        return rt

    yield make
    store.close()


def no_database(rt: ProfileRuntime) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the database was read")

    rt.profiles.serving_adapter = refuse  # type: ignore[method-assign]


def consistent(rt: ProfileRuntime) -> None:
    assert rt.cache_bytes_now() == sum(e.nbytes for e in rt._cache.values())


def test_preload_fills_the_lru_and_spares_the_first_requests(runtime: Any) -> None:
    rt = runtime()
    assert rt.preload(page=2) == len(NAMES)  # pages of 2: the keyset paging is used
    no_database(rt)
    entries = {name: rt.resolve(name) for name in NAMES}
    assert all(entries[n].adapter is not None for n in NAMES[:3])
    assert entries["p3"].adapter is None and entries["p3"].version is None
    consistent(rt)


def test_preload_stops_at_the_count(runtime: Any) -> None:
    rt = runtime(cache_size=2)
    assert rt.preload(page=3) == 2
    assert list(rt._cache) == ["p0", "p1"]
    consistent(rt)


def test_the_lru_is_bounded_by_bytes(runtime: Any) -> None:
    probe = runtime()
    one = probe.resolve("p0").nbytes
    assert one > 3072  # its arrays count
    rt = runtime(cache_bytes=int(one * 2.5))
    for name in NAMES[:3]:
        rt.resolve(name)
        consistent(rt)
    assert rt.cache_bytes_now() <= one * 2.5
    assert len(rt._cache) == 2 and "p0" not in rt._cache  # the least recently used went
    assert rt.preload() == 0  # full: the preload adds nothing, evicts nothing
    assert list(rt._cache) == ["p1", "p2"]
    small = runtime(cache_bytes=1)  # smaller than any adapter: the newest one stays
    small.resolve("p0")
    small.resolve("p1")
    assert list(small._cache) == ["p1"]
    consistent(small)


def test_replacing_and_dropping_keep_the_bytes(runtime: Any) -> None:
    rt = runtime()
    rt.preload()
    rt._replace("p0", None)
    consistent(rt)
    rt.forget("p1")
    consistent(rt)
    rt._replace("p0", rt.profiles.active_versions(["p0"], model=rt.model_version())["p0"])
    consistent(rt)
    assert rt.resolve("p0").adapter is not None


def test_nbytes_counts_the_arrays(runtime: Any) -> None:
    rt = runtime()
    rt.preload()
    entry = rt.resolve("p0")
    adapter = entry.adapter.adapter
    arrays = adapter.vocab_.nbytes + adapter.idf_.nbytes + sum(
        h.coef.nbytes for h in adapter.heads_.values())
    assert entry.nbytes >= arrays > 0
