"""Wrong keys are counted in the database (issue 22, audit item 8): a client's failures on one
worker count on every other worker and replica of that database, SQLite or PostgreSQL. Only
failures are written; while the database is down a worker counts in its own memory.

In-process (two apps on one database, like two replicas), then a real ``hypemeter serve`` with
two workers (slow), where each request's worker is told by the connection that carries it."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings
from sqlalchemy import create_engine, text
from support.postgres import PostgresServer, require_postgres, running_postgres
from support.servers import Server, start_server

from hypemeter.scoring.scorer import Scorer

API_KEY = "shared-api-key-0123456789"
WRONG = {"X-API-Key": "not-the-key-0123456789"}
RIGHT = {"X-API-Key": API_KEY}
BODY = {"body": "The council voted 5-4 to collect bins every two weeks from March."}
LIMIT = 4

pytestmark = pytest.mark.usefixtures("clean_env")


def stored_failures(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM key_failures")).scalar_one())
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- in-process


def replica(models: Path, scorer: Scorer, url: str) -> TestClient:
    settings = Settings(models_dir=models, api_key=API_KEY, database_url=url,
                        max_key_failures=LIMIT, key_failure_window=60)
    return TestClient(create_app(settings, scorer=scorer))


def test_failures_on_one_replica_count_on_the_other(
    service_models_dir: Path, scorer: Scorer, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with replica(service_models_dir, scorer, url) as a, \
            replica(service_models_dir, scorer, url) as b:
        for _ in range(20):  # the right key writes nothing
            assert a.post("/v1/score", json=BODY, headers=RIGHT).status_code == 200
        assert stored_failures(url) == 0
        for _ in range(LIMIT - 1):
            assert a.post("/v1/score", json=BODY, headers=WRONG).status_code == 401
        assert b.post("/v1/score", json=BODY, headers=RIGHT).status_code == 200  # 3 < 4
        assert b.post("/v1/score", json=BODY, headers=WRONG).status_code == 401  # the 4th
        for client in (b, a):
            r = client.post("/v1/score", json=BODY, headers=RIGHT)
            assert r.status_code == 429, r.text
            assert 1 <= int(r.headers["retry-after"]) <= 60
        assert stored_failures(url) == LIMIT  # the 429s are not failures


def test_an_unavailable_database_still_limits_wrong_keys_in_memory(
    service_models_dir: Path, scorer: Scorer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the database's folder should be")
    with replica(service_models_dir, scorer, f"sqlite:///{blocked / 'x.db'}") as c:
        assert c.post("/v1/score", json=BODY, headers=RIGHT).status_code == 200
        for _ in range(LIMIT):
            assert c.post("/v1/score", json=BODY, headers=WRONG).status_code == 401
        assert c.post("/v1/score", json=BODY, headers=RIGHT).status_code == 429
    assert any("counted in this worker only" in r.getMessage() for r in caplog.records)


# --------------------------------------------------------------------------- real server


def worker_of(server: Server, conn: http.client.HTTPConnection) -> int:
    """The pid of the worker that accepted ``conn`` (its end of the TCP connection)."""
    assert conn.sock is not None
    port = conn.sock.getsockname()[1]
    for proc in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            if any(c.raddr and c.raddr.port == port for c in proc.net_connections("tcp")):
                return proc.pid
        except psutil.Error:
            continue
    raise AssertionError("no worker holds the connection")


def get(conn: http.client.HTTPConnection, headers: dict[str, str]) -> int:
    """``GET /v1/model`` (keyed, bodiless: a 401 keeps the connection open, where a 401 to
    a request with a body closes it unread)."""
    conn.request("GET", "/v1/model", headers=headers)
    reply = conn.getresponse()
    reply.read()
    return reply.status


def connection_to(server: Server, worker: int | None, avoid: int | None) -> tuple[
        http.client.HTTPConnection, int]:
    """A keep-alive connection served by ``worker`` (any when None) and not by ``avoid``."""
    host, port = server.url.removeprefix("http://").split(":")
    for _ in range(200):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        pid = worker_of(server, conn)
        if (worker is None or pid == worker) and pid != avoid:
            return conn, pid
        conn.close()
    raise AssertionError("could not reach the other worker")


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres(require_postgres()) as server:
        yield server


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_workers_count_a_clients_failures_together(
    backend: str, bundle_dir: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'feedback.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database("keyfailures")
    server = start_server(bundle_dir, tmp_path, {
        "HYPEMETER_API_KEY": API_KEY, "HYPEMETER_WORKERS": "2", "HYPEMETER_DATABASE_URL": url,
        "HYPEMETER_MAX_KEY_FAILURES": str(LIMIT), "HYPEMETER_KEY_FAILURE_WINDOW": "60",
    }, timeout=180.0)
    try:
        first, x = connection_to(server, None, None)
        other, y = connection_to(server, None, avoid=x)
        for _ in range(LIMIT - 1):
            assert get(first, WRONG) == 401
        assert get(other, RIGHT) == 200  # 3 failures so far, all on worker x
        assert get(other, WRONG) == 401  # the 4th, on worker y
        assert get(other, RIGHT) == 429  # y counts x's three
        assert get(first, RIGHT) == 429  # and x counts y's one
        assert worker_of(server, first) == x and worker_of(server, other) == y
        assert stored_failures(url) == LIMIT
        first.close()
        other.close()
    finally:
        server.stop()
