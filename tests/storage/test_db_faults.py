"""A frozen PostgreSQL (``SIGSTOP``: the host hangs, TCP still answers) costs each database
call at most the timeout (``HYPEMETER_DATABASE_TIMEOUT``), in the store and through a real
``hypemeter serve``; the store works again once the server runs again. And listing large
corrections keeps a real worker's memory within +100 MB of its idle size.

Each test starts its own PostgreSQL server (tests/support/postgres.py), since freezing the
session's would stall the other tests.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from support.postgres import (
    PostgresServer,
    frozen,
    require_postgres,
    running_postgres,
)
from support.servers import start_server

from hypemeter.errors import StorageUnavailableError
from hypemeter.storage import FeedbackStore, NewFeedback

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("clean_env")]

TIMEOUT = 2.0
# The goal is the timeout + 1 s (benchmarks/soak.py --db-faults measures it); the tests allow
# more for a loaded machine: what they catch is a call held until the server runs again.
SLACK = 3.0
ADMIN_KEY = "faults-admin-key-0123456789"


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    with running_postgres(require_postgres()) as server:
        yield server


def timed_calls(calls: list[Callable[[], Any]], limit: float) -> list[tuple[float, str]]:
    """Run the calls at once in threads; each one's seconds and outcome. Threads still
    running after ``limit`` seconds are reported as hung (the caller then resumes the
    server, which lets them finish)."""
    results: list[tuple[float, str] | None] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        t0 = time.monotonic()
        try:
            call()
            outcome = "ok"
        except StorageUnavailableError as exc:
            outcome = f"503: {exc.reason}"
        except Exception as exc:  # reported: the test fails on it
            outcome = f"{type(exc).__name__}: {exc}"
        results[i] = (time.monotonic() - t0, outcome)

    threads = [threading.Thread(target=run, args=(i, c), daemon=True)
               for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + limit
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    return [r if r is not None else (float("inf"), "hung") for r in results]


def item(i: int = 0) -> NewFeedback:
    return NewFeedback(headline=f"Furious row {i}", body="The vote was 5-4.", sensational=1)


def test_a_frozen_postgres_costs_each_store_call_at_most_the_timeout(
    own_postgres: PostgresServer,
) -> None:
    url = own_postgres.create_database("frozen")
    store = FeedbackStore(url, timeout=TIMEOUT)
    store.upgrade(patient=True)
    stored = store.add(item())
    for _ in range(3):  # a few pooled connections, which the freeze leaves half-open
        store.list(limit=5)
    calls: list[Callable[[], Any]] = [
        lambda: store.add(item(1)), lambda: store.list(limit=10),
        lambda: store.get(stored.id), lambda: store.delete("none"), store.count,
        lambda: store.page(limit=10)[0],
    ] * 2
    with frozen(own_postgres):
        results = timed_calls(calls, limit=TIMEOUT * 4 + 10)
    assert all(outcome.startswith("503") for _, outcome in results), results
    longest = max(seconds for seconds, _ in results)
    assert longest < TIMEOUT + SLACK, results
    # resumed: the same store works again without a restart
    assert store.get(stored.id) is not None
    assert store.add(item(2)).id
    store.close()


def test_statements_end_at_the_timeout_on_the_server_too(own_postgres: PostgresServer) -> None:
    """A statement the server itself runs too long (pg_sleep) ends at statement_timeout."""
    from sqlalchemy import text

    url = own_postgres.create_database("slow")
    store = FeedbackStore(url, timeout=TIMEOUT)
    store.upgrade(patient=True)
    t0 = time.monotonic()
    with pytest.raises(Exception, match=r"statement timeout|did not answer"), \
            store.engine().connect() as conn:
        conn.execute(text("SELECT pg_sleep(30)"))
    assert time.monotonic() - t0 < TIMEOUT + SLACK
    store.close()


def test_a_real_server_answers_503_in_time_while_postgres_is_frozen(
    own_postgres: PostgresServer, bundle_dir: Path, tmp_path: Path
) -> None:
    url = own_postgres.create_database("served")
    server = start_server(bundle_dir, tmp_path, {
        "HYPEMETER_DATABASE_URL": url, "HYPEMETER_ADMIN_KEY": ADMIN_KEY,
        "HYPEMETER_DATABASE_TIMEOUT": str(TIMEOUT), "HYPEMETER_WORKERS": "2",
    })
    body = {"headline": "Furious row", "body": "The vote was 5-4.", "labels": {"sensational": 1}}
    admin = {"X-API-Key": ADMIN_KEY}
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            for _ in range(4):  # both workers hold pooled connections
                assert http.post("/v1/feedback", json=body).status_code == 201
                assert http.get("/v1/feedback", headers=admin).status_code == 200

        def call(method: str, path: str, **kw: Any) -> Callable[[], Any]:
            def go() -> None:
                r = httpx.request(method, server.url + path, timeout=60, **kw)
                if r.status_code != 503 or "retry-after" not in r.headers:
                    raise AssertionError(f"{method} {path}: {r.status_code} {r.text[:200]}")
                raise StorageUnavailableError("503", reason=r.json()["error"]["code"])
            return go

        calls = [call("POST", "/v1/feedback", json=body),
                 call("GET", "/v1/feedback", headers=admin),
                 call("GET", "/v1/feedback/x", headers=admin)] * 3
        with frozen(own_postgres):
            results = timed_calls(calls, limit=TIMEOUT * 4 + 20)
            scored = httpx.post(server.url + "/v1/score", json={"body": "Plain text."},
                                timeout=30)
        assert scored.status_code == 200  # scoring never waits for the database
        assert all(o == "503: database_unavailable" for _, o in results), results
        assert max(s for s, _ in results) < TIMEOUT + SLACK, results
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # back without a restart
            if httpx.post(server.url + "/v1/feedback", json=body).status_code == 201:
                break
            time.sleep(0.5)
        else:
            raise AssertionError("feedback did not come back after SIGCONT")
    finally:
        server.stop()


def worker_rss(server_pid: int) -> dict[int, int]:
    """RSS of the server and each worker (one worker: the server process itself serves)."""
    out = {}
    server = psutil.Process(server_pid)
    for child in [server, *server.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            if "resource_tracker" not in " ".join(child.cmdline()):
                out[child.pid] = child.memory_info().rss
    return out


def test_listing_large_corrections_keeps_a_worker_within_100_mb_of_idle(
    bundle_dir: Path, tmp_path: Path
) -> None:
    """80 corrections of about 1 MB each, listed whole (limit=1000) page after page: the
    worker's peak RSS stays within +100 MB of its idle size (before: several hundred MB
    per request, the whole page built in memory)."""
    url = f"sqlite:///{tmp_path / 'big.db'}"
    store = FeedbackStore(url)
    body = ("A long, dull and perfectly sober report about the council's budget. " * 15_000)
    for i in range(80):
        store.add(NewFeedback(headline=f"big {i}", body=body[: 1_000_000 - i], sensational=0))
    store.close()
    server = start_server(bundle_dir, tmp_path, {"HYPEMETER_DATABASE_URL": url,
                                                 "HYPEMETER_ADMIN_KEY": ADMIN_KEY})
    try:
        with httpx.Client(base_url=server.url, timeout=120,
                          headers={"X-API-Key": ADMIN_KEY}) as http:
            http.get("/v1/feedback", params={"limit": 1})  # warm: the route and the engine
            time.sleep(1)
            idle = worker_rss(server.proc.pid)
            peak = dict(idle)
            stop = threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    for pid, rss in worker_rss(server.proc.pid).items():
                        peak[pid] = max(peak.get(pid, 0), rss)
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample)
            sampler.start()
            received, cursor = 0, None
            for _ in range(2):  # twice over: what the first pass kept would add up
                while True:
                    params: dict[str, Any] = {"limit": 1000}
                    if cursor:
                        params["cursor"] = cursor
                    with http.stream("GET", "/v1/feedback", params=params) as r:
                        assert r.status_code == 200
                        raw = b"".join(r.iter_bytes())
                    page = __import__("json").loads(raw)
                    received += len(page["items"])
                    cursor = page["next_cursor"]
                    if cursor is None:
                        break
            stop.set()
            sampler.join()
        assert received == 160
        growth_mb = max(peak[pid] - rss for pid, rss in idle.items()) / 2**20
        print(f"peak worker RSS over idle: {growth_mb:.1f} MB")
        assert growth_mb < 100, f"worker RSS grew {growth_mb:.0f} MB over idle"
    finally:
        server.stop()
