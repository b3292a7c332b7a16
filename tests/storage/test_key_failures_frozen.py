"""A hung database costs a keyed request little in the key check (issue 22, audits 4 and 8):
the read of a client's wrong keys waits 0.5 s for the server (2 s when the pool has to
reconnect: libpq's smallest connect timeout), not the database timeout (a keyed route then
waits for the database a second time, in its own call), and after one failure the worker
counts in memory for a few seconds instead of asking again."""

from __future__ import annotations

import time
from collections.abc import Iterator

import anyio
import pytest
from hypemeter.service.key_guard import SharedKeyFailures
from support.postgres import PostgresServer, frozen, require_postgres, running_postgres

from hypemeter.errors import StorageUnavailableError
from hypemeter.storage import FeedbackStore
from hypemeter.storage.key_failures import KeyFailureStore
from hypemeter.storage.postgres import MIN_CONNECT_SECONDS

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("clean_env")]

TIMEOUT = 8.0  # the database timeout: the read must end long before it
LIMIT = MIN_CONNECT_SECONDS + 1.5  # a reconnect attempt, and a loaded machine


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    with running_postgres(require_postgres()) as server:
        yield server


def test_the_key_check_does_not_wait_the_database_timeout(own_postgres: PostgresServer) -> None:
    store = FeedbackStore(own_postgres.create_database("keys"), timeout=TIMEOUT)
    try:
        shared = KeyFailureStore(store, window=60)
        assert shared.fail("10.0.0.1").count == 1  # the table exists, a connection is pooled
        guard = SharedKeyFailures(store, limit=3, window=60)
        with frozen(own_postgres):
            t0 = time.monotonic()
            with pytest.raises(StorageUnavailableError):
                shared.count("10.0.0.1")
            read = time.monotonic() - t0
            t0 = time.monotonic()
            for _ in range(3):  # the first asks (and gives up), the others do not ask
                assert anyio.run(guard.retry_after, "10.0.0.2") is None
            checks = time.monotonic() - t0
        assert read < LIMIT < TIMEOUT, read
        assert checks < LIMIT, checks
    finally:
        store.close()
