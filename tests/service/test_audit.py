"""The operator's audit (issue 22): what a hostile or unlucky deployment met, in-process.

Feedback listing bounded in bytes, NUL characters, logged 503s, out-of-range times, a
``models/current`` loop and the doc pages' headers (the keys: test_key_guard.py). The database
tests run on SQLite and on a real PostgreSQL (the ``database_url`` fixture); the browser test
is at the end (slow).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
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
from support.servers import Server, start_server

from hypemeter.scoring.scorer import Scorer
from hypemeter.storage import FeedbackStore, NewFeedback

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ADMIN_KEY = "audit-admin-key-0123456789"
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
    extra = ["--port", "65534"] if command == "serve" else [str(article)]
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


# --------------------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def docs_server(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(bundle_dir, tmp_path_factory.mktemp("audit-docs-server"))
    yield srv
    srv.stop()


@pytest.mark.slow
def test_doc_pages_render_in_chromium_under_their_csp(browser: Browser,
                                                      docs_server: Server) -> None:
    context = browser.new_context()
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: refused.append(str(exc)))
    response = page.goto(docs_server.url + "/docs")
    assert response is not None and "content-security-policy" in response.headers
    page.wait_for_selector(".swagger-ui .opblock-summary-path", timeout=30_000)
    page.goto(docs_server.url + "/redoc")
    page.wait_for_selector(".redoc-wrap .api-content h1", timeout=30_000)
    page.wait_for_timeout(500)
    context.close()
    assert not refused, refused
