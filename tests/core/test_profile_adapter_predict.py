"""The adapter's scoring shortcut (X @ coef term by term, no sparse matrix) gives what the
recipe's design matrix gives, for every recipe."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from hypemeter.profiles.adapter import (
    HEADS,
    PROBA_FLOOR,
    ProfileAdapter,
    article_text,
    base_logits,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from profile_texts import newsroom


@pytest.mark.parametrize("recipe", ["recalibrate", "words", "both", "blend"])
def test_predict_matches_the_design_matrix(recipe: str) -> None:
    rng = np.random.default_rng(0)
    arts = newsroom(80, seed=1)
    texts = [article_text(a["headline"], a["body"]) for a in arts]
    base = rng.random((80, 2))
    labels = {"sensationalism": [a["label"] for a in arts[:60]],
              "misinformation_risk": list(rng.integers(0, 2, 60))}
    adapter = ProfileAdapter().fit(texts[:60], base[:60], labels)
    words_train, z_train = adapter.words(texts[:60]), base_logits(base[:60])
    for head in HEADS:  # force the recipe on both heads, refitted on its own design
        fit = adapter.heads_[head]
        fit.recipe, fit.active, fit.platt = recipe, True, (1.3, -0.2)
        model = adapter._model(recipe).fit(adapter._design(recipe, words_train, z_train),
                                           np.array(labels[head]))
        fit.coef, fit.intercept = model.coef_[0], float(model.intercept_[0])
    got = adapter.predict_scores(texts[60:], base[60:])
    design = adapter._design(recipe, adapter.words(texts[60:]), base_logits(base[60:]))
    for i, head in enumerate(HEADS):
        fit = adapter.heads_[head]
        decision = np.asarray(design @ fit.coef).ravel() + fit.intercept
        want = np.clip(expit(1.3 * decision - 0.2), PROBA_FLOOR, 1 - PROBA_FLOOR)
        np.testing.assert_allclose(got[:, i], want, rtol=0, atol=1e-12)
        assert np.ptp(got[:, i]) > 0.01  # the recipe moves the scores
