"""``GET /v1/model`` says what the probabilities refer to: the calibration's method, the
reference prevalence of each score and what it was fitted on (from the card)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings

from hypemeter.bundles.bundle import publish_current

pytestmark = pytest.mark.usefixtures("clean_env")


def _models(bundle_dir: Path, tmp_path: Path, calibration: dict | None) -> Path:
    from conftest import copy_bundle

    models = tmp_path / "models"
    v1 = copy_bundle(bundle_dir, models, "v1")
    card = json.loads((v1 / "card.json").read_text())
    if calibration is None:
        card.pop("calibration", None)
    else:
        card["calibration"] = calibration
    (v1 / "card.json").write_text(json.dumps(card))
    publish_current(models, "v1")
    return models


def test_the_model_route_shows_the_reference_prevalence(bundle_dir: Path,
                                                        tmp_path: Path) -> None:
    entry = {
        "method": {"sensationalism": {"article": "sigmoid", "headline": "isotonic"},
                   "misinformation_risk": {"article": "beta", "headline": "sigmoid"}},
        "reference_prevalence": {"sensationalism": 0.5, "misinformation_risk": 0.1},
        "fitted_on": "leave-one-corpus-out",
        "meaning": {"misinformation_risk": "calibrated to a feed in which 10% of texts are "
                                           "fabricated or misleading"},
        "leave_one_corpus_out": {"note": "tables stay in the card"},
    }
    with TestClient(create_app(Settings(models_dir=_models(bundle_dir, tmp_path, entry)))) as c:
        r = c.get("/v1/model")
    assert r.status_code == 200
    got = r.json()["calibration"]
    assert got["reference_prevalence"] == {"sensationalism": 0.5, "misinformation_risk": 0.1}
    assert got["fitted_on"] == "leave-one-corpus-out"
    assert got["method"]["misinformation_risk"]["article"] == "beta"
    assert "10%" in got["meaning"]["misinformation_risk"]
    assert "leave_one_corpus_out" not in got
    schema = c.get("/openapi.json").json()["components"]["schemas"]
    assert "reference_prevalence" in schema["ModelCalibration"]["properties"]


def test_a_model_without_calibration_says_null(bundle_dir: Path, tmp_path: Path) -> None:
    with TestClient(create_app(Settings(models_dir=_models(bundle_dir, tmp_path, None)))) as c:
        assert c.get("/v1/model").json()["calibration"] is None


def test_the_shipped_model_card_and_route_agree(bundle_dir: Path, tmp_path: Path) -> None:
    card = json.loads((bundle_dir / "card.json").read_text())
    with TestClient(create_app(Settings(models_dir=bundle_dir.parent))) as c:
        got = c.get("/v1/model").json()["calibration"]
    if not (card.get("calibration") or {}).get("reference_prevalence"):
        assert got is None
    else:
        assert got["reference_prevalence"] == card["calibration"]["reference_prevalence"]
        assert got["fitted_on"] == "leave-one-corpus-out"
