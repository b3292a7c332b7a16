"""The real server (``hypemeter serve``) under the conditions of issue 12: several workers
(reload and metrics reach all of them, a killed worker comes back on the published model) and
hostile connections (idle, slow, malformed, too many)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from support.servers import Server, start_server
from support.texts import ADMIN

pytestmark = pytest.mark.slow


def probe_versions(url: str, n: int = 40) -> list[str]:
    """``/readyz`` on ``n`` fresh connections (the kernel spreads them over the workers)."""
    out = []
    for _ in range(n):
        with httpx.Client(base_url=url, timeout=10.0) as http:
            out.append(http.get("/readyz").json()["model"]["version"])
    return out


def counter(metrics: str, route: str) -> float:
    line = f'hypemeter_http_requests_total{{method="GET",route="{route}",status="200"}} '
    found = [float(x.split()[-1]) for x in metrics.splitlines() if x.startswith(line)]
    return found[0] if found else 0.0


def worker_pids(server: Server) -> set[int]:
    """The live uvicorn worker processes (not zombies, not multiprocessing's helpers)."""
    pids = set()
    for proc in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if "resource_tracker" not in " ".join(proc.cmdline()):
                pids.add(proc.pid)
        except psutil.Error:
            continue
    return pids


def wait_for_workers(url: str, n: int, timeout: float = 90.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    status: dict[str, object] = {}
    while time.monotonic() < deadline:
        try:
            status = httpx.get(f"{url}/v1/admin/reload", headers=ADMIN, timeout=5).json()
        except httpx.TransportError:
            status = {}
        workers = status.get("workers")
        if isinstance(workers, dict) and workers.get("total") == n == workers.get("on_version"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"workers did not come back: {status}")


def test_reload_metrics_and_restart_reach_every_worker(two_workers: Server) -> None:
    url = two_workers.url
    status = wait_for_workers(url, 2)
    assert status["version"] == "v1"
    assert len(worker_pids(two_workers)) == 2
    assert set(probe_versions(url)) == {"v1"}

    with httpx.Client(base_url=url, timeout=60.0, headers=ADMIN) as admin:
        r = admin.post("/v1/admin/reload", json={"version": "v2"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "reloaded" and body["model"]["version"] == "v2"
        assert body["workers"] == {"total": 2, "on_version": 2, "failed": 0}
        assert set(probe_versions(url)) == {"v2"}  # every worker, right after the reply

        bad = admin.post("/v1/admin/reload", json={"version": "tampered"})
        assert bad.status_code == 409
        assert set(probe_versions(url)) == {"v2"}  # a failed reload changed no worker
        assert admin.get("/v1/admin/reload").json()["generation"] == body["generation"]

        # /metrics sums the workers: every probe is counted, whichever worker answered
        before = counter(admin.get("/metrics").text, "/readyz")
        probe_versions(url, 30)
        metrics = admin.get("/metrics").text
        assert counter(metrics, "/readyz") == before + 30
        assert 'hypemeter_model_info{name="hypemeter",version="v2"} 2.0' in metrics
        assert "hypemeter_model_loaded 1.0" in metrics

    # kill -9 one worker: uvicorn starts another, which loads the published v2 (not current)
    victim = min(worker_pids(two_workers))
    psutil.Process(victim).kill()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        pids = worker_pids(two_workers)
        if victim not in pids and len(pids) == 2:
            break
        time.sleep(0.2)
    status = wait_for_workers(url, 2)
    assert status["version"] == "v2"
    assert set(probe_versions(url)) == {"v2"}
    metrics = httpx.get(f"{url}/metrics", timeout=10).text
    assert 'hypemeter_model_info{name="hypemeter",version="v2"} 2.0' in metrics  # dead one gone

    assert two_workers.stop() == 0


# ----------------------------------------------------------------- hostile connections


@pytest.fixture
def strict_server(service_models_dir: Path, tmp_path: Path) -> Iterator[Server]:
    srv = start_server(service_models_dir, tmp_path, {
        "HYPEMETER_HEADER_TIMEOUT": "1", "HYPEMETER_BODY_TIMEOUT": "1",
        "HYPEMETER_KEEPALIVE_TIMEOUT": "1", "HYPEMETER_MAX_CONNECTIONS": "4",
    })
    yield srv
    srv.stop()


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    return sock


def read_response(sock: socket.socket, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise AssertionError(f"the server kept the connection open; got {data!r}") from None
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return status, headers, body


def assert_json_error(body: bytes, code: str) -> None:
    error = json.loads(body)["error"]
    assert error["code"] == code and error["message"]


def test_connection_cap_answers_503_in_the_error_shape(strict_server: Server) -> None:
    held = [connect(strict_server.url) for _ in range(4)]
    try:
        time.sleep(0.2)
        extra = connect(strict_server.url)
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        status, headers, body = read_response(extra)
        assert status == 503 and headers["retry-after"] == "1"
        assert headers["content-type"] == "application/json"
        assert_json_error(body, "overloaded")
    finally:
        for sock in held:
            sock.close()


def test_idle_and_slow_connections_are_closed(strict_server: Server) -> None:
    idle = connect(strict_server.url)  # sends nothing at all
    t0 = time.monotonic()
    status, _, body = read_response(idle)
    assert status == 408 and time.monotonic() - t0 < 4
    assert_json_error(body, "request_timeout")

    slow = connect(strict_server.url)  # headers a line at a time, never finished
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
    t0 = time.monotonic()
    with pytest.raises((BrokenPipeError, ConnectionResetError)):
        for i in range(40):
            time.sleep(0.2)
            slow.sendall(b"X-Slow-%d: y\r\n" % i)
    assert time.monotonic() - t0 < 5
    slow.close()

    body_slow = connect(strict_server.url)  # the body never completes
    body_slow.sendall(b"POST /v1/score HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{\"body\": ")
    status, _, body = read_response(body_slow)
    assert status == 408
    assert_json_error(body, "request_timeout")

    kept = connect(strict_server.url)  # keep-alive: closed after 1 s idle
    kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    status, _, _ = read_response(kept, timeout=4)
    assert status == 200
    assert httpx.get(f"{strict_server.url}/healthz").status_code == 200


@pytest.mark.parametrize("length", [b"abc", b"-5", b"1, 2"])
def test_bad_content_length_is_a_json_400(strict_server: Server, length: bytes) -> None:
    sock = connect(strict_server.url)
    sock.sendall(b"POST /v1/score HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + length + b"\r\n\r\n{}")
    status, headers, body = read_response(sock)
    assert status == 400 and headers["content-type"] == "application/json"
    assert_json_error(body, "bad_request")
