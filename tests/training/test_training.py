"""Training on the project's sample corpus: a loadable bundle, a card, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypemeter.training.train import train_bundle

from hypemeter.bundles.bundle import load_bundle, sha256_file
from hypemeter.records.results import Article

pytestmark = pytest.mark.slow

PROBE = [
    Article("Shocking betrayal: furious residents slam 'disastrous' plan", ""),
    Article("", "The committee published its annual report on Monday, officials said."),
    Article("Rail timetable changes from May", "Trains will run every 20 minutes."),
]


def _train(tmp_path: Path, name: str, seed: int) -> Path:
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    return train_bundle(empty, tmp_path / name, corpora=[], include_sample=True, seed=seed,
                        version=f"v{seed}", log=lambda _m: None)


def test_train_on_sample_yields_a_loadable_bundle_and_card(tmp_path: Path) -> None:
    bundle_dir = _train(tmp_path, "models", seed=0)
    assert (tmp_path / "models" / "current").resolve() == bundle_dir.resolve()
    card = json.loads((bundle_dir / "card.json").read_text())
    assert card["model_sha256"] == sha256_file(bundle_dir / "model.pkl.gz")
    assert card["version"] == "v0"
    for key in ("created_at", "libraries", "corpora", "validation", "thresholds"):
        assert key in card
    assert card["libraries"]["scikit-learn"]
    assert any(c["name"] == "sample" for c in card["corpora"])
    assert "roc_auc" in card["validation"]["sensationalism/articles"]
    bundle = load_bundle(tmp_path / "models")
    assert bundle.version == "v0"
    assert (bundle_dir / "model.pkl.gz").stat().st_size < 15 * 1024 * 1024


def test_same_data_and_seed_give_the_same_scores(tmp_path: Path) -> None:
    a = load_bundle(_train(tmp_path, "a", seed=3)).model.predict_scores(PROBE)
    b = load_bundle(_train(tmp_path, "b", seed=3)).model.predict_scores(PROBE)
    np.testing.assert_array_equal(a, b)
