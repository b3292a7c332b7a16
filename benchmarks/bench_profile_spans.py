"""Span verdicts adapting a profile's highlights: a simulated newsroom on PTC articles.

The PTC articles are split (``--eval-fraction`` held out for evaluation, per seed). A user
"reviews" the spans the model shows for k articles of the rest: ``loaded`` where a shown span
overlaps an annotated phrase (the PTC techniques the span model targets), ``not_loaded``
elsewhere, plus every annotated phrase no shown span touched, marked ``loaded``. Those verdicts
make the profile's span prior (:class:`hypemeter.profiles.spans.SpanPrior`); the held-out
articles' spans are adjusted with it and measured: precision among spans with weight >= 0.5
(a span counts when it overlaps an annotated phrase) and span F1 of the spans with weight >= 0.5
(partial character-overlap credit, SemEval-2020 Task 11). Mean over ``--seeds``.

Caveat: the shipped model was trained with the PTC articles, so k = 0 is optimistic; the change
with k is the figure.

    python benchmarks/bench_profile_spans.py --data-dir DIR [--ks 0,25,50,100] [--seeds 3]
        [--breakdown]

``--breakdown`` also prints what a prior could key on: the shown spans of weight >= 0.5 on
every article, their precision by category, length in words and weight, and how often a
span that touches no annotated phrase repeats (a per-profile prior only learns from repeats).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.metrics import span_prf

from hypemeter.paths import REPO_ROOT
from hypemeter.profiles.spans import SpanPrior, phrase_key
from hypemeter.records.results import Article, Record, Span
from hypemeter.scoring.scorer import load_scorer
from hypemeter.spans.columns import SPAN_TECHNIQUES

MAX_SPANS = 100  # the API's default


def gold_of(rec: Record, field: str) -> list[tuple[int, int]]:
    return [(g.start, g.end) for g in rec.spans
            if g.field == field and g.technique in SPAN_TECHNIQUES]


def verdicts(rec: Record, spans: list[Span]) -> list[tuple[str, str, str | None]]:
    out: list[tuple[str, str, str | None]] = []
    for field, text in (("headline", rec.headline), ("body", rec.body)):
        gold = gold_of(rec, field)
        shown = [s for s in spans if s.field == field]
        for s in shown:
            hit = any(a < s.end and b > s.start for a, b in gold)
            out.append((s.text, "loaded" if hit else "not_loaded", None))
        for a, b in gold:
            if not any(s.start < b and s.end > a for s in shown):
                out.append((text[a:b], "loaded", None))
    return out


def measure(recs: list[Record], spans: list[list[Span]]) -> dict[str, float]:
    matched: list[bool] = []
    pairs = []
    for rec, found in zip(recs, spans, strict=True):
        for field in ("headline", "body"):
            gold = gold_of(rec, field)
            strong = [s for s in found if s.field == field and s.weight >= 0.5]
            matched += [any(a < s.end and b > s.start for a, b in gold) for s in strong]
            pairs.append(([(s.start, s.end) for s in strong], gold))
    prf = span_prf(pairs)
    return {"precision_weight_ge_0_5": float(np.mean(matched)) if matched else 0.0,
            "f1_weight_ge_0_5": prf["f1"], "spans_weight_ge_0_5": float(len(matched))}


def breakdown(recs: list[Record], shown: list[list[Span]]) -> dict[str, Any]:
    rows = []
    for rec, spans in zip(recs, shown, strict=True):
        for s in spans:
            if s.weight >= 0.5:
                hit = any(a < s.end and b > s.start for a, b in gold_of(rec, s.field))
                rows.append((s.category, min(len(s.text.split()), 5),
                             round(min(s.weight, 0.95) * 20) / 20, phrase_key(s.text), hit))
    def by(col: int) -> dict[str, list[float]]:
        groups: dict[str, list[bool]] = {}
        for r in rows:
            groups.setdefault(str(r[col]), []).append(r[4])
        return {k: [len(v), round(float(np.mean(v)), 3)] for k, v in sorted(groups.items())}
    misses = Counter(r[3] for r in rows if not r[4])
    return {"spans_weight_ge_0_5": len(rows),
            "precision": round(float(np.mean([r[4] for r in rows])), 4),
            "by_category_n_precision": by(0), "by_words_n_precision": by(1),
            "by_weight_n_precision": by(2), "missing_spans": sum(misses.values()),
            "missing_spans_whose_phrase_repeats": sum(v for v in misses.values() if v > 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--models", type=Path, default=REPO_ROOT / "models")
    ap.add_argument("--ks", default="0,25,50,100")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--eval-fraction", type=float, default=0.35)
    ap.add_argument("--min-adds", type=int, default=None,
                    help="override hypemeter.profiles.spans.MIN_ADDS (a large value: no "
                    "phrases added, demotion only)")
    ap.add_argument("--breakdown", action="store_true")
    args = ap.parse_args()
    if args.min_adds is not None:
        import hypemeter.profiles.spans as span_prior

        span_prior.MIN_ADDS = args.min_adds
    ks = sorted({int(k) for k in args.ks.split(",")})
    records, _ = load_corpora(args.data_dir, ["ptc_semeval2020"], include_sample=False)
    recs = [r for r in records if r.spans]
    scorer = load_scorer(args.models)
    shown = [r.spans for r in scorer.score([Article(r.headline, r.body) for r in recs],
                                           explain=True, max_spans=MAX_SPANS)]
    if args.breakdown:
        print(json.dumps({"breakdown": breakdown(recs, shown)}, indent=1), flush=True)
    per_k: dict[int, list[dict[str, float]]] = {k: [] for k in ks}
    for seed in range(args.seeds):
        order = np.random.default_rng(seed).permutation(len(recs))
        n_eval = round(args.eval_fraction * len(recs))
        held, pool = order[:n_eval], order[n_eval:]
        for k in ks:
            prior = SpanPrior.from_verdicts(
                v for i in pool[:k] for v in verdicts(recs[i], shown[i]))
            adjusted = [prior.adjust(recs[i].headline, recs[i].body, shown[i], MAX_SPANS)
                        for i in held]
            per_k[k].append(measure([recs[i] for i in held], adjusted))
    out: dict[str, Any] = {"articles": len(recs), "seeds": args.seeds, "by_k": {}}
    for k in ks:
        mean = {m: round(float(np.mean([r[m] for r in per_k[k]])), 4) for m in per_k[k][0]}
        out["by_k"][str(k)] = mean
        print(f"k={k:3d}: precision(w>=0.5) {mean['precision_weight_ge_0_5']:.4f}  "
              f"F1(w>=0.5) {mean['f1_weight_ge_0_5']:.4f}  "
              f"spans {mean['spans_weight_ge_0_5']:.0f}", flush=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
