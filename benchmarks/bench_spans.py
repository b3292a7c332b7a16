"""Span quality of the span model on held-out PTC articles (grouped by article, never trained
on), with the product vocabulary list off and on, and the lexicon spans of before for
comparison. Fits only what spans need (the phrase lexicon and the span model) on the same 80%
of groups ``hypemeter train`` uses, and scores the other 20%.

    python benchmarks/bench_spans.py --data-dir DIR [--seed 0] [--C 0.25] [--no-vocabulary]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.corpora.split import group_split
from hypemeter.training.span_metrics import span_metrics
from hypemeter.training.spans import fit_span_model

from hypemeter import lexicon as lexicon_module
from hypemeter.features import vader_valence
from hypemeter.lexicon import PhraseLexicon
from hypemeter.model import HypeModel
from hypemeter.sentences import SentenceSplitter

CORPORA = ["ptc_semeval2020", "hypo_troiano2018"]


def light_model(train: list, vocabulary: bool) -> HypeModel:
    saved = dict(lexicon_module.SEED_PHRASES)
    if not vocabulary:
        lexicon_module.SEED_PHRASES.clear()
    try:
        model = HypeModel()
        model.valence_ = dict(vader_valence())
        model.lexicon_ = PhraseLexicon().fit(train, model.valence_)
    finally:
        lexicon_module.SEED_PHRASES.update(saved)
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=os.environ.get("HYPEMETER_DATA_DIR"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--vocabulary", choices=("on", "off", "both"), default="both",
                    help="the product vocabulary list (SEED_PHRASES) on, off or both")
    args = ap.parse_args()
    records, _ = load_corpora(args.data_dir, CORPORA, include_sample=True)
    train, valid = group_split(records, valid_fraction=0.2, seed=args.seed)
    out: dict = {}
    t0 = time.perf_counter()
    splitter = SentenceSplitter.train(r.body for r in train if r.corpus == "ptc_semeval2020")
    out["punkt_seconds"] = round(time.perf_counter() - t0, 1)
    for vocabulary in {"on": (True,), "off": (False,), "both": (False, True)}[args.vocabulary]:
        model = light_model(train, vocabulary)
        model.sentences_ = splitter
        before = span_metrics(model, valid)  # no span model yet: the lexicon spans
        t0 = time.perf_counter()
        model.span_model_ = fit_span_model(model, train, seed=args.seed, folds=args.folds,
                                           C=args.C, splitter=splitter)
        fit_s = round(time.perf_counter() - t0, 1)
        after = span_metrics(model, valid)
        key = "vocabulary_on" if vocabulary else "vocabulary_off"
        out[key] = {"lexicon_spans": {k: before.get(k) for k in (
            "f1", "precision", "recall", "four_techniques")},
            "span_model": after, "fit_seconds": fit_s,
            "held_out_folds": model.span_model_.metrics}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
