"""Span validation: F1 on the five wording techniques (and the four older ones), precision by
weight band, the calibration of ``weight`` (reliability table, expected calibration error),
category accuracy on matched spans with its confusion matrix, and the sentence scores'
calibration.

:func:`span_outcomes` scores held-out articles and keeps what each span and sentence came to;
:func:`summarise` turns outcomes into the figures. Outcomes of several folds add up
(:meth:`SpanOutcomes.extend`), so the out-of-fold benchmark pools every article it held out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
from hypemeter.training.metrics import span_prf
from hypemeter.training.spans import CATEGORY_OF, ece

from hypemeter.analysis.vocabulary import LOADED_TECHNIQUES
from hypemeter.records.results import Article, Record, public_category
from hypemeter.scoring.model import HypeModel
from hypemeter.spans.columns import SPAN_TECHNIQUES
from hypemeter.spans.decoding import VOCABULARY_CATEGORIES

BANDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)
CUTS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6)
Pair = tuple[list[tuple[int, int]], list[tuple[int, int]]]


def _covered(a: int, b: int, gold: list[tuple[int, int]]) -> float:
    mask = np.zeros(max(1, b - a), bool)
    for ga, gb in gold:
        lo, hi = max(a, ga), min(b, gb)
        if hi > lo:
            mask[lo - a:hi - a] = True
    return float(mask.mean())


@dataclass
class SpanOutcomes:
    """What the predicted spans and sentences of some held-out articles came to."""

    articles: int = 0
    five: list[Pair] = field(default_factory=list)  # (predicted, gold) per field
    four: list[Pair] = field(default_factory=list)
    by_weight: list[tuple[list[tuple[int, int, float]], list[tuple[int, int]]]] = field(
        default_factory=list)
    vocabulary: list[bool] = field(default_factory=list)  # per predicted span: a product
    # vocabulary phrase (urgency, clickbait: a fixed weight, no annotated corpus to calibrate on)
    weights: list[float] = field(default_factory=list)
    hits: list[float] = field(default_factory=list)  # share of its characters inside gold
    matched: list[bool] = field(default_factory=list)  # it overlaps a gold span (the outcome
    # its weight is calibrated on)
    cat_pairs: list[tuple[str, str]] = field(default_factory=list)  # (gold, predicted)
    any_cat: list[bool] = field(default_factory=list)
    sent_q: list[float] = field(default_factory=list)
    sent_y: list[float] = field(default_factory=list)

    def extend(self, other: SpanOutcomes) -> None:
        for name, value in vars(other).items():
            if isinstance(value, list):
                getattr(self, name).extend(value)
        self.articles += other.articles


def span_records(records: Sequence[Record]) -> list[Record]:
    """The span-annotated records validation scores: the PTC articles (else any)."""
    return [r for r in records if r.spans and r.corpus == "ptc_semeval2020"] or [
        r for r in records if r.spans]


def span_outcomes(model: HypeModel, records: Sequence[Record]) -> SpanOutcomes:
    out = SpanOutcomes()
    recs = span_records(records)
    if not recs:
        return out
    out.articles = len(recs)
    arts = [Article(r.headline, r.body, r.id) for r in recs]
    analyses = model.analyze(arts)
    explained = model.explain(arts, analyses, sentences=True)
    for rec, (spans, sents) in zip(recs, explained, strict=True):
        for name in ("headline", "body"):
            pred = [s for s in spans if s.field == name]
            g5 = [(g.start, g.end) for g in rec.spans
                  if g.field == name and g.technique in SPAN_TECHNIQUES]
            g4 = [(g.start, g.end) for g in rec.spans
                  if g.field == name and g.technique in LOADED_TECHNIQUES]
            out.five.append(([(s.start, s.end) for s in pred], g5))
            out.by_weight.append(([(s.start, s.end, s.weight) for s in pred], g5))
            out.four.append(([(s.start, s.end) for s in pred], g4))
            gold_cat = [(g, public_category(CATEGORY_OF[g.technique])) for g in rec.spans
                        if g.field == name and g.technique in CATEGORY_OF]
            for s in pred:
                out.vocabulary.append(s.category in VOCABULARY_CATEGORIES)
                out.weights.append(s.weight)
                out.hits.append(_covered(s.start, s.end, g5))
                out.matched.append(any(a < s.end and b > s.start for a, b in g5))
                best = max(((min(s.end, g.end) - max(s.start, g.start), c)
                            for g, c in gold_cat), default=(0, ""), key=lambda t: t[0])
                if best[0] > 0:
                    predicted = public_category(s.category)
                    out.cat_pairs.append((best[1], predicted))
                    out.any_cat.append(predicted in {
                        c for g, c in gold_cat if g.start < s.end and g.end > s.start})
            for sc in sents or []:
                if sc.field == name:
                    out.sent_q.append(sc.sensationalism)
                    out.sent_y.append(float(any(a < sc.end and b > sc.start for a, b in g5)))
    return out


def _r(v: Any) -> Any:
    return round(v, 4) if isinstance(v, float) else v


def _weight_figures(w: np.ndarray, h: np.ndarray, matched: np.ndarray) -> dict[str, Any]:
    """The weight's outcome is whether a span matches (overlaps) a marked phrase: precision and
    ECE against that; the ``char_`` figures against the share of its characters inside one."""
    strong = w >= 0.5
    return {
        "precision_weight_ge_0_5": round(float(matched[strong].mean()), 4)
        if strong.any() else None,
        "char_precision_weight_ge_0_5": round(float(h[strong].mean()), 4)
        if strong.any() else None,
        "spans_weight_ge_0_5": int(strong.sum()),
        "weight_ece": round(ece(w, matched.astype(float)), 4) if len(w) else None,
        "weight_ece_chars": round(ece(w, h), 4) if len(w) else None,
    }


def summarise(o: SpanOutcomes) -> dict[str, Any]:
    """The figures. Weight figures (bands, ECE, precision at weight >= 0.5) are over the learned
    spans, whose weight is calibrated; product vocabulary spans are counted apart, and
    ``all_spans`` repeats the weight figures with them included."""
    if not o.articles:
        return {}
    vocab = np.asarray(o.vocabulary, bool)
    w_all = np.asarray(o.weights, float)
    h_all = np.asarray(o.hits, float)
    m_all = np.asarray(o.matched, bool)
    w, h, matched = w_all[~vocab], h_all[~vocab], m_all[~vocab]
    bands = []
    for lo, hi in pairwise(BANDS):
        m = (w >= lo) & (w < hi)
        bands.append({"band": f"{lo:.1f}-{min(hi, 1.0):.1f}", "spans": int(m.sum()),
                      "lo": lo, "hi": min(hi, 1.0),
                      "mean_weight": round(float(w[m].mean()), 4) if m.any() else None,
                      "precision": round(float(matched[m].mean()), 4) if m.any() else None,
                      "chars": round(float(h[m].mean()), 4) if m.any() else None})
    cuts = []
    for cut in CUTS:
        m = span_prf([([(a, b) for a, b, q in pred if q >= cut], g) for pred, g in o.by_weight])
        cuts.append({"min_weight": cut, **{k: _r(v) for k, v in m.items()}})
    confusion = Counter(o.cat_pairs)
    cats = sorted({c for pair in o.cat_pairs for c in pair})
    pairs = o.cat_pairs
    return {
        "techniques": sorted(SPAN_TECHNIQUES),
        "articles": o.articles,
        **{k: _r(v) for k, v in span_prf(o.five).items()},
        "four_techniques": {k: _r(v) for k, v in span_prf(o.four).items()},
        **_weight_figures(w, h, matched),
        "vocabulary_spans": {"spans": int(vocab.sum()),
                             "precision": round(float(m_all[vocab].mean()), 4)
                             if vocab.any() else None},
        "all_spans": _weight_figures(w_all, h_all, m_all),
        "weight_bands": bands,
        "by_min_weight": cuts,
        "category_accuracy": round(sum(a == b for a, b in pairs) / len(pairs), 4)
        if pairs else None,
        "category_matched": len(pairs),
        "category_accuracy_any_overlapping": round(sum(o.any_cat) / len(o.any_cat), 4)
        if o.any_cat else None,
        "category_confusion": {g: {p: confusion[g, p] for p in cats if confusion[g, p]}
                               for g in cats},
        "sentences": {"n": len(o.sent_q), "positives": int(sum(o.sent_y)),
                      "ece": round(ece(np.asarray(o.sent_q), np.asarray(o.sent_y)), 4)
                      if o.sent_q else None},
    }


def span_metrics(model: Any, records: Sequence[Record]) -> dict[str, Any]:
    return summarise(span_outcomes(model, records))
