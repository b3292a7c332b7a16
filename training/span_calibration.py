"""How the span model decodes and what its weights mean, both fit on held-out folds.

- :data:`EDGE_RATIO`: a span's edge words carry at least this share of the probability of its
  strongest word (:func:`hypemeter.spans.decoding.trim_runs`), a rule of the product rather than
  a tuned figure: the hysteresis lets a confident word take in weak neighbours ("sends" in
  "sends deadly weapon"), and a reader checks a phrase, not the clause around it. Held-out F1
  with and without it is in docs/benchmarks.md.
- :func:`tune_decoding`: the decoding thresholds (a span needs a token at ``threshold`` and takes
  in its clause's neighbours down to ``low``) with the best held-out span F1; among settings
  within ``TOLERANCE`` of the best, the one with the shortest spans (the highest ``low``): a
  phrase a reader can check beats a long run that scores the same.
- :func:`fit_weight_calibration`: the span weight, a Platt calibration at the span level. Each
  held-out span of an exhaustively annotated article (every loaded phrase marked: the
  propaganda corpus) is one example; its outcome is whether it matches (overlaps) a phrase
  annotators marked, the question a reader asks of a highlight; its features
  :data:`hypemeter.spans.decoding.CALIBRATION_FEATURES` (the run's highest and mean token
  probability, its length). Articles annotated only in part (the project's sample, a user's
  corrections) or not at all teach the token model but would tell the calibration that marked
  phrases are rarer than they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from hypemeter.training.metrics import span_prf
from sklearn.linear_model import LogisticRegression

from hypemeter.analysis.features import FieldAnalysis
from hypemeter.analysis.vocabulary import PHRASE_MARKS, STOPWORDS
from hypemeter.spans.columns import Encoded
from hypemeter.spans.decoding import (
    calibration_matrix,
    find_runs,
    vocabulary_mask,
    vocabulary_spans,
)

THRESHOLDS = tuple(round(float(t), 2) for t in np.arange(0.2, 0.65, 0.05))
LOW_THRESHOLDS = (0.05, 0.1, 0.2)
TOLERANCE = 0.005  # held-out F1 given up for shorter spans
EDGE_RATIO = 0.3


class DecodedField(Protocol):
    analysis: FieldAnalysis
    name: str
    gold: list[tuple[int, int]]
    exhaustive: bool


def ece(weights: np.ndarray, outcomes: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error with equal-width bins."""
    if len(weights) == 0:
        return float("nan")
    idx = np.minimum((weights * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() * abs(weights[m].mean() - outcomes[m].mean())
    return float(total / len(weights))


def token_marks(fields: Sequence[DecodedField], enc: Encoded
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Per token of ``fields`` (end to end): a stop word, its PHRASE_MARKS, in a vocabulary
    phrase (what :func:`hypemeter.spans.decoding.find_runs` reads besides probabilities)."""
    words = [w for f in fields for w in f.analysis.tokens.words]
    stop = np.fromiter((w in STOPWORDS for w in words), bool, len(words))
    mark = np.fromiter((PHRASE_MARKS.get(w, 0) for w in words), np.int8, len(words))
    vocabulary = [vocabulary_spans(f.analysis, f.name == "headline",
                                   stop[enc.bounds[k]:enc.bounds[k + 1]])
                  for k, f in enumerate(fields)]
    return stop, mark, vocabulary_mask(vocabulary, enc.bounds, len(words))


def span_rows(fields: Sequence[DecodedField], proba: np.ndarray, enc: Encoded,
              threshold: float, low: float, edge_ratio: float = EDGE_RATIO,
              marks: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None,
              ) -> tuple[list[tuple[list, list]], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Decode spans as scoring does (``enc``: the fields' encoding; ``marks``:
    :func:`token_marks`); return (pred, gold) pairs for span_prf, and per span its calibration
    features, the share of its characters inside gold spans, whether it overlaps one and
    whether its field is exhaustively annotated."""
    stop, mark, blocked = token_marks(fields, enc) if marks is None else marks
    runs = find_runs(proba, enc, stop, mark, threshold, low, edge_ratio, blocked)
    preds: list[list[tuple[int, int]]] = [[] for _ in fields]
    hit, full = [], []
    for k, first, last in zip(runs.field.tolist(), runs.first.tolist(), runs.last.tolist(),
                              strict=True):
        f = fields[k]
        toks, base = f.analysis.tokens, enc.bounds[k]
        a, b = toks.starts[first - base], toks.ends[last - base]
        preds[k].append((a, b))
        covered = np.zeros(b - a, bool)
        for ga, gb in f.gold:
            lo, hi = max(a, ga), min(b, gb)
            if hi > lo:
                covered[lo - a:hi - a] = True
        hit.append(covered.mean())
        full.append(f.exhaustive)
    hits = np.asarray(hit, float)
    return ([(pred, f.gold) for pred, f in zip(preds, fields, strict=True)],
            calibration_matrix(runs), hits, (hits > 0).astype(float), np.asarray(full, bool))


def tune_decoding(fields: Sequence[DecodedField], proba: np.ndarray, enc: Encoded,
                  edge_ratio: float = EDGE_RATIO) -> tuple[float, float, float]:
    """``(held-out F1, threshold, low)``: see the module's docstring."""
    marks = token_marks(fields, enc)
    scored = []
    for t in THRESHOLDS:
        for low in LOW_THRESHOLDS:
            low = min(low, t)
            pairs, *_ = span_rows(fields, proba, enc, t, low, edge_ratio, marks)
            scored.append((span_prf(pairs)["f1"], t, low))
    best = max(f1 for f1, _, _ in scored)
    near = [s for s in scored if s[0] >= best - TOLERANCE]
    return max(near, key=lambda s: (s[2], s[0]))


def fit_weight_calibration(raw: np.ndarray, hit: np.ndarray, full: np.ndarray, seed: int = 0
                           ) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Platt scaling of spans on their outcomes ``hit`` (0/1, or soft targets in [0, 1]: each
    span counts as a success with weight ``hit`` and as a failure with ``1 - hit``), on the
    spans of exhaustively annotated fields (all spans when there are none); returns
    coefficients, intercept and held-out figures."""
    use = full if full.sum() >= 20 else np.ones(len(hit), bool)
    X, h = raw[use], hit[use]
    platt = LogisticRegression(C=1.0, max_iter=1000, random_state=seed).fit(
        np.vstack([X, X]), np.r_[np.ones(len(h)), np.zeros(len(h))],
        sample_weight=np.r_[h, 1.0 - h] + 1e-9)
    w = platt.predict_proba(X)[:, 1]
    strong = w >= 0.5
    figures = {
        "calibration_spans": int(use.sum()),
        "oof_weight_ece": round(ece(w, h), 4),
        "oof_spans_weight_ge_0_5": int(strong.sum()),
        "oof_matched_weight_ge_0_5": round(float(h[strong].mean()), 4) if strong.any()
        else None,
    }
    return platt.coef_[0], float(platt.intercept_[0]), figures
