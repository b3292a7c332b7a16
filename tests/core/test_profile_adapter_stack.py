"""The ``stack`` recipe (a second-level logistic regression on the words' out-of-fold
decision and the base logits, folded into one coefficient vector) scores what its two levels
score, survives the stored form, and is chosen when it ranks best out of fold; the scoring
shortcut's hashing (:func:`hashed_counts`) counts what ``HashingVectorizer`` counts."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from hypemeter.profiles import adapter as adapter_module
from hypemeter.profiles.adapter import (
    PROBA_FLOOR,
    ProfileAdapter,
    _hasher,
    article_text,
    base_logits,
    hashed_counts,
)
from hypemeter.profiles.codec import decode, encode
from hypemeter.profiles.spans import SpanPrior

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from profile_texts import newsroom


def data(n: int = 90) -> tuple[list[str], np.ndarray, dict[str, list[int | None]]]:
    rng = np.random.default_rng(3)
    arts = newsroom(n, seed=5)
    texts = [article_text(a["headline"], a["body"]) for a in arts]
    y = np.array([a["label"] for a in arts])
    # a base score that knows a little: the label, blurred
    base = np.column_stack([np.clip(0.5 + 0.15 * (y - 0.5) + rng.normal(0, 0.2, n), 0.01, 0.99),
                            rng.random(n)])
    return texts, base, {"sensationalism": list(y), "misinformation_risk": [None] * n}


def test_stack_scores_what_its_two_levels_score(monkeypatch: pytest.MonkeyPatch) -> None:
    texts, base, labels = data()
    monkeypatch.setattr(adapter_module, "RECIPES", ("base", "stack"))
    ad = ProfileAdapter().fit(texts[:70], base[:70], {h: v[:70] for h, v in labels.items()})
    fit = ad.heads_["sensationalism"]
    assert fit.recipe == "stack" and fit.active
    assert fit.coef.shape == (len(ad.vocab_) + 2,)
    # the two levels by hand: the words model on every label, the stacker on the OOF rows
    y = np.array(labels["sensationalism"][:70])
    words_model = ad._model("words").fit(ad.words(texts[:70]), y)
    d_words = words_model.decision_function(ad.words(texts[70:]))
    a_w = fit.coef[:-2] @ words_model.coef_[0] / (words_model.coef_[0] @ words_model.coef_[0])
    np.testing.assert_allclose(fit.coef[:-2], a_w * words_model.coef_[0], rtol=1e-9,
                               atol=1e-12)
    b0 = fit.intercept - a_w * words_model.intercept_[0]
    decision = a_w * d_words + base_logits(base[70:]) @ fit.coef[-2:] + b0
    a, b = fit.platt
    want = np.clip(expit(a * decision + b), PROBA_FLOOR, 1 - PROBA_FLOOR)
    got = ad.predict_scores(texts[70:], base[70:])
    np.testing.assert_allclose(got[:, 0], want, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(got[:, 1], base[70:, 1])  # an unlabelled head: the base
    assert a_w > 0  # the words count


def test_stack_survives_the_stored_form(monkeypatch: pytest.MonkeyPatch) -> None:
    texts, base, labels = data()
    monkeypatch.setattr(adapter_module, "RECIPES", ("base", "stack"))
    ad = ProfileAdapter().fit(texts[:70], base[:70], {h: v[:70] for h, v in labels.items()})
    stored = encode(ad, SpanPrior(), base_model_version="m", fitted_through=1)
    back = decode(stored.meta, stored.arrays, stored.checksum).adapter
    assert back.heads_["sensationalism"].recipe == "stack"
    np.testing.assert_array_equal(back.predict_scores(texts[70:], base[70:]),
                                  ad.predict_scores(texts[70:], base[70:]))


def test_every_candidate_is_compared() -> None:
    texts, base, labels = data()
    fit = ProfileAdapter().fit(texts, base, labels).heads_["sensationalism"]
    assert set(fit.candidates) == {"base", "recalibrate", "words", "both", "stack"}
    assert fit.oof_auc_adapted == max(v for k, v in fit.candidates.items() if k != "base")


def test_hashed_counts_count_what_the_vectorizer_counts() -> None:
    texts = data(20)[0]
    texts += ["", "Ünïcode café — “quotes” and café again", "a a a b"]
    X = _hasher().transform(texts).tocsr()
    X.sort_indices()
    rows, features, counts = hashed_counts(texts)
    np.testing.assert_array_equal(rows, np.repeat(np.arange(len(texts)), np.diff(X.indptr)))
    np.testing.assert_array_equal(features, X.indices)
    np.testing.assert_array_equal(counts, X.data)
    assert all(len(a) == 0 for a in hashed_counts([]))
