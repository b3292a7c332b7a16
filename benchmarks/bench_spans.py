"""Span quality of the span model on PTC articles it never trained on, with the product
vocabulary list off and on.

Two ways to hold articles out, both grouped by article:

- ``split``: the same 80/20 split of groups ``hypemeter train`` uses (the card's figures): fit on
  80%, score the other 20% (about 56 PTC articles, 400 spans: ECE over 10 bins is noisy).
- ``oof``: out of fold over ALL PTC articles: K folds of articles; each fold's articles are
  scored by a model fitted on the other folds (and the other corpora), and the figures pool
  every article, each scored by a model that never saw it.

Each fit is only what spans need (the phrase lexicon and the span model: :class:`SpansOnly`).

    python benchmarks/bench_spans.py --data-dir DIR [--mode split|oof|both] [--oof-folds 5]
        [--vocabulary on|off|both] [--seed 0] [--C 1.0] [--folds 3] [--edge-ratio 0.3]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.corpora.split import group_split, group_unit
from hypemeter.training.recipe import Recipe, lexicon_records, recipe_records
from hypemeter.training.span_metrics import SpanOutcomes, span_metrics, span_outcomes, summarise
from hypemeter.training.spans import fit_span_model

from hypemeter.analysis import lexicon as lexicon_module
from hypemeter.analysis.features import vader_valence
from hypemeter.analysis.lexicon import PhraseLexicon
from hypemeter.records.results import Article, Record
from hypemeter.scoring.explain import Explained, explain
from hypemeter.scoring.model import Analysis, HypeModel
from hypemeter.spans.model import SpanModel
from hypemeter.text.sentences import SentenceSplitter

CORPORA = ["ptc_semeval2020", "hypo_troiano2018"]
PTC = "ptc_semeval2020"
HEADLINE_FIGURES = ("f1", "precision", "recall", "precision_weight_ge_0_5",
                    "char_precision_weight_ge_0_5", "spans_weight_ge_0_5", "weight_ece",
                    "weight_ece_chars", "category_accuracy")


class SpansOnly:
    """What explaining needs of a model (analysis and span model) without its scores' learners,
    which the span figures do not read and which take most of a full fit's time; the default
    recipe's lexicon records and identity mask, as training fits them."""

    identity_mask = HypeModel().identity_mask

    def __init__(self, train: list[Record], vocabulary: bool, splitter: SentenceSplitter
                 ) -> None:
        saved = dict(lexicon_module.SEED_PHRASES)
        if not vocabulary:
            lexicon_module.SEED_PHRASES.clear()
        try:
            self.valence_ = dict(vader_valence())
            self.lexicon_ = PhraseLexicon().fit(lexicon_records(Recipe(), train), self.valence_)
        finally:
            lexicon_module.SEED_PHRASES.update(saved)
        self.sentences_ = splitter
        self.span_model_: SpanModel | None = None

    analyze = HypeModel.analyze

    def explain(self, articles: list[Article], analyses: list[Analysis], **kw: Any
                ) -> list[Explained]:
        return explain(self, articles, analyses, **kw)  # type: ignore[arg-type]


def fit(train: list[Record], vocabulary: bool, splitter: SentenceSplitter,
        args: argparse.Namespace) -> SpansOnly:
    train = recipe_records(Recipe(), train)  # as training: lexicon, splitter and spans read them
    model = SpansOnly(train, vocabulary, splitter)
    model.span_model_ = fit_span_model(model.lexicon_, model.valence_, splitter, train,
                                       seed=args.seed, folds=args.folds, C=args.C,
                                       edge_ratio=args.edge_ratio, mask=model.identity_mask)
    return model


def oof_folds(records: list[Record], k: int, seed: int) -> list[tuple[list, list]]:
    """K (train, held-out) pairs: PTC articles in K folds by a hash of their group; the other
    corpora always train."""
    fold_of = {r.group: int(group_unit(r.group, seed + 1) * k) for r in records
               if r.corpus == PTC}
    return [([r for r in records if fold_of.get(r.group, -1) != f],
             [r for r in records if fold_of.get(r.group, -1) == f]) for f in range(k)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=os.environ.get("HYPEMETER_DATA_DIR"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--folds", type=int, default=None,
                    help="inner held-out folds of the span model's fit (its default if unset)")
    ap.add_argument("--edge-ratio", type=float, default=None,
                    help="span edge trimming (the span model's default if unset; 0: off)")
    ap.add_argument("--mode", choices=("split", "oof", "both"), default="both")
    ap.add_argument("--oof-folds", type=int, default=5)
    ap.add_argument("--vocabulary", choices=("on", "off", "both"), default="both",
                    help="the product vocabulary list (SEED_PHRASES) on, off or both")
    args = ap.parse_args()
    import inspect

    if args.folds is None:
        args.folds = inspect.signature(fit_span_model).parameters["folds"].default
    if args.edge_ratio is None:
        args.edge_ratio = inspect.signature(fit_span_model).parameters["edge_ratio"].default
    records, _ = load_corpora(args.data_dir, CORPORA, include_sample=True)
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    # Punkt learns abbreviations from raw text, never labels: one splitter for every fit
    splitter = SentenceSplitter.train(r.body for r in records if r.corpus == PTC)
    out["punkt_seconds"] = round(time.perf_counter() - t0, 1)
    for vocabulary in {"on": (True,), "off": (False,), "both": (False, True)}[args.vocabulary]:
        key = "vocabulary_on" if vocabulary else "vocabulary_off"
        res: dict[str, Any] = {}
        if args.mode in ("split", "both"):
            train, valid = group_split(records, valid_fraction=0.2, seed=args.seed)
            t0 = time.perf_counter()
            model = fit(train, vocabulary, splitter, args)
            fit_s = round(time.perf_counter() - t0, 1)
            res["split"] = {
                "span_model": span_metrics(model, valid), "fit_seconds": fit_s,
                "held_out_folds": model.span_model_.metrics}
        if args.mode in ("oof", "both"):
            pooled = SpanOutcomes()
            t0 = time.perf_counter()
            for train, held in oof_folds(records, args.oof_folds, args.seed):
                pooled.extend(span_outcomes(
                    fit(train, vocabulary, splitter, args), held))  # type: ignore[arg-type]
            res["oof"] = {"folds": args.oof_folds, "span_model": summarise(pooled),
                          "seconds": round(time.perf_counter() - t0, 1)}
        res["summary"] = {part: {k: res[part]["span_model"].get(k) for k in HEADLINE_FIGURES}
                          for part in ("split", "oof") if part in res}
        out[key] = res
        print(json.dumps({key: res["summary"]}), flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
