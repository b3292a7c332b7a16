"""``GET /v1/model`` (the card) and ``GET /v1/model/report/{name}`` (its files, never a path
outside the report folder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypemeter.service.app import report_files
from support.texts import API_KEY

# every test here starts without HYPEMETER_* settings (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("clean_env")


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
