"""The ``blend`` recipe: the mean of ``recalibrate`` and ``words`` (each Platt-scaled on its
out-of-fold decisions, each the mean of its fold models), one vector over ``both``'s design.
It scores what its members score, survives the stored form, and is no candidate below
``BLEND_MIN_LABELS`` labels."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold

from hypemeter.profiles import adapter as adapter_module
from hypemeter.profiles.adapter import (
    BLEND_MIN_LABELS,
    PROBA_FLOOR,
    ProfileAdapter,
    article_text,
    base_logits,
)
from hypemeter.profiles.codec import decode, encode
from hypemeter.profiles.spans import SpanPrior

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from profile_texts import newsroom


def data(n: int) -> tuple[list[str], np.ndarray, dict[str, list[int | None]]]:
    rng = np.random.default_rng(3)
    arts = newsroom(n, seed=5)
    texts = [article_text(a["headline"], a["body"]) for a in arts]
    y = np.array([a["label"] for a in arts])
    base = np.column_stack([np.clip(0.5 + 0.15 * (y - 0.5) + rng.normal(0, 0.2, n), 0.01, 0.99),
                            rng.random(n)])
    return texts, base, {"sensationalism": list(y), "misinformation_risk": [None] * n}


def by_hand(ad: ProfileAdapter, texts: list[str], base: np.ndarray, y: np.ndarray,
            new_texts: list[str], new_base: np.ndarray) -> np.ndarray:
    """The blend's decision on new articles, from its two members fitted fold by fold."""
    splits = min(ad.n_splits, int(np.bincount(y).min()))
    folds = list(RepeatedStratifiedKFold(n_splits=splits, n_repeats=ad.n_repeats,
                                         random_state=ad.random_state).split(texts, y))
    z, new_z = base_logits(base), base_logits(new_base)
    X = {"recalibrate": (z, new_z), "words": (ad.words(texts), ad.words(new_texts))}
    out = np.zeros(len(new_texts))
    for recipe, (train_X, new_X) in X.items():
        oof = np.zeros((ad.n_repeats, len(y)))
        new = np.zeros(len(new_texts))
        for k, (train, test) in enumerate(folds):
            model = ad._model(recipe).fit(train_X[train], y[train])
            oof[k // splits, test] = model.decision_function(train_X[test])
            new += model.decision_function(new_X) / len(folds)
        platt = LogisticRegression(C=1.0, solver="liblinear").fit(
            oof.reshape(-1, 1), np.tile(y, ad.n_repeats))
        out += (platt.coef_[0, 0] * new + platt.intercept_[0]) / 2
    return out


def test_blend_scores_the_mean_of_its_members(monkeypatch: pytest.MonkeyPatch) -> None:
    texts, base, labels = data(90)
    monkeypatch.setattr(adapter_module, "RECIPES", ("base", "blend"))
    ad = ProfileAdapter().fit(texts[:70], base[:70], {h: v[:70] for h, v in labels.items()})
    fit = ad.heads_["sensationalism"]
    assert fit.recipe == "blend" and fit.active
    assert fit.coef.shape == (len(ad.vocab_) + 2,)
    decision = by_hand(ad, texts[:70], base[:70], np.array(labels["sensationalism"][:70]),
                       texts[70:], base[70:])
    a, b = fit.platt
    want = np.clip(expit(a * decision + b), PROBA_FLOOR, 1 - PROBA_FLOOR)
    got = ad.predict_scores(texts[70:], base[70:])
    np.testing.assert_allclose(got[:, 0], want, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(got[:, 1], base[70:, 1])  # an unlabelled head: the base
    stored = encode(ad, SpanPrior(), base_model_version="m", fitted_through=1)
    back = decode(stored.meta, stored.arrays, stored.checksum).adapter
    assert back.heads_["sensationalism"].recipe == "blend"
    np.testing.assert_array_equal(back.predict_scores(texts[70:], base[70:]), got)


def test_blend_is_a_candidate_from_its_minimum() -> None:
    texts, base, labels = data(BLEND_MIN_LABELS + 10)
    few = ProfileAdapter().fit(texts[:BLEND_MIN_LABELS - 1], base[:BLEND_MIN_LABELS - 1],
                               {h: v[:BLEND_MIN_LABELS - 1] for h, v in labels.items()})
    assert set(few.heads_["sensationalism"].candidates) == {
        "base", "recalibrate", "words", "both"}
    enough = ProfileAdapter().fit(texts, base, labels).heads_["sensationalism"]
    assert set(enough.candidates) == {"base", "recalibrate", "words", "both", "blend"}
    assert enough.oof_auc_adapted == max(v for k, v in enough.candidates.items() if k != "base")
