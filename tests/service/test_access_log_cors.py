"""The access log (one JSON line per request, no request text unless asked) and CORS (off
unless origins are configured)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.apps import app_client
from support.texts import BODY

from hypemeter.scoring.scorer import Scorer

# every test here starts without HYPEMETER_* settings (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("clean_env")


def test_access_log_lines(client: TestClient, access_log: list[str]) -> None:
    client.post("/v1/score", json={"body": BODY}, headers={"X-Request-ID": "req-77"})
    client.get("/nope")
    assert len(access_log) == 2
    first, second = (json.loads(line) for line in access_log)
    assert first["request_id"] == "req-77" and first["method"] == "POST"
    assert first["route"] == "/v1/score" and first["status"] == 200
    assert isinstance(first["latency_ms"], float) and first["latency_ms"] >= 0
    assert first["logger"] == "hypemeter.access"
    assert second["status"] == 404 and second["route"] == "<unmatched>"
    assert "devastating" not in "\n".join(access_log)  # no request text by default


def test_access_log_text_when_asked(
    service_models_dir: Path, scorer: Scorer, access_log: list[str]
) -> None:
    with app_client(service_models_dir, scorer, log_requests_text=True) as c:
        c.post("/v1/score", json={"body": BODY})
    assert "devastating scandal" in json.loads(access_log[-1])["request_text"]


def test_cors_off_by_default(client: TestClient) -> None:
    r = client.post("/v1/score", json={"body": BODY}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    r = client.options("/v1/score", headers={"Origin": "https://evil.example",
                                              "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_when_configured(service_models_dir: Path, scorer: Scorer) -> None:
    with app_client(service_models_dir, scorer, cors_origins=["https://ok.example"]) as c:
        r = c.post("/v1/score", json={"body": BODY}, headers={"Origin": "https://ok.example"})
        assert r.headers["access-control-allow-origin"] == "https://ok.example"
        r = c.options("/v1/score", headers={"Origin": "https://ok.example",
                                             "Access-Control-Request-Method": "POST"})
        assert r.status_code == 200
        r = c.post("/v1/score", json={"body": BODY}, headers={"Origin": "https://no.example"})
        assert "access-control-allow-origin" not in r.headers
