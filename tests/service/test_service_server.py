"""Tests that start the real server (``hypemeter serve``) and talk HTTP to it."""

from __future__ import annotations

import json
import random
import select
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from support.servers import Server, start_server
from support.texts import ADMIN_KEY, BODY, HEADLINE

pytestmark = pytest.mark.slow


def test_real_server_end_to_end(admin_server: Server) -> None:
    with httpx.Client(base_url=admin_server.url, timeout=10.0) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.get("/readyz").json()["model"]["version"] == "v1"
        r = http.post("/v1/score", json={"id": "x", "headline": HEADLINE, "body": BODY},
                      headers={"X-Request-ID": "real-1"})
        assert r.status_code == 200, r.text
        result = r.json()
        assert result["id"] == "x" and result["model"] == {"name": "hypemeter", "version": "v1"}
        assert 0.0 <= result["scores"]["sensationalism"] <= 1.0
        assert r.headers["x-request-id"] == "real-1"
        assert r.headers["server-timing"].startswith("app;dur=")
        batch = http.post("/v1/score/batch", json={"items": [{"body": BODY}] * 64})
        assert batch.status_code == 200 and len(batch.json()["results"]) == 64
        err = http.post("/v1/score", json={"headline": "", "body": ""})
        assert err.status_code == 422 and err.json()["error"]["field"] == "body"
        assert http.get("/nope").json()["error"]["code"] == "not_found"
        metrics = http.get("/metrics").text
        assert 'hypemeter_model_info{name="hypemeter",version="v1"} 1.0' in metrics
        assert http.get("/v1/model").json()["version"] == "v1"
        assert http.post("/v1/admin/reload", json={"version": "v2"}).status_code == 401
        r = http.post("/v1/admin/reload", json={"version": "v2"},
                      headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        assert r.status_code == 200 and r.json()["model"]["version"] == "v2"
        assert http.post("/v1/score", json={"body": BODY}).json()["model"]["version"] == "v2"

    assert admin_server.stop() == 0  # SIGTERM: graceful shutdown, exit status 0
    access = [json.loads(line) for line in admin_server.log_lines() if line.startswith("{")]
    access = [a for a in access if a.get("logger") == "hypemeter.access"]
    mine = [a for a in access if a["request_id"] == "real-1"]
    assert len(mine) == 1 and mine[0]["route"] == "/v1/score" and mine[0]["status"] == 200
    assert all(ADMIN_KEY not in line for line in admin_server.log_lines())


def test_real_server_body_limits(admin_server: Server) -> None:
    big = b'{"body": "' + b"x" * 1_100_000 + b'"}'
    with httpx.Client(base_url=admin_server.url, timeout=10.0) as http:
        r = http.post("/v1/score", content=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"

        assert http.get("/healthz").status_code == 200
    # Chunked transfer encoding (no Content-Length), on a raw socket: send 10 KB chunks and
    # read whatever the server answers as soon as it answers, so the 413 is always seen.
    host, port = admin_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /v1/score HTTP/1.1\r\nHost: t\r\nContent-Type: application/json"
                     b"\r\nTransfer-Encoding: chunked\r\n\r\n")
        reply = b""
        for i in range(200):  # 2 MB at most, twice the limit
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            chunk = b'{"body": "' if i == 0 else b"y" * 10_000
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.settimeout(10)
        while b'"payload_too_large"' not in reply:
            data = sock.recv(65536)
            if not data:
                break
            reply += data
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b"content-type: application/json" in reply.lower()
    assert b'"payload_too_large"' in reply
    with httpx.Client(base_url=admin_server.url, timeout=10.0) as http:
        assert http.get("/healthz").status_code == 200


def test_real_server_without_model_is_not_ready(tmp_path: Path) -> None:
    empty = tmp_path / "no-models"
    empty.mkdir()
    # an empty models volume named by the setting (an explicit --model must hold a model:
    # tests/cli/test_cli_family.py)
    srv = start_server(empty, tmp_path, ready_path="/healthz", model_flag=False)
    try:
        assert httpx.get(f"{srv.url}/readyz").status_code == 503
        r = httpx.post(f"{srv.url}/v1/score", json={"body": BODY})
        assert r.status_code == 503 and r.json()["error"]["code"] == "model_not_ready"
    finally:
        assert srv.stop() == 0


def test_reload_under_load(admin_server: Server) -> None:
    """Reloads alternating v1/v2 while 8 clients score: no request fails, no response mixes
    versions, and both versions get served."""
    stop = threading.Event()
    failures: list[str] = []
    seen: dict[str, int] = {}
    lock = threading.Lock()
    items = [{"id": str(i), "headline": HEADLINE, "body": BODY * 3} for i in range(16)]

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=admin_server.url, timeout=30.0) as http:
            while not stop.is_set():
                try:
                    if rng.random() < 0.5:
                        r = http.post("/v1/score/batch", json={"items": items})
                        versions = {res["model"]["version"] for res in r.json()["results"]}
                    else:
                        r = http.post("/v1/score", json={"headline": HEADLINE, "body": BODY})
                        versions = {r.json()["model"]["version"]}
                except Exception as exc:  # any transport or decoding error is a failure
                    failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                if r.status_code != 200:
                    failures.append(f"{r.status_code}: {r.text[:200]}")
                elif len(versions) != 1:
                    failures.append(f"mixed versions in one response: {versions}")
                else:
                    with lock:
                        version = versions.pop()
                        seen[version] = seen.get(version, 0) + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    reloads = 0
    try:
        with httpx.Client(base_url=admin_server.url, timeout=30.0,
                          headers={"X-API-Key": ADMIN_KEY}) as admin:
            deadline = time.monotonic() + 6.0
            while reloads < 4 or time.monotonic() < deadline:  # a count, not a timing
                version = "v2" if reloads % 2 == 0 else "v1"
                r = admin.post("/v1/admin/reload", json={"version": version})
                assert r.status_code == 200, r.text
                assert r.json()["model"]["version"] == version
                reloads += 1
                time.sleep(0.05)
            bad = admin.post("/v1/admin/reload", json={"version": "tampered"})
            assert bad.status_code == 409
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not failures, failures[:5]
    assert reloads >= 4
    assert set(seen) == {"v1", "v2"}, seen
    assert sum(seen.values()) > 50
