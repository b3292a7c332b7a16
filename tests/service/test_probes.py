"""The probes and the documents of the service: ``/healthz``, ``/readyz``, ``/metrics``,
``/openapi.json`` and ``/docs``, with and without a model."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.apps import app_client, assert_error
from support.texts import BODY, HEADLINE

from hypemeter.scoring.scorer import Scorer

# every test here starts without HYPEMETER_* settings (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("clean_env")


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
    with app_client(tmp_path / "nothing-here") as c:
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
    with app_client(service_models_dir, model_version="v2") as c:
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
    with app_client(service_models_dir, scorer) as a:
        a.get("/healthz")
        a.get("/healthz")
        with app_client(service_models_dir, scorer) as b:
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
