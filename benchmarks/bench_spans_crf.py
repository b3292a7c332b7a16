"""Issue 13's claim checked: a plain linear-chain CRF (sklearn-crfsuite) for the five loaded
techniques, on the same held-out PTC articles and the same span metric as
``bench_spans.py --mode split`` (same corpora, the same 80/20 ``group_split``, the same
``span_prf`` through ``summarise``).

One CRF sequence per sentence (the trained Punkt splitter of bench_spans.py), BIO labels for
"inside a five-technique span", per-token feature dicts: lowercased word, suffixes, shape,
VADER valence, a +-2 word window and the position in the sentence. Two decodings:

- ``viterbi``: the CRF's best label sequence; a span is a B/I run.
- ``marginal``: a token is inside when its marginal P(not O) reaches a threshold tuned for
  span F1 on an inner dev split of the TRAINING articles (a CRF fitted on the rest of them);
  the reported model is then refitted on all training articles, threshold kept.

A span's weight is the mean P(not O) of its tokens (for the weight figures of ``summarise``).
Tagging speed is articles per second on one core: tokenising, sentence splitting, features
and tagging of the held-out articles, end to end.

    python benchmarks/bench_spans_crf.py --data-dir DIR [--seed 0] [--c1 0.1 ...]
        [--c2 0.05 ...] [--labels bio|io] [--dev-folds 1] [--iterations 100]

Several --c1/--c2 values: every pair is fitted on the inner training articles and the pair with
the best dev F1 (at its tuned threshold) is refitted on all training articles.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sklearn_crfsuite
from bench_spans import CORPORA, PTC
from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.corpora.split import group_split, group_unit
from hypemeter.training.metrics import span_prf
from hypemeter.training.span_metrics import SpanOutcomes, _covered, span_records, summarise

from hypemeter.analysis.features import vader_valence
from hypemeter.analysis.vocabulary import LOADED_TECHNIQUES
from hypemeter.records.results import Record
from hypemeter.spans.columns import SPAN_TECHNIQUES
from hypemeter.text.sentences import SentenceSplitter
from hypemeter.text.tokens import tokenize

FIELDS = ("headline", "body")
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.02, 0.61, 0.02))
Token = tuple[int, int]  # (start, end) in the field
Sentence = tuple[list[Token], list[dict[str, Any]]]  # tokens and their feature dicts


def shape(raw: str) -> str:
    """Xxxx -> Xx, DNA -> X, 1990 -> d, don't -> x'x: character classes, runs collapsed."""
    s = re.sub(r"[A-Z]", "X", raw)
    s = re.sub(r"[a-z]", "x", s)
    s = re.sub(r"[0-9]", "d", s)
    return re.sub(r"(.)\1+", r"\1", s)


def valence_bin(v: float) -> str:
    return "0" if v == 0 else ("+" if v > 0 else "-") + ("strong" if abs(v) >= 2 else "weak")


def sentence_features(words: list[str], raws: list[str], valence: dict[str, float],
                      headline: bool) -> list[dict[str, Any]]:
    n = len(words)
    vals = [valence.get(w, 0.0) for w in words]
    out = []
    for k, (w, raw) in enumerate(zip(words, raws, strict=True)):
        f: dict[str, Any] = {
            "bias": 1.0, "w": w, "s2": w[-2:], "s3": w[-3:], "s4": w[-4:],
            "shape": shape(raw), "upper": raw.isupper() and len(raw) > 1,
            "title": raw.istitle() and k > 0, "digit": w.isdigit(), "long": len(w) >= 8,
            "val": valence_bin(vals[k]), "absval": abs(vals[k]) / 4.0,
            "pos": "first" if k == 0 else "last" if k == n - 1 else f"q{4 * k // n}",
            "headline": headline,
        }
        for d in (-2, -1, 1, 2):
            j = k + d
            if 0 <= j < n:
                f[f"w{d:+d}"] = words[j]
                f[f"val{d:+d}"] = valence_bin(vals[j])
            else:
                f[f"w{d:+d}"] = "<edge>"
        f["w-1|w"] = f"{f['w-1']}|{w}"
        f["w|w+1"] = f"{w}|{f['w+1']}"
        out.append(f)
    return out


def field_sentences(text: str, headline: bool, splitter: SentenceSplitter,
                    valence: dict[str, float]) -> list[Sentence]:
    toks = tokenize(text)
    starts = np.asarray(toks.starts, np.int64)
    out: list[Sentence] = []
    for a, b in splitter.spans(text):
        lo, hi = np.searchsorted(starts, a), np.searchsorted(starts, b)
        if hi > lo:
            out.append(([(toks.starts[k], toks.ends[k]) for k in range(lo, hi)],
                        sentence_features(toks.words[lo:hi], toks.raw[lo:hi], valence,
                                          headline)))
    return out


def bio(tokens: list[Token], gold: list[tuple[int, int]], io: bool = False) -> list[str]:
    """B/I/O: a token is inside when it overlaps a gold span; B where the covering span (the
    earliest starting one) changes (never with ``io``: I/O labels)."""
    labels, last = [], None
    for a, b in tokens:
        cover = min(((ga, gb) for ga, gb in gold if ga < b and gb > a), default=None)
        labels.append("O" if cover is None else "I" if io or cover == last else "B")
        last = cover
    return labels


def gold_of(rec: Record, name: str, techniques: frozenset[str] | set[str]) -> list[tuple]:
    return [(g.start, g.end) for g in rec.spans if g.field == name and g.technique in techniques]


def encode(recs: Sequence[Record], splitter: SentenceSplitter, valence: dict[str, float]
           ) -> list[list[tuple[str, list[Sentence]]]]:
    """Per record, per field: (field name, its sentences)."""
    return [[(name, field_sentences(getattr(r, name), name == "headline", splitter, valence))
             for name in FIELDS] for r in recs]


def training_data(recs: Sequence[Record], enc: list, io: bool = False) -> tuple[list, list]:
    xs, ys = [], []
    for rec, fields in zip(recs, enc, strict=True):
        for name, sents in fields:
            gold = gold_of(rec, name, SPAN_TECHNIQUES)
            for tokens, feats in sents:
                xs.append(feats)
                ys.append(bio(tokens, gold, io))
    return xs, ys


def fit_crf(recs: Sequence[Record], enc: list, args: argparse.Namespace, c1: float,
            c2: float) -> Any:
    xs, ys = training_data(recs, enc, args.labels == "io")
    crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=c1, c2=c2,
                               max_iterations=args.iterations, all_possible_transitions=True)
    crf.fit(xs, ys)
    return crf


def runs(tokens: list[Token], inside: list[bool], begins: list[bool], p: list[float]
         ) -> list[tuple[int, int, float]]:
    """Runs of inside tokens as (start, end, mean P(not O)); a B starts a new run."""
    out: list[tuple[int, int, float]] = []
    cur: list[int] = []
    for k in range(len(tokens) + 1):
        if cur and (k == len(tokens) or not inside[k] or begins[k]):
            out.append((tokens[cur[0]][0], tokens[cur[-1]][1],
                        float(np.mean([p[j] for j in cur]))))
            cur = []
        if k < len(tokens) and inside[k]:
            cur.append(k)
    return out


def tag(crf: Any, enc: list, threshold: float | None) -> list[list[list[tuple]]]:
    """Predicted (start, end, weight) per record, per field: Viterbi labels when ``threshold``
    is None, else marginal P(not O) >= threshold."""
    out = []
    for fields in enc:
        per_field = []
        for _, sents in fields:
            pred: list[tuple[int, int, float]] = []
            for tokens, feats in sents:
                marg = crf.predict_marginals_single(feats)
                p_in = [1.0 - m.get("O", 0.0) for m in marg]
                if threshold is None:
                    labels = crf.predict_single(feats)
                    inside = [lab != "O" for lab in labels]
                    begins = [lab == "B" for lab in labels]
                else:
                    inside = [q >= threshold for q in p_in]
                    begins = [m.get("B", 0.0) > m.get("I", 0.0) for m in marg]
                pred.extend(runs(tokens, inside, begins, p_in))
            per_field.append(pred)
        out.append(per_field)
    return out


def outcomes(recs: Sequence[Record], predicted: list) -> SpanOutcomes:
    """The same outcomes span_outcomes keeps for the span model (no categories: the CRF tags
    one class), so ``summarise`` gives the figures bench_spans.py prints."""
    o = SpanOutcomes(articles=len(recs))
    for rec, per_field in zip(recs, predicted, strict=True):
        for name, pred in zip(FIELDS, per_field, strict=True):
            g5 = gold_of(rec, name, SPAN_TECHNIQUES)
            ab = [(a, b) for a, b, _ in pred]
            o.five.append((ab, g5))
            o.four.append((ab, gold_of(rec, name, LOADED_TECHNIQUES)))
            o.by_weight.append((pred, g5))
            for a, b, w in pred:
                o.vocabulary.append(False)
                o.weights.append(w)
                o.hits.append(_covered(a, b, g5))
                o.matched.append(any(ga < b and gb > a for ga, gb in g5))
    return o


def tune_threshold(folds: list[tuple[Any, list[Record], list]]) -> tuple[float, float]:
    """The threshold of best span F1 pooled over the dev folds' (crf, records, encoding)."""
    best = (0.5, -1.0)
    for t in THRESHOLDS:
        f1 = span_prf([pair for crf, recs, enc in folds
                       for pair in outcomes(recs, tag(crf, enc, t)).five])["f1"]
        if f1 > best[1]:
            best = (t, f1)
    return best


def speed(crf: Any, recs: Sequence[Record], splitter: SentenceSplitter,
          valence: dict[str, float]) -> dict[str, float]:
    """Articles per second, end to end from the text: Viterbi labels only, and marginals only
    (what thresholding needs), best of three passes each."""
    out = {}
    for name, one in (("viterbi", crf.predict_single),
                      ("marginal", crf.predict_marginals_single)):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            for fields in encode(recs, splitter, valence):
                for _, sents in fields:
                    for _, feats in sents:
                        one(feats)
            best = min(best, time.perf_counter() - t0)
        out[name] = round(len(recs) / best, 1)
    return out


FIGURES = ("f1", "precision", "recall", "predicted", "gold", "precision_weight_ge_0_5",
           "spans_weight_ge_0_5", "weight_ece")


def figures(recs: Sequence[Record], predicted: list) -> dict[str, Any]:
    s = summarise(outcomes(recs, predicted))
    res = {k: s.get(k) for k in FIGURES}
    res["weight_bands"] = [{k: b[k] for k in ("band", "spans", "precision")}
                           for b in s["weight_bands"] if b["spans"]]
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=os.environ.get("HYPEMETER_DATA_DIR"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--c1", type=float, nargs="+", default=[0.1],
                    help="L1 weights; with several c1/c2 values the pair is chosen on dev F1")
    ap.add_argument("--c2", type=float, nargs="+", default=[0.05])
    ap.add_argument("--labels", choices=("bio", "io"), default="bio")
    ap.add_argument("--dev-folds", type=int, default=1,
                    help="1: one inner 80/20 dev split; K > 1: K inner folds, pooled")
    ap.add_argument("--iterations", type=int, default=100)
    args = ap.parse_args()
    records, _ = load_corpora(args.data_dir, CORPORA, include_sample=True)
    splitter = SentenceSplitter.train(r.body for r in records if r.corpus == PTC)
    valence = dict(vader_valence())
    train, valid = group_split(records, valid_fraction=0.2, seed=args.seed)
    train_recs, held = span_records(train), span_records(valid)
    enc_train = encode(train_recs, splitter, valence)
    if args.dev_folds == 1:  # one inner 80/20 split of the training articles
        fold = [int(group_unit(r.group, args.seed + 1) < 0.2) for r in train_recs]
    else:  # K inner folds: every training article is dev once, F1 pooled over the folds
        fold = [int(group_unit(r.group, args.seed + 1) * args.dev_folds) for r in train_recs]
    inner = [([k for k, f in enumerate(fold) if f != d], [k for k, f in enumerate(fold) if f == d])
             for d in sorted(set(fold)) if args.dev_folds > 1 or d == 1]
    out: dict[str, Any] = {"train_articles": len(train_recs), "held_out_articles": len(held),
                           "dev_folds": args.dev_folds,
                           "dev_articles": [len(d) for _, d in inner],
                           "labels": args.labels, "iterations": args.iterations}
    t0 = time.perf_counter()
    grid = []  # (dev F1, threshold, c1, c2): regularisation and threshold chosen on dev only
    for c1 in args.c1:
        for c2 in args.c2:
            folds = []
            for fit_k, dev_k in inner:
                crf = fit_crf([train_recs[k] for k in fit_k], [enc_train[k] for k in fit_k],
                              args, c1, c2)
                folds.append((crf, [train_recs[k] for k in dev_k], [enc_train[k] for k in dev_k]))
            t, f1 = tune_threshold(folds)
            grid.append((f1, t, c1, c2))
    dev_f1, threshold, c1, c2 = max(grid)
    out["dev"] = {"threshold": threshold, "dev_f1": round(dev_f1, 4), "c1": c1, "c2": c2,
                  "grid": [{"c1": g[2], "c2": g[3], "threshold": g[1], "dev_f1": round(g[0], 4)}
                           for g in grid], "seconds": round(time.perf_counter() - t0, 1)}
    t0 = time.perf_counter()
    crf = fit_crf(train_recs, enc_train, args, c1, c2)
    out["train_seconds"] = round(time.perf_counter() - t0, 1)
    _, ys = training_data(train_recs, enc_train, args.labels == "io")
    out["train_tokens_inside"] = round(float(np.mean([y != "O" for s in ys for y in s])), 4)
    enc_held = encode(held, splitter, valence)
    for name, thr in (("viterbi", None), ("marginal", threshold)):
        out[name] = figures(held, tag(crf, enc_held, thr))
    # diagnostic only, never used to choose anything: how much the dev-chosen threshold leaves
    out["heldout_f1_by_threshold"] = {str(t): round(span_prf(outcomes(
        held, tag(crf, enc_held, t)).five)["f1"], 4) for t in THRESHOLDS[::2]}
    out["tagging_articles_per_second"] = speed(crf, held, splitter, valence)
    out["summary"] = {name: {k: out[name][k] for k in ("f1", "precision", "recall")}
                      for name in ("viterbi", "marginal")}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
