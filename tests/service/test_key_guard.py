"""Keys (issue 22, audit item 8): checked before a byte of the body is read, wrong keys
counted per client (429 past ``HYPEMETER_MAX_KEY_FAILURES``), short keys refused at start,
and the 403 of the admin routes naming them. In-process, then a real server (slow)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings
from pydantic import ValidationError
from support.servers import Server, start_server

from hypemeter.scoring.scorer import Scorer

ADMIN_KEY = "audit-admin-key-0123456789"
API_KEY = "audit-api-key-0123456789"
BODY = "The council voted 5-4 to collect bins every two weeks from March."

pytestmark = pytest.mark.usefixtures("clean_env")

# --------------------------------------------------------------------------- 8. keys


def test_keys_shorter_than_16_characters_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("api_key", "admin_key"):
        with pytest.raises(ValidationError, match="at least 16 characters"):
            Settings(**{name: "x"})
        with pytest.raises(ValidationError, match="at least 16 characters"):
            Settings(**{name: "fifteen-chars-k"})
        assert Settings(**{name: "sixteen-chars-ok"})
    monkeypatch.setenv("HYPEMETER_ADMIN_KEY", "a")
    proc = subprocess.run([sys.executable, "-m", "hypemeter", "serve", "--port", "65534"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "HYPEMETER_ADMIN_KEY" in proc.stderr, proc.stderr
    assert "16" in proc.stderr


def test_the_403_on_listing_feedback_names_the_feedback_routes(
    service_models_dir: Path, scorer: Scorer, tmp_path: Path
) -> None:
    settings = Settings(models_dir=service_models_dir,
                        database_url=f"sqlite:///{tmp_path / 'fb.db'}")
    with TestClient(create_app(settings, scorer=scorer)) as c:
        for method in ("GET", "DELETE"):
            path = "/v1/feedback" if method == "GET" else "/v1/feedback/x"
            r = c.request(method, path)
            assert r.status_code == 403
            assert "/v1/feedback" in r.json()["error"]["message"], r.text


@pytest.fixture
def keyed(service_models_dir: Path, scorer: Scorer, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(models_dir=service_models_dir, api_key=API_KEY, admin_key=ADMIN_KEY,
                        database_url=f"sqlite:///{tmp_path / 'fb.db'}", max_key_failures=3,
                        max_body_bytes=10_000)
    with TestClient(create_app(settings, scorer=scorer)) as c:
        yield c


def test_a_request_without_its_key_gets_401_whatever_its_body(keyed: TestClient) -> None:
    big = json.dumps({"body": "x" * 50_000}).encode()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 4096):
            yield big[i:i + 4096]

    json_ct = {"Content-Type": "application/json"}
    for path in ("/v1/score", "/v1/feedback"):
        r = keyed.post(path, content=big, headers=json_ct)  # Content-Length over the limit
        assert r.status_code == 401, (path, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
        r = keyed.post(path, content=chunks(), headers=json_ct)  # chunked, no length
        assert r.status_code == 401, (path, r.text)
        r = keyed.post(path, content=big, headers={**json_ct, "X-API-Key": API_KEY})
        assert r.status_code == 413, (path, r.text)  # the right key: then the size counts
    r = keyed.post("/v1/admin/reload", content=big, headers=json_ct)
    assert r.status_code == 401, r.text


def test_wrong_keys_past_the_limit_get_429_then_even_the_right_one(keyed: TestClient) -> None:
    wrong = {"X-API-Key": "not-the-key-0123456789"}
    for _ in range(2):  # a missing key guesses nothing: not counted
        assert keyed.post("/v1/score", json={"body": BODY}).status_code == 401
    for _ in range(3):
        assert keyed.post("/v1/score", json={"body": BODY}, headers=wrong).status_code == 401
    r = keyed.post("/v1/score", json={"body": BODY}, headers=wrong)
    assert r.status_code == 429, r.text
    assert r.json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(r.headers["retry-after"]) <= 60
    r = keyed.post("/v1/score", json={"body": BODY}, headers={"X-API-Key": API_KEY})
    assert r.status_code == 429  # the right key must not tell a guesser it was right
    assert keyed.get("/healthz").status_code == 200  # routes without keys are unaffected


def test_key_failures_free_up_after_the_window() -> None:
    from hypemeter.service.key_guard import KeyFailures

    failures = KeyFailures(limit=2, window=0.3)
    failures.fail("a")
    assert failures.retry_after("a") is None
    failures.fail("a")
    wait = failures.retry_after("a")
    assert wait is not None and 0 < wait <= 0.3
    assert failures.retry_after("b") is None  # per client
    time.sleep(0.35)
    assert failures.retry_after("a") is None
    off = KeyFailures(limit=0, window=60)
    for _ in range(100):
        off.fail("a")
    assert off.retry_after("a") is None


# --------------------------------------------------------------------------- real server


@pytest.fixture(scope="module")
def keyed_server(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(bundle_dir, tmp_path_factory.mktemp("audit-server"),
                       {"HYPEMETER_API_KEY": API_KEY, "HYPEMETER_ADMIN_KEY": ADMIN_KEY})
    yield srv
    srv.stop()


def raw_reply(url: str, head: bytes, timeout: float = 10.0) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head)  # the headers only: the promised body never comes
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    return reply


@pytest.mark.slow
@pytest.mark.parametrize("framing", [b"Content-Length: 50000000", b"Transfer-Encoding: chunked"])
def test_a_real_server_answers_401_before_reading_the_body(keyed_server: Server,
                                                           framing: bytes) -> None:
    head = (b"POST /v1/score HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            + framing + b"\r\n\r\n")
    began = time.monotonic()
    reply = raw_reply(keyed_server.url, head)
    assert reply.startswith(b"HTTP/1.1 401"), reply[:200]
    assert time.monotonic() - began < 5  # no waiting for the body (the body timeout is 30 s)


@pytest.mark.parametrize(("code", "status"), [("too_many_requests", 429),
                                              ("database_unavailable", 503)])
def test_the_client_raises_the_servers_class_for_429_and_503(code: str, status: int) -> None:
    import httpx

    from hypemeter.client import error_from_response

    answer = httpx.Response(status, json={"error": {"code": code, "message": "retry later"}})
    exc = error_from_response(answer)
    assert exc.code == code and exc.status == status and exc.message == "retry later"
