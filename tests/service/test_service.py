"""In-process tests of the REST service: every route and every error of the API contract."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app, report_files
from hypemeter.service.batching import MicroBatcher
from hypemeter.service.logging import ACCESS_LOGGER, JsonFormatter
from hypemeter.service.schemas import ScoreRequest
from hypemeter.service.settings import Settings
from hypemeter.service.state import LoadedModel

from hypemeter.bundles.bundle import load_bundle
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

HEADLINE = "SHOCKING: Doctors FURIOUS as outrageous scheme spreads like wildfire!"
BODY = (
    "You won't believe what happened next. Experts are terrified as the devastating scandal "
    "explodes, and the corrupt elites are desperate to bury the truth. Act now!"
)
API_KEY = "test-api-key-0123456789"
ADMIN_KEY = "test-admin-key-9876543210"


# every test here starts without HYPEMETER_* settings (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("clean_env")


def make_settings(models_dir: Path, **overrides: Any) -> Settings:
    return Settings(models_dir=models_dir, **overrides)


@pytest.fixture
def client(service_models_dir: Path, scorer: Scorer) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(service_models_dir), scorer=scorer)) as c:
        yield c


@pytest.fixture
def loaded_client(service_models_dir: Path) -> Iterator[TestClient]:
    """Loads ``current`` (v1) at startup, like the real server; admin routes enabled."""
    settings = make_settings(service_models_dir, admin_key=ADMIN_KEY, api_key=API_KEY)
    with TestClient(create_app(settings)) as c:
        yield c


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(JsonFormatter().format(record))


@pytest.fixture
def access_log() -> Iterator[list[str]]:
    handler = Collect()
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def assert_error(resp: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in resp.text
    if field is None:
        assert "field" not in body["error"] or body["error"]["field"] is None
    else:
        assert body["error"].get("field") == field


# --------------------------------------------------------------------------- health & ops


def test_healthz_and_request_id(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    rid = r.headers["x-request-id"]
    assert len(rid) == 32 and int(rid, 16) >= 0
    assert r.headers["server-timing"].startswith("app;dur=")
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123.x"})
    assert r.headers["x-request-id"] == "abc-123.x"
    r = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert r.headers["x-request-id"] != "bad id\twith spaces"


def test_readyz_with_model(client: TestClient, scorer: Scorer) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    model = {"name": "hypemeter", "version": scorer.version}
    assert r.json() == {"status": "ready", "model": model}


def test_no_model_starts_but_not_ready(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path / "nothing-here"))) as c:
        assert c.get("/healthz").status_code == 200
        assert_error(c.get("/readyz"), 503, "model_not_ready")
        assert_error(c.post("/v1/score", json={"body": BODY}), 503, "model_not_ready")
        assert_error(
            c.post("/v1/score/batch", json={"items": [{"body": BODY}]}), 503, "model_not_ready"
        )
        assert_error(c.get("/v1/model"), 503, "model_not_ready")
        assert "hypemeter_model_loaded 0.0" in c.get("/metrics").text


def test_startup_loads_current(loaded_client: TestClient) -> None:
    r = loaded_client.get("/readyz")
    assert r.status_code == 200 and r.json()["model"]["version"] == "v1"


def test_startup_loads_configured_version(service_models_dir: Path) -> None:
    with TestClient(create_app(make_settings(service_models_dir, model_version="v2"))) as c:
        assert c.get("/readyz").json()["model"]["version"] == "v2"


def test_metrics(client: TestClient, scorer: Scorer) -> None:
    assert client.post("/v1/score", json={"headline": HEADLINE, "body": BODY}).status_code == 200
    client.post("/v1/score", json={})
    client.get("/no/such/route/12345")
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'hypemeter_http_requests_total{method="POST",route="/v1/score",status="200"} 1.0' in text
    assert 'hypemeter_http_requests_total{method="POST",route="/v1/score",status="422"} 1.0' in text
    assert 'route="<unmatched>"' in text and "12345" not in text  # no per-path label explosion
    assert 'hypemeter_http_request_duration_seconds_bucket{le="0.005",route="/v1/score"}' in text
    assert 'hypemeter_score_bucket{le="1.0",score="sensationalism"} 1.0' in text
    assert 'hypemeter_score_count{score="misinformation_risk"} 1.0' in text
    assert f'hypemeter_model_info{{name="hypemeter",version="{scorer.version}"}} 1.0' in text
    assert "hypemeter_scoring_duration_seconds_count" in text
    assert "hypemeter_http_requests_in_progress 1.0" in text  # this very request


def test_metrics_registry_per_app(service_models_dir: Path, scorer: Scorer) -> None:
    with TestClient(create_app(make_settings(service_models_dir), scorer=scorer)) as a:
        a.get("/healthz")
        a.get("/healthz")
        with TestClient(create_app(make_settings(service_models_dir), scorer=scorer)) as b:
            b.get("/healthz")
            line = 'hypemeter_http_requests_total{method="GET",route="/healthz",status="200"}'
            assert f"{line} 2.0" in a.get("/metrics").text
            assert f"{line} 1.0" in b.get("/metrics").text


def test_openapi_and_docs(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/v1/score", "/v1/score/batch", "/v1/model", "/healthz", "/readyz", "/metrics",
                 "/v1/admin/reload", "/v1/model/report/{name}"):
        assert path in paths, path
    schemas = spec["components"]["schemas"]
    assert schemas["ScoreRequest"]["examples"][0]["headline"].startswith("SHOCKING")
    assert schemas["ScoreResponse"]["examples"][0]["scores"]["sensationalism"] > 0.5
    assert schemas["ScoreBatchRequest"]["properties"]["items"]["maxItems"] == 256
    for code in ("401", "413", "415", "422", "503"):
        ref = paths["/v1/score"]["post"]["responses"][code]["content"]["application/json"]
        assert ref["schema"]["$ref"].endswith("/ErrorResponse")
    assert client.get("/docs").status_code == 200


# --------------------------------------------------------------------------- scoring


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
    settings = make_settings(service_models_dir, score_mode=mode)
    with TestClient(create_app(settings, scorer=scorer)) as c:
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
    settings = make_settings(service_models_dir, max_body_bytes=2_000)
    with TestClient(create_app(settings, scorer=scorer)) as c:
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
    app = create_app(make_settings(service_models_dir, max_body_bytes=1_000), scorer=scorer)
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
    settings = make_settings(service_models_dir, max_field_chars=100)
    with TestClient(create_app(settings, scorer=scorer)) as c:
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


# --------------------------------------------------------------------------- batch


def test_batch_order_and_sizes(client: TestClient, scorer: Scorer) -> None:
    items = [{"id": f"i{i}", "headline": HEADLINE if i % 2 else "", "body": BODY if i % 3 else
              "Plain council report."} for i in range(256)]
    r = client.post("/v1/score/batch", json={"items": items})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [res["id"] for res in results] == [f"i{i}" for i in range(256)]
    assert {res["model"]["version"] for res in results} == {scorer.version}
    single = client.post("/v1/score", json=items[5]).json()
    assert results[5] == single
    one = client.post("/v1/score/batch", json={"items": [{"body": BODY}]})
    assert one.status_code == 200 and len(one.json()["results"]) == 1


def test_batch_mixed_explain_keeps_order(client: TestClient) -> None:
    items = [
        {"id": "a", "headline": HEADLINE, "explain": True},
        {"id": "b", "headline": HEADLINE, "explain": False},
        {"id": "c", "headline": HEADLINE, "max_spans": 1},
        {"id": "d", "headline": HEADLINE},
    ]
    results = client.post("/v1/score/batch", json={"items": items}).json()["results"]
    assert [r["id"] for r in results] == ["a", "b", "c", "d"]
    assert results[1]["spans"] == []
    assert len(results[2]["spans"]) <= 1
    assert {**results[0], "id": "d"} == results[3]
    assert len({json.dumps(r["scores"], sort_keys=True) for r in results}) == 1


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"items": []}, 422, "items"),
        ({"items": [{"body": "x"}] * 257}, 422, "items"),
        ({}, 422, "items"),
        ({"items": {"body": "x"}}, 422, "items"),
        ({"items": [{"body": "x"}] * 3 + [{"body": 5}]}, 422, "items.3.body"),
        ({"items": [{"body": "x"}] * 3 + [{"headline": "", "body": " "}]}, 422, "items.3.body"),
        ({"items": [{"body": "x"}, {"body": "x", "explain": "no"}]}, 422, "items.1.explain"),
        ({"items": [{"body": "x"}, "not an object"]}, 422, "items.1"),
        ({"items": [{"body": "x"}], "extra": 1}, 422, "extra"),
    ],
)
def test_batch_errors_name_the_item(
    client: TestClient, payload: dict[str, Any], status: int, field: str
) -> None:
    r = client.post("/v1/score/batch", json=payload)
    assert_error(r, status, "invalid_input", field)


def test_batch_limit_is_a_setting(service_models_dir: Path, scorer: Scorer) -> None:
    settings = make_settings(service_models_dir, max_batch_items=3)
    with TestClient(create_app(settings, scorer=scorer)) as c:
        assert c.post("/v1/score/batch", json={"items": [{"body": "x"}] * 3}).status_code == 200
        assert_error(c.post("/v1/score/batch", json={"items": [{"body": "x"}] * 4}), 422,
                     "invalid_input", "items")


# --------------------------------------------------------------------------- model card


def test_model_card_and_report(loaded_client: TestClient, service_models_dir: Path) -> None:
    auth = {"X-API-Key": API_KEY}
    r = loaded_client.get("/v1/model", headers=auth)
    assert r.status_code == 200
    info = r.json()
    card = json.loads((service_models_dir / "v1" / "card.json").read_text())
    assert info["name"] == "hypemeter" and info["version"] == "v1"
    assert info["created_at"] == card["created_at"]
    assert info["corpora"] == card["corpora"]
    assert info["validation"] == card["validation"]
    assert info["thresholds"] == card["thresholds"]
    assert info["measured"] == card["measured"]
    assert info["measured"]["scoring"]["results"]["with_explanations"] == {
        "articles_per_cpu_second": 1234.5}
    names = {f["name"]: f for f in info["report"]}
    assert set(names) == {"calibration.png", "figures/roc.svg", "summary.json"}
    assert names["calibration.png"]["media_type"] == "image/png"
    png = loaded_client.get(names["calibration.png"]["url"], headers=auth)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert png.headers["x-content-type-options"] == "nosniff"
    svg = loaded_client.get("/v1/model/report/figures/roc.svg", headers=auth)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/model/report/../card.json",
        "/v1/model/report/..%2Fcard.json",
        "/v1/model/report/%2e%2e/card.json",
        "/v1/model/report/%2e%2e%2fcard.json",
        "/v1/model/report/figures/../../card.json",
        "/v1/model/report//etc/passwd",
        "/v1/model/report/%2Fetc%2Fpasswd",
        "/v1/model/report/escape.json",
        "/v1/model/report/.hidden",
        "/v1/model/report/figures",
        "/v1/model/report/nope.png",
        "/v1/model/report/calibration.png%00.txt",
    ],
)
def test_report_path_traversal(loaded_client: TestClient, path: str) -> None:
    r = loaded_client.get(path, headers={"X-API-Key": API_KEY})
    assert r.status_code == 404, (path, r.status_code, r.text[:200])
    assert "version" not in r.text and "root" not in r.text
    assert r.json()["error"]["code"] == "not_found"


def test_report_files_listing_skips_symlinks(service_models_dir: Path) -> None:
    files = report_files(service_models_dir / "v1" / "report")
    assert "escape.json" not in files and ".hidden" not in files
    assert report_files(None) == {}


def test_model_card_without_report(client: TestClient) -> None:
    r = client.get("/v1/model")
    assert r.status_code == 200 and isinstance(r.json()["report"], list)


# --------------------------------------------------------------------------- errors


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_error(client.get("/nope"), 404, "not_found")
    assert_error(client.post("/v2/score", json={}), 404, "not_found")
    r = client.get("/v1/score")
    assert_error(r, 405, "method_not_allowed")
    assert "POST" in r.headers["allow"]
    assert_error(client.delete("/healthz"), 405, "method_not_allowed")


class BoomScorer(Scorer):
    def score(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail")


def test_unexpected_error_is_500_without_trace(
    service_models_dir: Path, bundle_dir: Path, access_log: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    boom = BoomScorer(load_bundle(bundle_dir))
    with TestClient(create_app(make_settings(service_models_dir), scorer=boom)) as c:
        r = c.post("/v1/score", json={"body": BODY}, headers={"X-Request-ID": "boom-1"})
    assert_error(r, 500, "internal_error")
    assert "secret internal detail" not in r.text
    assert r.headers["x-request-id"] == "boom-1"
    line = json.loads(access_log[-1])
    assert line["status"] == 500 and line["request_id"] == "boom-1"


# --------------------------------------------------------------------------- auth


@pytest.fixture
def keyed_client(service_models_dir: Path, scorer: Scorer) -> Iterator[TestClient]:
    settings = make_settings(service_models_dir, api_key=API_KEY)
    with TestClient(create_app(settings, scorer=scorer)) as c:
        yield c


@pytest.mark.parametrize(
    "route", [("POST", "/v1/score", 200), ("POST", "/v1/score/batch", 200),
              ("GET", "/v1/model", 200),
              # the injected scorer's bundle has no such report file: a 404 `not_found` (not a
              # 401) shows the key was accepted
              ("GET", "/v1/model/report/calibration.png", 404)]
)
def test_api_key_required(keyed_client: TestClient, route: tuple[str, str, int]) -> None:
    method, path, expected = route
    payload = {"items": [{"body": BODY}]} if path.endswith("batch") else {"body": BODY}
    kwargs: dict[str, Any] = {"json": payload} if method == "POST" else {}
    r = keyed_client.request(method, path, **kwargs)
    assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    for bad in ({"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"},
                {"Authorization": f"Basic {API_KEY}"}, {"X-API-Key": API_KEY + "x"},
                {"X-API-Key": ""}):
        r = keyed_client.request(method, path, headers=bad, **kwargs)
        assert_error(r, 401, "unauthorized")
        assert API_KEY not in r.text
    for good in ({"X-API-Key": API_KEY}, {"Authorization": f"Bearer {API_KEY}"}):
        r = keyed_client.request(method, path, headers=good, **kwargs)
        if expected == 404:
            assert_error(r, 404, "not_found", "name")
        else:
            assert r.status_code == 200, r.text


def test_api_key_not_needed_for_probes(keyed_client: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert keyed_client.get(path).status_code == 200


def test_keys_never_logged(
    service_models_dir: Path, scorer: Scorer, access_log: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings(service_models_dir, api_key=API_KEY, admin_key=ADMIN_KEY)
    with TestClient(create_app(settings, scorer=scorer)) as c:
        c.post("/v1/score", json={"body": BODY}, headers={"Authorization": f"Bearer {API_KEY}"})
        c.post("/v1/score", json={"body": BODY}, headers={"X-API-Key": "wrong-key-abc"})
        c.post("/v1/admin/reload", headers={"X-API-Key": ADMIN_KEY})
    captured = capsys.readouterr()
    everything = "\n".join(access_log) + captured.out + captured.err
    for secret in (API_KEY, ADMIN_KEY, "wrong-key-abc"):
        assert secret not in everything
    assert API_KEY not in repr(settings) and ADMIN_KEY not in str(settings.model_dump())


# --------------------------------------------------------------------------- reload


def test_reload_disabled_without_admin_key(client: TestClient) -> None:
    r = client.post("/v1/admin/reload", headers={"X-API-Key": "anything"})
    assert_error(r, 403, "forbidden")
    assert "HYPEMETER_ADMIN_KEY" in r.json()["error"]["message"]


def test_reload_needs_admin_key(loaded_client: TestClient) -> None:
    assert_error(loaded_client.post("/v1/admin/reload"), 401, "unauthorized")
    r = loaded_client.post("/v1/admin/reload", headers={"X-API-Key": API_KEY})
    assert_error(r, 401, "unauthorized")  # the API key does not open admin routes
    r = loaded_client.post("/v1/admin/reload", headers={"Authorization": "Bearer nope"})
    assert_error(r, 401, "unauthorized")


def test_reload_switches_versions(loaded_client: TestClient) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    api = {"X-API-Key": API_KEY}

    def served() -> str:
        r = loaded_client.post("/v1/score", json={"body": BODY}, headers=api)
        assert r.status_code == 200
        version = r.json()["model"]["version"]
        assert loaded_client.get("/readyz").json()["model"]["version"] == version
        assert loaded_client.get("/v1/model", headers=api).json()["version"] == version
        return str(version)

    assert served() == "v1"
    r = loaded_client.post("/v1/admin/reload", json={"version": "v2"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "reloaded", "model": {"name": "hypemeter", "version": "v2"},
                        "previous_version": "v1", "generation": 1,
                        "workers": {"total": 1, "on_version": 1, "failed": 0}}
    assert served() == "v2"
    assert 'hypemeter_model_info{name="hypemeter",version="v2"} 1.0' in (
        loaded_client.get("/metrics").text
    )
    assert 'version="v1"' not in loaded_client.get("/metrics").text
    # no body, and an empty object: back to `current`
    r = loaded_client.post("/v1/admin/reload", headers=admin)
    assert r.status_code == 200 and r.json()["model"]["version"] == "v1"
    r = loaded_client.post("/v1/admin/reload", json={}, headers=admin)
    assert r.status_code == 200 and r.json()["model"]["version"] == "v1"


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"version": "does-not-exist"}, 404, "model_version_not_found", "version"),
        ({"version": "tampered"}, 409, "model_checksum_mismatch", None),
        ({"version": "../v2"}, 422, "invalid_input", "version"),
        ({"version": ""}, 422, "invalid_input", "version"),
        ({"version": 2}, 422, "invalid_input", "version"),
        ({"version": "v2", "force": True}, 422, "invalid_input", "force"),
    ],
)
def test_bad_reload_keeps_old_model(
    loaded_client: TestClient, payload: dict[str, Any], status: int, code: str,
    field: str | None,
) -> None:
    admin = {"X-API-Key": ADMIN_KEY}
    r = loaded_client.post("/v1/admin/reload", json=payload, headers=admin)
    assert_error(r, status, code, field)
    assert loaded_client.get("/readyz").json()["model"]["version"] == "v1"
    r = loaded_client.post("/v1/score", json={"body": BODY}, headers={"X-API-Key": API_KEY})
    assert r.status_code == 200 and r.json()["model"]["version"] == "v1"
    if status in (404, 409):
        assert 'hypemeter_model_reloads_total{result="failed"} 1.0' in (
            loaded_client.get("/metrics").text
        )


def test_reload_fixes_a_failed_startup(tmp_path: Path, bundle_dir: Path) -> None:
    from conftest import copy_bundle

    models = tmp_path / "models"
    models.mkdir()
    settings = make_settings(models, admin_key=ADMIN_KEY)
    with TestClient(create_app(settings)) as c:
        assert c.get("/readyz").status_code == 503
        copy_bundle(bundle_dir, models, "late")
        r = c.post("/v1/admin/reload", json={"version": "late"}, headers={"X-API-Key": ADMIN_KEY})
        assert r.status_code == 200 and r.json()["previous_version"] is None
        assert c.get("/readyz").status_code == 200
        assert c.post("/v1/score", json={"body": BODY}).json()["model"]["version"] == "late"


def test_reload_wrong_content_type(loaded_client: TestClient) -> None:
    r = loaded_client.post("/v1/admin/reload", content="version=v2",
                           headers={"X-API-Key": ADMIN_KEY, "Content-Type": "text/plain"})
    assert_error(r, 415, "unsupported_media_type")


# --------------------------------------------------------------------------- logs & CORS


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
    settings = make_settings(service_models_dir, log_requests_text=True)
    with TestClient(create_app(settings, scorer=scorer)) as c:
        c.post("/v1/score", json={"body": BODY})
    assert "devastating scandal" in json.loads(access_log[-1])["request_text"]


def test_cors_off_by_default(client: TestClient) -> None:
    r = client.post("/v1/score", json={"body": BODY}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    r = client.options("/v1/score", headers={"Origin": "https://evil.example",
                                              "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_when_configured(service_models_dir: Path, scorer: Scorer) -> None:
    settings = make_settings(service_models_dir, cors_origins=["https://ok.example"])
    with TestClient(create_app(settings, scorer=scorer)) as c:
        r = c.post("/v1/score", json={"body": BODY}, headers={"Origin": "https://ok.example"})
        assert r.headers["access-control-allow-origin"] == "https://ok.example"
        r = c.options("/v1/score", headers={"Origin": "https://ok.example",
                                             "Access-Control-Request-Method": "POST"})
        assert r.status_code == 200
        r = c.post("/v1/score", json={"body": BODY}, headers={"Origin": "https://no.example"})
        assert "access-control-allow-origin" not in r.headers


# --------------------------------------------------------------------------- settings


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HYPEMETER_PORT", "9123")
    monkeypatch.setenv("HYPEMETER_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("HYPEMETER_API_KEY", "k")
    monkeypatch.setenv("HYPEMETER_ADMIN_KEY", "")
    monkeypatch.setenv("HYPEMETER_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("HYPEMETER_LOG_REQUESTS_TEXT", "true")
    monkeypatch.setenv("HYPEMETER_LOG_LEVEL", "WARNING")
    s = Settings()
    assert s.port == 9123 and s.models_dir == tmp_path
    assert s.api_key is not None and s.api_key.get_secret_value() == "k"
    assert s.admin_key is None
    assert s.cors_origins == ["https://a.example", "https://b.example"]
    assert s.log_requests_text is True and s.log_level == "warning"
    monkeypatch.setenv("HYPEMETER_CORS_ORIGINS", '["https://c.example"]')
    assert Settings().cors_origins == ["https://c.example"]


def test_settings_defaults() -> None:
    s = Settings()
    assert (s.host, s.port, s.workers) == ("127.0.0.1", 8000, 1)
    assert s.api_key is None and s.admin_key is None and s.model_version is None
    assert (s.max_body_bytes, s.max_field_chars, s.max_batch_items) == (1_000_000, 200_000, 256)
    assert s.cors_origins == [] and s.log_requests_text is False


def test_serve_overrides_go_through_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from hypemeter.service import server

    monkeypatch.setenv("HYPEMETER_PORT", "1111")
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    assert server.serve(port=2222, workers=2, model=tmp_path, host="0.0.0.0") == 0
    assert os.environ["HYPEMETER_PORT"] == "2222"
    assert os.environ["HYPEMETER_MODELS_DIR"] == str(tmp_path.resolve())
    (call,) = calls
    assert call["app"] == "hypemeter.service.app:create_app" and call["factory"] is True
    assert (call["host"], call["port"], call["workers"]) == ("0.0.0.0", 2222, 2)


# --------------------------------------------------------------------------- micro-batching


def _job_inputs(n: int) -> tuple[list[ScoreRequest], list[Article]]:
    items = [ScoreRequest(id=str(i), body=f"{BODY} {i}") for i in range(n)]
    return items, [Article(headline="", body=it.body or "", id=it.id) for it in items]


def test_micro_batcher_coalesces_while_busy(scorer: Scorer) -> None:
    calls: list[list[str]] = []

    def fake_score(loaded: LoadedModel, items: Any, articles: Any) -> list[Any]:
        calls.append([a.id for a in articles])
        time.sleep(0.05)
        return [f"result-{a.id}" for a in articles]

    loaded = LoadedModel.from_scorer(scorer)
    items, articles = _job_inputs(10)

    async def main() -> list[Any]:
        batcher = MicroBatcher(anyio.CapacityLimiter(1), fake_score, max_batch=6)
        out: list[Any] = [None] * 10

        async def one(i: int, delay: float) -> None:
            await anyio.sleep(delay)
            out[i] = await batcher.submit(loaded, items[i], articles[i])

        async with anyio.create_task_group() as tg:
            tg.start_soon(one, 0, 0.0)
            for i in range(1, 10):
                tg.start_soon(one, i, 0.01)
        return out

    out = anyio.run(main)
    assert out == [f"result-{i}" for i in range(10)]
    # the first request ran alone at once; the nine that queued meanwhile went 6 + 3
    assert [len(c) for c in calls] == [1, 6, 3]
    assert sorted(i for c in calls for i in c) == sorted(str(i) for i in range(10))


def test_micro_batcher_never_mixes_models(scorer: Scorer) -> None:
    calls: list[set[int]] = []

    def fake_score(loaded: LoadedModel, items: Any, articles: Any) -> list[Any]:
        time.sleep(0.02)
        calls.append({id(loaded)})
        return [id(loaded)] * len(articles)

    old, new = LoadedModel.from_scorer(scorer), LoadedModel.from_scorer(scorer)
    items, articles = _job_inputs(8)

    async def main() -> list[Any]:
        batcher = MicroBatcher(anyio.CapacityLimiter(1), fake_score)
        out: list[Any] = [None] * 8

        async def one(i: int) -> None:
            model = old if i % 2 else new
            out[i] = (id(model), await batcher.submit(model, items[i], articles[i]))

        async with anyio.create_task_group() as tg:
            for i in range(8):
                tg.start_soon(one, i)
        return out

    for expected, got in anyio.run(main):
        assert expected == got


def test_micro_batcher_propagates_errors(scorer: Scorer) -> None:
    def boom(loaded: LoadedModel, items: Any, articles: Any) -> list[Any]:
        raise RuntimeError("model exploded")

    loaded = LoadedModel.from_scorer(scorer)
    items, articles = _job_inputs(1)

    async def main() -> None:
        batcher = MicroBatcher(anyio.CapacityLimiter(1), boom)
        with pytest.raises(RuntimeError, match="model exploded"):
            await batcher.submit(loaded, items[0], articles[0])

    anyio.run(main)


def test_micro_batcher_isolates_a_failing_article(scorer: Scorer) -> None:
    def picky(loaded: LoadedModel, items: Any, articles: Any) -> list[Any]:
        time.sleep(0.02)
        if any(a.id == "3" for a in articles):
            raise ValueError("cannot score article 3")
        return [f"ok-{a.id}" for a in articles]

    loaded = LoadedModel.from_scorer(scorer)
    items, articles = _job_inputs(6)

    async def main() -> list[Any]:
        batcher = MicroBatcher(anyio.CapacityLimiter(1), picky)
        out: list[Any] = [None] * 6

        async def one(i: int) -> None:
            try:
                out[i] = await batcher.submit(loaded, items[i], articles[i])
            except ValueError as exc:
                out[i] = str(exc)

        async with anyio.create_task_group() as tg:
            for i in range(6):
                tg.start_soon(one, i)
        return out

    assert anyio.run(main) == ["ok-0", "ok-1", "ok-2", "cannot score article 3", "ok-4", "ok-5"]


def test_batched_scores_equal_single_scores(
    service_models_dir: Path, scorer: Scorer
) -> None:
    """Concurrent requests in batch mode get exactly what the core returns for each alone."""
    app = create_app(make_settings(service_models_dir, score_mode="batch", score_threads=1),
                     scorer=scorer)
    payloads = [
        {"id": str(i), "headline": HEADLINE if i % 2 else "", "body": f"{BODY} {i}",
         "explain": i % 3 != 0, "max_spans": None if i % 4 else 2}
        for i in range(24)
    ]

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            return list(await asyncio.gather(
                *(http.post("/v1/score", json=p) for p in payloads)
            ))

    responses = asyncio.run(main())
    for payload, resp in zip(payloads, responses, strict=True):
        assert resp.status_code == 200, resp.text
        article = Article(headline=payload["headline"], body=payload["body"], id=payload["id"])
        want = scorer.score_one(article, explain=payload["explain"],
                                max_spans=payload["max_spans"]).to_dict()
        assert resp.json() == json.loads(json.dumps(want))
    calls = app.state.metrics.registry.get_sample_value(
        "hypemeter_scoring_duration_seconds_count", {"route": "/v1/score"}
    )
    assert calls is not None and calls < len(payloads)  # some requests shared a model call


# --------------------------------------------------------------------------- response encoding


def test_result_encoding_matches_jsonresponse(scorer: Scorer) -> None:
    """The fast result encoder sends exactly the bytes and headers JSONResponse would."""
    from fastapi.responses import JSONResponse
    from hypemeter.service.encoding import batch_response, result_response

    from hypemeter.records.results import ModelInfo, ScoreResult, Span

    articles = [
        Article(HEADLINE, BODY, "a-1"),
        Article("", "Body only — “curly” ‘quotes’, émoji 🔥, tab\there, \\ and \"quote\"\r\n"),
        Article("ALL CAPS: YOU WON'T BELIEVE THIS", "", "\u2028id\x00"),
    ]
    results = scorer.score(articles)
    model = ModelInfo("hypemeter", "v\u00e9")
    odd = [  # types and values only the standard encoder handles (or refuses)
        ScoreResult(None, {"sensationalism": 1e-07, "misinformation_risk": 1}, [], model),
        ScoreResult("x", {"s": 0.5}, [Span("body", True, 2, "t", "c", 0.5)], model),  # type: ignore[arg-type]
        ScoreResult("x", {"s": float("nan")}, [], model),
    ]
    for result in [*results, *odd[:2]]:
        expected, got = JSONResponse(result.to_dict()), result_response(result)
        assert got.body == expected.body
        assert got.raw_headers == expected.raw_headers
    with pytest.raises(ValueError):
        result_response(odd[2])
    expected = JSONResponse({"results": [r.to_dict() for r in results]})
    assert batch_response(results).body == expected.body
    assert batch_response(results).raw_headers == expected.raw_headers
