"""The profile adapter (hypemeter.profiles): recipes chosen out of fold, kept only when they
beat the base, probabilities out; the stored form refuses anything tampered with; span priors;
the applier."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from hypemeter.profiles.adapter import HEADS, ProfileAdapter, article_text
from hypemeter.profiles.apply import LoadedAdapter, adapt
from hypemeter.profiles.codec import AdapterRejectedError, checksum, decode, encode
from hypemeter.profiles.spans import SpanPrior, phrase_key
from hypemeter.records.results import Article, ModelInfo, ScoreResult, Span

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from profile_texts import newsroom


def data(n: int, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    arts = newsroom(n, seed)
    texts = [article_text(a["headline"], a["body"]) for a in arts]
    y = np.array([a["label"] for a in arts])
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.1, 0.9, size=(n, 2))  # the base model knows nothing of these labels
    return texts, y, base


def test_words_win_when_the_newsroom_labels_follow_its_own_words() -> None:
    texts, y, base = data(60)
    adapter = ProfileAdapter().fit(texts, base, {"sensationalism": list(y)})
    assert adapter.fit(texts, base, {"sensationalism": list(y)}) is adapter  # fit returns self
    head = adapter.heads_["sensationalism"]
    assert head.active and head.recipe in ("words", "both", "blend")
    assert head.labels == 60 and head.oof_auc_adapted > head.oof_auc_base + 0.2
    assert not adapter.heads_["misinformation_risk"].active  # no labels: the base
    t_texts, t_y, t_base = data(40, seed=7)
    scores = adapter.predict_scores(t_texts, t_base)
    assert np.all((scores > 0) & (scores < 1))
    assert np.mean(scores[t_y == 1, 0]) > np.mean(scores[t_y == 0, 0]) + 0.3
    np.testing.assert_allclose(scores[:, 1], t_base[:, 1])  # the other head: untouched


def test_an_adapter_that_does_not_beat_the_base_is_not_activated() -> None:
    texts, y, _ = data(60)
    rng = np.random.default_rng(1)
    base = np.column_stack([np.where(y == 1, 0.8, 0.2) + rng.normal(0, 0.01, len(y)),
                            rng.uniform(0.1, 0.9, len(y))])  # the base ranks them perfectly
    adapter = ProfileAdapter().fit(texts, base, {"sensationalism": list(y)})
    head = adapter.heads_["sensationalism"]
    assert head.oof_auc_base == pytest.approx(1.0)
    assert not head.active and not adapter.active
    np.testing.assert_allclose(adapter.predict_scores(texts, base), base)


def test_below_the_minimum_per_class_the_base_is_served() -> None:
    texts, y, base = data(60)
    labels: list[int | None] = [int(v) for v in y]
    ones = [i for i, v in enumerate(labels) if v == 1]
    for i in ones[7:]:
        labels[i] = None  # 7 positives left
    adapter = ProfileAdapter().fit(texts, base, {"sensationalism": labels})
    head = adapter.heads_["sensationalism"]
    assert not head.active and head.oof_auc_base is None and head.labels == 30 + 7


def test_scikit_learn_conventions() -> None:
    adapter = ProfileAdapter(min_per_class=4, C_words=3.0)
    assert clone(adapter).C_words == 3.0
    assert not hasattr(adapter, "heads_")


def encoded(adapter: ProfileAdapter, spans: SpanPrior | None = None) -> tuple[str, bytes, str]:
    e = encode(adapter, spans or SpanPrior(), base_model_version="m1", fitted_through=3)
    return e.meta, e.arrays, e.checksum


def test_the_stored_form_round_trips_and_holds_no_pickle() -> None:
    texts, y, base = data(60)
    adapter = ProfileAdapter().fit(texts, base, {"sensationalism": list(y)})
    meta, arrays, digest = encoded(adapter)
    with np.load(io.BytesIO(arrays), allow_pickle=False) as npz:  # plain arrays only
        assert all(npz[name].dtype.kind in "fi" for name in npz.files)
    back = decode(meta, arrays, digest)
    np.testing.assert_allclose(back.adapter.predict_scores(texts, base),
                               adapter.predict_scores(texts, base))
    assert json.loads(meta)["heads"]["sensationalism"]["labels"] == 60


def test_a_tampered_adapter_is_refused() -> None:
    texts, y, base = data(60)
    meta, arrays, digest = encoded(ProfileAdapter().fit(texts, base, {"sensationalism": list(y)}))
    with pytest.raises(AdapterRejectedError, match="checksum"):
        decode(meta.replace('"active":true', '"active":false'), arrays, digest)
    with pytest.raises(AdapterRejectedError, match="checksum"):
        decode(meta, arrays[:-1] + bytes([arrays[-1] ^ 1]), digest)
    # a pickle inside the npz, with a matching checksum: still refused, never loaded
    buffer = io.BytesIO()
    np.savez(buffer, vocab=np.array([object()], dtype=object), idf=np.zeros(1))
    evil = buffer.getvalue()
    with pytest.raises(AdapterRejectedError):
        decode(meta, evil, checksum(meta, evil))
    # coefficients that do not fit the recipe, checksum recomputed
    info = json.loads(meta)
    info["heads"]["sensationalism"]["recipe"] = "recalibrate"
    bad = json.dumps(info)
    with pytest.raises(AdapterRejectedError, match="coefficients"):
        decode(bad, arrays, checksum(bad, arrays))


def test_span_prior_demotes_rejected_phrases_and_adds_confirmed_ones() -> None:
    prior = SpanPrior.from_verdicts([("Slammed", "not_loaded", None),
                                     ("slammed!", "not_loaded", None),
                                     *[("kestrel alert", "loaded", "urgency")] * 5])
    assert phrase_key(" “Slammed!” ") == "slammed"
    headline = "Kestrel alert: critics slammed the plan"
    spans = [Span("headline", 23, 30, "slammed", "loaded_language", 0.9)]
    out = prior.adjust(headline, "", spans, max_spans=None)
    slammed = next(s for s in out if s.text == "slammed")
    assert slammed.weight == pytest.approx(0.9 * 2 * 0.5 / 3, abs=1e-3)
    added = next(s for s in out if s.text == "Kestrel alert")
    assert (added.start, added.category, added.weight) == (0, "urgency", round(5 / 7, 4))
    assert SpanPrior.from_json(prior.to_json()).counts == prior.counts


def test_adapt_marks_the_profile_and_serves_the_base_on_another_base_model() -> None:
    texts, y, base = data(60)
    adapter = ProfileAdapter().fit(texts, base, {"sensationalism": list(y)})
    arts = newsroom(4, seed=9)
    articles = [Article(a["headline"], a["body"]) for a in arts]
    results = [ScoreResult(None, {"sensationalism": 0.5, "misinformation_risk": 0.4}, [],
                           ModelInfo("hypemeter", "m1")) for _ in articles]
    loaded = LoadedAdapter("acme", 3, "m1", adapter, SpanPrior())
    out = adapt(results, articles, "acme", loaded)
    assert out[0].to_dict()["model"] == {"name": "hypemeter", "version": "m1",
                                         "profile": "acme", "adapter_version": 3}
    assert [r.scores["sensationalism"] > 0.5 for r in out] == [a["label"] == 1 for a in arts]
    stale = LoadedAdapter("acme", 3, "m0", adapter, SpanPrior())
    out = adapt(results, articles, "acme", stale)
    assert out[0].model.adapter_version is None and out[0].scores == results[0].scores
    assert set(HEADS) == set(out[0].scores)
