"""``POST /v1/score``: the core's contract over HTTP, and every error it answers (422 naming
the field, 415, 413 on the body and on one field)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings
from support.apps import app_client, assert_error
from support.texts import BODY, HEADLINE

from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

# every test here starts without HYPEMETER_* settings (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("clean_env")


def test_score_matches_core_contract(client: TestClient, scorer: Scorer) -> None:
    r = client.post("/v1/score", json={"id": "a-1", "headline": HEADLINE, "body": BODY})
    assert r.status_code == 200
    got = r.json()
    want = scorer.score_one(Article(headline=HEADLINE, body=BODY, id="a-1")).to_dict()
    assert got == json.loads(json.dumps(want))
    assert set(got) == {"id", "scores", "spans", "model", "language", "language_asserted"}
    assert set(got["scores"]) == {"sensationalism", "misinformation_risk"}
    assert got["model"] == {"name": "hypemeter", "version": scorer.version}
    texts = {"headline": HEADLINE, "body": BODY}
    for span in got["spans"]:
        assert set(span) == {"field", "start", "end", "text", "category", "weight"}
        assert texts[span["field"]][span["start"] : span["end"]] == span["text"]


def test_score_id_null_explain_off_and_max_spans(client: TestClient) -> None:
    r = client.post("/v1/score", json={"headline": HEADLINE, "body": BODY, "explain": False})
    assert r.status_code == 200
    assert r.json()["id"] is None and r.json()["spans"] == []
    full = client.post("/v1/score", json={"headline": HEADLINE, "body": BODY}).json()
    one = client.post("/v1/score", json={"headline": HEADLINE, "body": BODY, "max_spans": 1})
    assert len(one.json()["spans"]) <= 1
    assert one.json()["scores"] == full["scores"]


@pytest.mark.parametrize(
    "payload",
    [{"headline": HEADLINE}, {"body": BODY}, {"headline": HEADLINE, "body": None},
     {"headline": "", "body": BODY}],
)
def test_score_one_field_is_enough(client: TestClient, payload: dict[str, Any]) -> None:
    assert client.post("/v1/score", json=payload).status_code == 200


@pytest.mark.parametrize("mode", ["batch", "thread", "sync"])
def test_score_modes(service_models_dir: Path, scorer: Scorer, mode: str) -> None:
    with app_client(service_models_dir, scorer, score_mode=mode) as c:
        a = c.post("/v1/score", json={"headline": HEADLINE, "body": BODY})
        b = c.post("/v1/score/batch", json={"items": [{"body": BODY}, {"headline": HEADLINE}]})
        assert a.status_code == 200 and b.status_code == 200
        assert_error(c.post("/v1/score", json={"body": " "}), 422, "invalid_input", "body")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "body"),
        ({"headline": "", "body": ""}, "body"),
        ({"headline": "   ", "body": "\n\t"}, "body"),
        ({"headline": None, "body": None, "explain": False}, "body"),
        ({"headline": 123, "body": BODY}, "headline"),
        ({"headline": ["a"], "body": BODY}, "headline"),
        ({"body": BODY, "explain": "yes"}, "explain"),
        ({"body": BODY, "explain": 1}, "explain"),
        ({"body": BODY, "max_spans": -1}, "max_spans"),
        ({"body": BODY, "max_spans": "3"}, "max_spans"),
        ({"body": BODY, "max_spans": 1.5}, "max_spans"),
        ({"body": BODY, "max_spans": 10**30}, "max_spans"),
        ({"body": BODY, "id": 7}, "id"),
        ({"body": BODY, "id": "x" * 300}, "id"),
        ({"body": BODY, "bodyy": "typo"}, "bodyy"),
        ({"body": "bad \ud800 surrogate"}, "body"),
    ],
)
def test_score_422_names_the_field(
    client: TestClient, payload: dict[str, Any], field: str
) -> None:
    r = client.post(
        "/v1/score",
        content=json.dumps(payload).encode(),  # json.dumps keeps lone surrogates as \ud800
        headers={"Content-Type": "application/json"},
    )
    assert_error(r, 422, "invalid_input", field)


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"not json", b"[1, 2]", b'"a string"', b"null", b"\xff\xfe{}",
     b"[" * 200_000, b'{"body": "x"} trailing'],
)
def test_score_bad_json_is_422(client: TestClient, raw: bytes) -> None:
    r = client.post("/v1/score", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_input"


def test_score_wrong_content_type_is_415(client: TestClient) -> None:
    payload = json.dumps({"body": BODY})
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        r = client.post("/v1/score", content=payload, headers={"Content-Type": ctype})
        assert_error(r, 415, "unsupported_media_type")
    r = client.post("/v1/score", data={"body": BODY})  # form post
    assert_error(r, 415, "unsupported_media_type")
    r = client.post("/v1/score", content=payload.encode(), headers={"Content-Type": ""})
    assert_error(r, 415, "unsupported_media_type")
    ok = client.post(
        "/v1/score",
        content=payload,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 200
    ok = client.post("/v1/score", content=payload, headers={"Content-Type": "application/ld+json"})
    assert ok.status_code == 200


def test_body_over_limit_is_413(service_models_dir: Path, scorer: Scorer) -> None:
    with app_client(service_models_dir, scorer, max_body_bytes=2_000) as c:
        assert c.post("/v1/score", json={"body": "x" * 1_500}).status_code == 200
        r = c.post("/v1/score", json={"body": "x" * 2_500})
        assert_error(r, 413, "payload_too_large")
        assert "x-request-id" in r.headers

        def chunks() -> Iterator[bytes]:  # no Content-Length: the bytes are counted
            yield b'{"body": "'
            for _ in range(30):
                yield b"y" * 100
            yield b'"}'

        r = c.post("/v1/score", content=chunks(), headers={"Content-Type": "application/json"})
        assert_error(r, 413, "payload_too_large")
        r = c.post("/v1/score/batch", json={"items": [{"body": "z" * 900}] * 3})
        assert_error(r, 413, "payload_too_large")
        metrics = c.get("/metrics").text
        assert 'route="/v1/score",status="413"' in metrics


def test_body_limit_counts_streamed_bytes_despite_content_length(
    service_models_dir: Path, scorer: Scorer
) -> None:
    """A client that declares a small Content-Length but sends more still gets a 413."""
    app = create_app(Settings(models_dir=service_models_dir, max_body_bytes=1_000), scorer=scorer)
    sent: list[dict[str, Any]] = []
    chunks = [b'{"body": "' + b"a" * 600, b"a" * 600 + b'"}']

    async def receive() -> dict[str, Any]:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/score", "raw_path": b"/v1/score", "query_string": b"",
        "root_path": "", "headers": [(b"content-type", b"application/json"),
                                     (b"content-length", b"100")],
        "client": ("127.0.0.1", 1234), "server": ("127.0.0.1", 80), "state": {},
    }
    anyio.run(app, scope, receive, send)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "payload_too_large"


def test_field_over_limit_is_413(service_models_dir: Path, scorer: Scorer) -> None:
    with app_client(service_models_dir, scorer, max_field_chars=100) as c:
        at_limit = {"headline": "h" * 100, "body": "b" * 100}
        assert c.post("/v1/score", json=at_limit).status_code == 200
        assert_error(c.post("/v1/score", json={"headline": "h" * 101}), 413,
                     "payload_too_large", "headline")
        assert_error(c.post("/v1/score", json={"body": "é" * 101}), 413,
                     "payload_too_large", "body")
        items = [{"body": "ok"}] * 2 + [{"headline": "fine", "body": "b" * 101}]
        assert_error(c.post("/v1/score/batch", json={"items": items}), 413,
                     "payload_too_large", "items.2.body")


def test_default_limits(client: TestClient) -> None:
    # 200 000 characters per field is fine, one more is not (the body stays under 1 MB).
    assert client.post("/v1/score", json={"body": "word " * 40_000}).status_code == 200
    assert_error(client.post("/v1/score", json={"body": "w" * 200_001}), 413,
                 "payload_too_large", "body")
    big = {"items": [{"body": "w" * 150_000}] * 7}  # ~1.05 MB
    assert_error(client.post("/v1/score/batch", json=big), 413, "payload_too_large")
