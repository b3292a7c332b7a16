"""Tests that start the real server (``hypemeter serve``) and talk HTTP to it."""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

ADMIN_KEY = "server-test-admin-key"
HEADLINE = "Outrageous! Experts STUNNED as shocking scandal rocks the nation"
BODY = "Officials confirmed the figures on Monday. Critics called the plan a total disaster."


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hypemeter_command() -> list[str]:
    exe = Path(sys.executable).parent / "hypemeter"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("hypemeter")
    return [found] if found else [sys.executable, "-m", "hypemeter"]


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path
    stopped: bool = field(default=False)

    def stop(self, timeout: float = 20.0) -> int:
        if not self.stopped:
            self.stopped = True
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return int(self.proc.returncode)

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()


def start_server(models_dir: Path, workdir: Path, extra_env: dict[str, str] | None = None,
                 timeout: float = 60.0) -> Server:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPEMETER_")}
    env.update(extra_env or {})
    log_path = workdir / f"server-{port}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [*hypemeter_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--model", str(models_dir)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    server = Server(proc=proc, url=f"http://127.0.0.1:{port}", log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early ({proc.returncode}):\n"
                               + "\n".join(server.log_lines()[-30:]))
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1.0).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError("server did not become ready:\n" + "\n".join(server.log_lines()[-30:]))


@pytest.fixture
def server(service_models_dir: Path, tmp_path: Path) -> Iterator[Server]:
    srv = start_server(service_models_dir, tmp_path, {"HYPEMETER_ADMIN_KEY": ADMIN_KEY})
    try:
        yield srv
    finally:
        if srv.proc.poll() is None:
            srv.stop()


def test_real_server_end_to_end(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10.0) as http:
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

    assert server.stop() == 0  # SIGTERM: graceful shutdown, exit status 0
    access = [json.loads(line) for line in server.log_lines() if line.startswith("{")]
    access = [a for a in access if a.get("logger") == "hypemeter.access"]
    mine = [a for a in access if a["request_id"] == "real-1"]
    assert len(mine) == 1 and mine[0]["route"] == "/v1/score" and mine[0]["status"] == 200
    assert all(ADMIN_KEY not in line for line in server.log_lines())


def test_real_server_body_limits(server: Server) -> None:
    big = b'{"body": "' + b"x" * 1_100_000 + b'"}'
    with httpx.Client(base_url=server.url, timeout=10.0) as http:
        r = http.post("/v1/score", content=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"

        assert http.get("/healthz").status_code == 200
    # Chunked transfer encoding (no Content-Length), on a raw socket: send 10 KB chunks and
    # read whatever the server answers as soon as it answers, so the 413 is always seen.
    host, port = server.url.removeprefix("http://").split(":")
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
    with httpx.Client(base_url=server.url, timeout=10.0) as http:
        assert http.get("/healthz").status_code == 200


def test_real_server_without_model_is_not_ready(tmp_path: Path) -> None:
    empty = tmp_path / "no-models"
    empty.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPEMETER_")}
    # an empty models volume named by the setting (an explicit --model must hold a model:
    # tests/cli/test_cli_family.py)
    env["HYPEMETER_MODELS_DIR"] = str(empty)
    proc = subprocess.Popen(
        [*hypemeter_command(), "serve", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                r = httpx.get(f"{url}/healthz", timeout=1.0)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert r.status_code == 200
        assert httpx.get(f"{url}/readyz").status_code == 503
        r = httpx.post(f"{url}/v1/score", json={"body": BODY})
        assert r.status_code == 503 and r.json()["error"]["code"] == "model_not_ready"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_reload_under_load(server: Server) -> None:
    """Reloads alternating v1/v2 while 8 clients score: no request fails, no response mixes
    versions, and both versions get served."""
    stop = threading.Event()
    failures: list[str] = []
    seen: dict[str, int] = {}
    lock = threading.Lock()
    items = [{"id": str(i), "headline": HEADLINE, "body": BODY * 3} for i in range(16)]

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=server.url, timeout=30.0) as http:
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
        with httpx.Client(base_url=server.url, timeout=30.0,
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
