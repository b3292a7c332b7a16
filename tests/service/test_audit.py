"""The operator's audit (issue 22): what a hostile or unlucky deployment met, in-process.

Feedback listing bounded in bytes, NUL characters, logged 503s, out-of-range times, a
``models/current`` loop, the doc pages' headers and the key rules. The database tests run on
SQLite and on a real PostgreSQL (the ``database_url`` fixture); the real-server and browser
tests are at the end (slow).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings
from live_server import Server, start_server
from pydantic import ValidationError
from test_page import browser  # noqa: F401 (the page tests' Chromium fixture, shared)

from hypemeter.scoring.scorer import Scorer
from hypemeter.storage import FeedbackStore, NewFeedback

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ADMIN_KEY = "audit-admin-key-0123456789"
API_KEY = "audit-api-key-0123456789"
ADMIN = {"X-API-Key": ADMIN_KEY}
HEADLINE = "Council SLAMS bin plan in furious late-night vote"
BODY = "The council voted 5-4 to collect bins every two weeks from March."
UNREACHABLE_PG = "postgresql+psycopg://nobody@127.0.0.1:1/none"

pytestmark = pytest.mark.usefixtures("clean_env")


def make_client(models_dir: Path, scorer: Scorer, url: str, **kw: Any) -> TestClient:
    settings = Settings(models_dir=models_dir, database_url=url, admin_key=ADMIN_KEY, **kw)
    return TestClient(create_app(settings, scorer=scorer))


@pytest.fixture
def client(service_models_dir: Path, scorer: Scorer, database_url: str) -> Iterator[TestClient]:
    with make_client(service_models_dir, scorer, database_url) as c:
        yield c


def post(c: TestClient, **kw: Any) -> httpx.Response:
    body: dict[str, Any] = {"headline": HEADLINE, "body": BODY, "labels": {"sensational": 1}}
    body.update(kw)
    return c.post("/v1/feedback", json=body)


def cursor_of(*parts: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


# --------------------------------------------------------------------------- 1. list in bytes


def test_a_feedback_page_is_bounded_in_bytes_and_the_cursor_walks_every_row(
    service_models_dir: Path, scorer: Scorer, database_url: str
) -> None:
    store = FeedbackStore(database_url)
    sizes = [300_000, 10, 500_000, 200_000, 900_000, 50, 1_200_000]  # body characters
    for i, n in enumerate(sizes):
        store.add(NewFeedback(headline=f"item {i}", body="é" * n, sensational=1))
    store.close()
    with make_client(service_models_dir, scorer, database_url,
                     feedback_page_bytes=1_000_000) as c:
        seen: list[str] = []
        pages: list[int] = []
        cursor = None
        while True:
            r = c.get("/v1/feedback", params={"limit": 1000, **({"cursor": cursor} if cursor
                                                                   else {})}, headers=ADMIN)
            assert r.status_code == 200, r.text
            page = r.json()
            items = page["items"]
            text_bytes = sum(len(i["body"].encode()) for i in items)
            # a page passes the bound only by its first row (every page moves on)
            assert len(items) == 1 or text_bytes <= 1_000_000 + 100 * len(items), text_bytes
            pages.append(len(items))
            seen += [i["headline"] for i in items]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert seen == [f"item {i}" for i in reversed(range(len(sizes)))]  # newest first, once each
    assert len(pages) >= 5, pages  # é is 2 bytes: 2.4 MB, 1.8 MB, 1.0+ MB... in pages of 1 MB


# --------------------------------------------------------------------------- 2. NUL


@pytest.mark.parametrize("field", ["headline", "body", "note", "id", "model_version"])
def test_a_nul_character_is_422_naming_the_field_on_every_backend(
    client: TestClient, field: str
) -> None:
    value = "before\u0000after"
    r = post(client, **{field: value})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_input" and err["field"] == field
    assert "NUL" in err["message"]
    listed = client.get("/v1/feedback", headers=ADMIN)
    assert listed.status_code == 200 and listed.json()["items"] == []  # nothing stored


def test_nul_in_queries_and_ids_is_answered_alike_on_every_backend(client: TestClient) -> None:
    assert post(client).status_code == 201
    r = client.get("/v1/feedback", params={"model_version": "\u0000"}, headers=ADMIN)
    assert r.status_code == 422 and r.json()["error"]["field"] == "model_version", r.text
    r = client.get("/v1/feedback", params={"cursor": cursor_of("2026-01-01T00:00:00+00:00",
                                                               "a\u0000b")}, headers=ADMIN)
    assert r.status_code == 422 and r.json()["error"]["field"] == "cursor", r.text
    for method in ("GET", "DELETE"):
        r = client.request(method, "/v1/feedback/%00", headers=ADMIN)
        assert r.status_code == 404, r.text


# --------------------------------------------------------------------------- 3. 503 logged


def test_database_503s_are_logged_rate_limited_with_the_reason_and_retry_after(
    service_models_dir: Path, scorer: Scorer, caplog: pytest.LogCaptureFixture
) -> None:
    with make_client(service_models_dir, scorer, UNREACHABLE_PG) as c:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="hypemeter.service"):
            answers = [post(c) for _ in range(3)]
            answers += [c.get("/v1/feedback", headers=ADMIN) for _ in range(3)]
    for r in answers:
        assert r.status_code == 503 and r.json()["error"]["code"] == "database_unavailable"
        assert int(r.headers["retry-after"]) >= 1
    warnings = [rec for rec in caplog.records
                if rec.levelno == logging.WARNING and "database unavailable" in rec.getMessage()]
    assert len(warnings) == 1, [w.getMessage() for w in warnings]  # six 503s, one line
    fields = warnings[0].fields  # type: ignore[attr-defined]
    assert "127.0.0.1" in fields["reason"] or "refused" in fields["reason"].lower(), fields
    assert fields["responses_503"] == 1


def test_the_outage_log_counts_what_it_did_not_write() -> None:
    from hypemeter.service.outage import OutageLog

    from hypemeter.errors import StorageUnavailableError

    log = OutageLog(interval=0.2)
    exc = StorageUnavailableError("down", reason="connection refused")
    assert log.record(exc, "/v1/feedback") is True
    assert [log.record(exc, "/v1/feedback") for _ in range(4)] == [False] * 4
    time.sleep(0.25)
    assert log.record(exc, "/v1/feedback") is True


# --------------------------------------------------------------------------- 5. times


@pytest.mark.parametrize("name", ["since", "until"])
def test_out_of_range_times_are_422(client: TestClient, name: str) -> None:
    for value in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        r = client.get("/v1/feedback", params={name: value}, headers=ADMIN)
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["field"] == name and "out of range" in err["message"]


def test_a_cursor_with_an_out_of_range_time_is_422(client: TestClient) -> None:
    for when in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"):
        r = client.get("/v1/feedback", params={"cursor": cursor_of(when, "x")}, headers=ADMIN)
        assert r.status_code == 422 and r.json()["error"]["field"] == "cursor", r.text


def test_export_since_an_out_of_range_time_is_a_clear_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPEMETER_")}
    env["HYPEMETER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'fb.db'}"
    proc = subprocess.run(
        [sys.executable, "-m", "hypemeter", "feedback", "export", "--since",
         "0001-01-01T00:00:00+14:00"], capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "--since" in proc.stderr and "out of range" in proc.stderr


# --------------------------------------------------------------------------- 6. link loop


def loop_models(tmp_path: Path, service_models_dir: Path) -> Path:
    models = tmp_path / "models"
    models.mkdir()
    (models / "v1").symlink_to(service_models_dir / "v1", target_is_directory=True)
    (models / "current").symlink_to("v1")
    return models


def make_loop(models: Path) -> None:
    (models / "current").unlink()
    (models / "current").symlink_to("current-2")
    (models / "current-2").symlink_to("current")


def test_reload_onto_a_symlink_loop_is_409_and_the_old_model_keeps_serving(
    tmp_path: Path, service_models_dir: Path
) -> None:
    models = loop_models(tmp_path, service_models_dir)
    with TestClient(create_app(Settings(models_dir=models, admin_key=ADMIN_KEY))) as c:
        assert c.get("/readyz").json()["model"]["version"] == "v1"
        make_loop(models)
        r = c.post("/v1/admin/reload", json={}, headers=ADMIN)
        assert r.status_code == 409, r.text
        assert "symlink loop" in r.json()["error"]["message"]
        assert c.get("/readyz").json()["model"]["version"] == "v1"
        assert c.post("/v1/score", json={"body": BODY}).status_code == 200


@pytest.mark.parametrize("command", ["serve", "score"])
def test_the_cli_on_a_symlink_loop_says_so_without_a_traceback(
    tmp_path: Path, service_models_dir: Path, command: str
) -> None:
    models = loop_models(tmp_path, service_models_dir)
    make_loop(models)
    article = tmp_path / "a.jsonl"
    article.write_text(json.dumps({"body": BODY}) + "\n")
    extra = ["--port", "0"] if command == "serve" else [str(article)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPEMETER_")}
    proc = subprocess.run(
        [sys.executable, "-m", "hypemeter", command, "--model", str(models), *extra],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "symlink loop" in proc.stderr and "current" in proc.stderr


# --------------------------------------------------------------------------- 7. doc headers


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_doc_pages_carry_the_security_headers_and_a_nonce_csp(tmp_path: Path, page: str) -> None:
    c = TestClient(create_app(Settings(models_dir=tmp_path)))
    nonces = []
    for _ in range(2):
        r = c.get(page)
        assert r.status_code == 200
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        script_src = re.search(r"script-src ([^;]+)", csp).group(1)  # type: ignore[union-attr]
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)  # type: ignore[union-attr]
        scripts = re.findall(r"<script([^>]*)>", r.text)
        inline = [attrs for attrs in scripts if "src=" not in attrs]
        assert all(f'nonce="{nonce}"' in attrs for attrs in inline), scripts
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


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
    proc = subprocess.run([sys.executable, "-m", "hypemeter", "serve", "--port", "0"],
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


@pytest.mark.slow
def test_doc_pages_render_in_chromium_under_their_csp(browser: Browser,  # noqa: F811
                                                      keyed_server: Server) -> None:
    context = browser.new_context()
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: refused.append(str(exc)))
    response = page.goto(keyed_server.url + "/docs")
    assert response is not None and "content-security-policy" in response.headers
    page.wait_for_selector(".swagger-ui .opblock-summary-path", timeout=30_000)
    page.goto(keyed_server.url + "/redoc")
    page.wait_for_selector(".redoc-wrap .api-content h1", timeout=30_000)
    page.wait_for_timeout(500)
    context.close()
    assert not refused, refused
