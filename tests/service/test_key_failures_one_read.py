"""Requests of one client that arrive while its wrong-key count is being read share that read
(issue 21): under load every keyed request of a client whose "no failures" trust has lapsed
used to read the database itself, each on its own thread. The answer stays the same: the
count, the 429 past the limit, the fallback to this worker's memory when the database is down.

The real :class:`KeyFailureStore` on a real SQLite file; the spy only counts its reads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from hypemeter.service.key_guard import SharedKeyFailures

from hypemeter.errors import StorageUnavailableError
from hypemeter.storage import FeedbackStore
from hypemeter.storage.key_failures import FailureCount

CLIENT = "192.0.2.7"
LIMIT = 3
CONCURRENT = 16


class CountingReads:
    """The store's ``count``, counted, each read held long enough for the others to arrive."""

    def __init__(self, failures: SharedKeyFailures, hold: float = 0.2,
                 fail: bool = False) -> None:
        assert failures.shared is not None
        self.real = failures.shared.count
        self.hold = hold
        self.fail = fail
        self.calls = 0
        self._lock = threading.Lock()
        failures.shared.count = self  # type: ignore[method-assign]

    def __call__(self, client: str) -> FailureCount:
        with self._lock:
            self.calls += 1
        time.sleep(self.hold)
        if self.fail:
            raise StorageUnavailableError("the database is unavailable", reason="test")
        return self.real(client)


def concurrent_answers(failures: SharedKeyFailures) -> list[float | None]:
    answers: list[float | None] = []

    async def ask() -> None:
        answers.append(await failures.retry_after(CLIENT))

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for _ in range(CONCURRENT):
                tg.start_soon(ask)

    anyio.run(main)
    return answers


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[FeedbackStore]:
    store = FeedbackStore(f"sqlite:///{tmp_path / 'keys.db'}")
    store.upgrade()
    yield store
    store.close()


def test_concurrent_requests_of_a_clean_client_read_once(store: FeedbackStore) -> None:
    failures = SharedKeyFailures(store, LIMIT, 60)
    reads = CountingReads(failures)
    assert concurrent_answers(failures) == [None] * CONCURRENT
    assert reads.calls == 1
    assert concurrent_answers(failures) == [None] * CONCURRENT  # trusted now: no read
    assert reads.calls == 1


def test_a_blocked_client_is_blocked_for_every_request_sharing_the_read(
        store: FeedbackStore) -> None:
    failures = SharedKeyFailures(store, LIMIT, 60)
    assert failures.shared is not None
    for _ in range(LIMIT):
        failures.shared.fail(CLIENT)
    reads = CountingReads(failures)
    answers = concurrent_answers(failures)
    assert reads.calls == 1
    assert all(a is not None and 0 < a <= 60 for a in answers), answers


def test_a_database_down_during_the_shared_read_falls_back_for_all(
        store: FeedbackStore) -> None:
    failures = SharedKeyFailures(store, LIMIT, 60)
    reads = CountingReads(failures, fail=True)
    assert concurrent_answers(failures) == [None] * CONCURRENT
    assert reads.calls == 1
    assert not failures._shared_up()  # backing off: this worker counts in memory meanwhile
