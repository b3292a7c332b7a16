"""Span validation: F1 on the five wording techniques (and the four older ones), precision by
weight band, the calibration of ``weight`` (reliability table, expected calibration error),
category accuracy on matched spans, and the sentence scores' calibration."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from hypemeter.training.metrics import span_prf
from hypemeter.training.spans import CATEGORY_OF, ece

from hypemeter.explain import explain
from hypemeter.lexicon import LOADED_TECHNIQUES
from hypemeter.schema import Article, Record
from hypemeter.spans import SPAN_TECHNIQUES

BANDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)
CUTS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6)


def _covered(a: int, b: int, gold: list[tuple[int, int]]) -> float:
    mask = np.zeros(max(1, b - a), bool)
    for ga, gb in gold:
        lo, hi = max(a, ga), min(b, gb)
        if hi > lo:
            mask[lo - a:hi - a] = True
    return float(mask.mean())


def span_metrics(model: Any, records: Sequence[Record]) -> dict[str, Any]:
    recs = [r for r in records if r.spans and r.corpus == "ptc_semeval2020"] or [
        r for r in records if r.spans]
    if not recs:
        return {}
    arts = [Article(r.headline, r.body, r.id) for r in recs]
    analyses = model.analyze(arts)
    explained = explain(model, arts, analyses,
                        sentences=getattr(model, "span_model_", None) is not None)
    five, four, weights, hits = [], [], [], []
    by_weight: list[tuple[list[tuple[int, int, float]], list[tuple[int, int]]]] = []
    cat_pairs: list[tuple[str, str]] = []
    any_cat: list[bool] = []
    sent_q, sent_y = [], []
    for rec, (spans, sents) in zip(recs, explained, strict=True):
        for field in ("headline", "body"):
            pred = [s for s in spans if s.field == field]
            g5 = [(g.start, g.end) for g in rec.spans
                  if g.field == field and g.technique in SPAN_TECHNIQUES]
            g4 = [(g.start, g.end) for g in rec.spans
                  if g.field == field and g.technique in LOADED_TECHNIQUES]
            five.append(([(s.start, s.end) for s in pred], g5))
            by_weight.append(([(s.start, s.end, s.weight) for s in pred], g5))
            four.append(([(s.start, s.end) for s in pred], g4))
            for s in pred:
                weights.append(s.weight)
                hits.append(_covered(s.start, s.end, g5))
                best = max(((min(s.end, g.end) - max(s.start, g.start), g) for g in rec.spans
                            if g.field == field and g.technique in CATEGORY_OF),
                           default=(0, None), key=lambda t: t[0])
                if best[0] > 0 and best[1] is not None:
                    cat_pairs.append((CATEGORY_OF[best[1].technique], s.category))
                    any_cat.append(s.category in {
                        CATEGORY_OF[g.technique] for g in rec.spans if g.field == field
                        and g.technique in CATEGORY_OF and g.start < s.end and g.end > s.start})
            for sc in sents or []:
                if sc.field == field:
                    sent_q.append(sc.sensationalism)
                    sent_y.append(float(any(a < sc.end and b > sc.start for a, b in g5)))
    w = np.asarray(weights)
    h = np.asarray(hits)
    bands = []
    for lo, hi in pairwise(BANDS):
        m = (w >= lo) & (w < hi)
        bands.append({"band": f"{lo:.1f}-{min(hi, 1.0):.1f}", "spans": int(m.sum()),
                      "lo": lo, "hi": min(hi, 1.0),
                      "mean_weight": round(float(w[m].mean()), 4) if m.any() else None,
                      "precision": round(float(h[m].mean()), 4) if m.any() else None})
    cuts = []
    for cut in CUTS:
        m = span_prf([([(a, b) for a, b, q in pred if q >= cut], g) for pred, g in by_weight])
        cuts.append({"min_weight": cut, **{k: round(v, 4) if isinstance(v, float) else v
                                           for k, v in m.items()}})
    strong = w >= 0.5
    five_prf = span_prf(five)
    confusion = Counter(cat_pairs)
    cats = sorted({c for pair in cat_pairs for c in pair})
    return {
        "techniques": sorted(SPAN_TECHNIQUES),
        "articles": len(recs),
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in five_prf.items()},
        "four_techniques": {k: round(v, 4) if isinstance(v, float) else v
                            for k, v in span_prf(four).items()},
        "precision_weight_ge_0_5": round(float(h[strong].mean()), 4) if strong.any() else None,
        "spans_weight_ge_0_5": int(strong.sum()),
        "weight_ece": round(ece(w, h), 4) if len(w) else None,
        "weight_bands": bands,
        "by_min_weight": cuts,
        "category_accuracy": round(sum(a == b for a, b in cat_pairs) / len(cat_pairs), 4)
        if cat_pairs else None,
        "category_matched": len(cat_pairs),
        "category_accuracy_any_overlapping": round(sum(any_cat) / len(any_cat), 4)
        if any_cat else None,
        "category_confusion": {g: {p: confusion[g, p] for p in cats if confusion[g, p]}
                               for g in cats},
        "sentences": {"n": len(sent_q), "positives": int(sum(sent_y)),
                      "ece": round(ece(np.asarray(sent_q), np.asarray(sent_y)), 4)
                      if sent_q else None},
    }

