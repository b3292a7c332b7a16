"""Span weights that mean a probability: the folded token tables score as the fitted classifier
does, the weight calibration is fit at the span level on exhaustively annotated articles and
holds on spans it never saw, and decoding prefers shorter spans when they cost nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hypemeter.analysis.features import vader_valence
from hypemeter.analysis.lexicon import PhraseLexicon
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer
from hypemeter.spans.decoding import Runs, calibration_matrix
from hypemeter.spans.fast import encode_fast, token_proba
from hypemeter.spans.model import SpanModel
from hypemeter.text.sentences import SentenceSplitter


def _spans(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic held-out spans: calibration features of a run of 1-6 tokens and the share of
    its characters annotators marked, drawn so that the true rate rises with the run's top
    token probability."""
    tops, means, sizes, hit = [], [], [], []
    for _ in range(n):
        size = int(rng.integers(1, 7))
        top = rng.uniform(0.3, 0.95)
        proba = np.r_[top, rng.uniform(0.05, top, size - 1)]
        tops.append(top)
        means.append(proba.mean())
        sizes.append(size)
        rate = 0.1 + 0.8 * (top - 0.3) / 0.65
        hit.append(float(rng.random() < rate) * rng.uniform(0.6, 1.0))
    at = np.zeros(n, np.int64)
    runs = Runs(at, at, at, np.asarray(tops), np.asarray(means), np.asarray(sizes))
    return calibration_matrix(runs), np.asarray(hit)


def test_weight_calibration_holds_on_held_out_spans_of_annotated_articles() -> None:
    from hypemeter.training.span_calibration import ece, fit_weight_calibration

    rng = np.random.default_rng(7)
    raw, hit = _spans(rng, 3000)
    # spans found in plain articles nobody annotated span by span (the project's sample): they
    # must not pull the weights down, since the weight speaks of annotated articles
    plain, _ = _spans(rng, 1500)
    X = np.vstack([raw, plain])
    y = np.r_[hit, np.zeros(len(plain))]
    full = np.r_[np.ones(len(hit), bool), np.zeros(len(plain), bool)]
    coef, intercept, figures = fit_weight_calibration(X, y, full)
    assert figures["calibration_spans"] == len(hit)
    held_raw, held_hit = _spans(np.random.default_rng(8), 3000)
    w = 1.0 / (1.0 + np.exp(-(held_raw @ coef + intercept)))
    assert ece(w, held_hit) <= 0.05
    strong = w >= 0.5
    assert strong.sum() > 300 and held_hit[strong].mean() >= 0.5
    # calibrating on every span instead would be biased low on the annotated articles
    coef_all, intercept_all, _ = fit_weight_calibration(X, y, np.ones(len(y), bool))
    w_all = 1.0 / (1.0 + np.exp(-(held_raw @ coef_all + intercept_all)))
    assert ece(w_all, held_hit) > ece(w, held_hit) + 0.03


@pytest.fixture(scope="module")
def small_fit() -> tuple[PhraseLexicon, dict[str, float], SpanModel, list[Any]]:
    from hypemeter.training.corpora.registry import load_corpora
    from hypemeter.training.spans import fit_span_model

    records, _ = load_corpora(Path("/nonexistent"), names=[], include_sample=True)
    valence = dict(vader_valence())
    lexicon = PhraseLexicon().fit(records, valence)
    sm = fit_span_model(lexicon, valence, SentenceSplitter(), records, folds=3)
    return lexicon, valence, sm, records


def test_folded_tables_score_as_the_fitted_classifier(small_fit: Any) -> None:
    """Scoring reads lookup tables folded from the classifier's coefficients; fitting checks
    them against the classifier on every training token (an earlier recipe dropped the
    coefficient of unseen pairs and suffixes and scored every token too low)."""
    *_, sm, _ = small_fit
    assert sm.metrics["folding_error"] < 1e-9
    assert sm.bigram_left[0] != 0.0 or sm.bigram_right[0] != 0.0


def test_shipped_model_scores_as_its_classifier(scorer: Scorer) -> None:
    sm: SpanModel = scorer.bundle.model.span_model_
    assert sm.metrics["folding_error"] < 1e-9
    assert sm.metrics["held_out_folds"] >= 5
    assert sm.metrics["oof_weight_ece"] <= 0.05


def test_decoding_prefers_the_shortest_spans_within_tolerance(small_fit: Any) -> None:
    from hypemeter.training.metrics import span_prf
    from hypemeter.training.span_calibration import (
        LOW_THRESHOLDS,
        THRESHOLDS,
        TOLERANCE,
        span_rows,
        tune_decoding,
    )
    from hypemeter.training.spans import _fields

    lexicon, valence, sm, records = small_fit
    fields = _fields(records, lexicon, valence, True)
    enc = encode_fast(sm, [(f.analysis, f.text, f.name == "headline") for f in fields])
    proba = token_proba(sm, enc)
    f1, threshold, low = tune_decoding(fields, proba, enc)
    grid = {(t, min(lo, t)): span_prf(span_rows(fields, proba, enc, t, min(lo, t))[0])[
        "f1"] for t in THRESHOLDS for lo in LOW_THRESHOLDS}
    best = max(grid.values())
    assert f1 == grid[threshold, low] and f1 >= best - TOLERANCE
    assert all(lo <= low for (_, lo), v in grid.items() if v >= best - TOLERANCE)


def test_results_carry_only_the_public_categories(scorer: Scorer) -> None:
    from hypemeter.records.results import MERGED_CATEGORIES, SPAN_CATEGORIES, public_category

    texts = [
        Article("Terrifying plague will wipe out millions, experts fear",
                "The deadliest, most catastrophic disaster in history is coming for your "
                "children. Patriots must defend our glorious nation against these traitors!"),
        Article("Act now: the greatest scandal ever", "Breaking: the corrupt elite lied again."),
    ]
    for res in scorer.score(texts):
        assert res.spans
        assert {s.category for s in res.spans} <= set(SPAN_CATEGORIES)
    assert {public_category(c) for c in MERGED_CATEGORIES} <= set(SPAN_CATEGORIES)
    assert all(public_category(c) == c for c in SPAN_CATEGORIES)


def test_the_page_legend_lists_the_public_categories() -> None:
    import re

    from support.paths import REPO as REPO_ROOT

    from hypemeter.records.results import SPAN_CATEGORIES

    static = REPO_ROOT / "service" / "web" / "static"
    js = (static / "app.js").read_text(encoding="utf-8")
    block = js[js.index("const CATEGORIES = {"):js.index("};", js.index("const CATEGORIES"))]
    assert re.findall(r"^    (\w+): \{", block, re.M) == list(SPAN_CATEGORIES)
    css = (static / "style.css").read_text(encoding="utf-8")
    assert sorted(set(re.findall(r"^\.cat-(\w+) \{", css, re.M)) - {"other"}) == sorted(
        SPAN_CATEGORIES)
