"""Held-back material from a known source: grouped cross-validation inside one corpus.

The independent evaluation holds back articles from the same sources as the training corpora
(new outlets and domains, not new corpora). This benchmark mimics that: the target corpus's
articles are split into K folds by group (outlet / domain / article pair); for each fold the
full model is fit on every other corpus plus the other folds, and scored on the held fold.
Reports ROC-AUC pooled over all held folds, next to two TF-IDF + logistic-regression
baselines fit on the same training records: one on every labelled record of the task
("same corpora") and one on full articles only. ``sensational_articles`` pools every corpus
of sensational and plainly written full articles (hyperpartisan, PTC, the sample, Pérez-Rosas
legitimate reports) and holds out groups across all of them.

    python benchmarks/bench_heldout.py --data-dir "$HYPEMETER_DATA_DIR"
        [--only fakenewsnet ...] [--folds 5] [--seed 0] [--jobs 2] [--param C_article=4]
        [--record]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_generalisation import FOLDS, _baseline, _labelled
from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.stacking import fit_model
from record import record

from hypemeter.records.results import Article, Record

BASE_LEARNERS = ("headline", "body", "claim", "article", "loaded_headline",
                 "sensational_article")


# A pooled held-out set: sensational vs plainly written full articles from every article corpus
# that labels them (PTC as in leave-one-corpus-out: loaded-language share >= 0.05), with the
# Pérez-Rosas crowd-sourced legitimate news reports as plain articles.
POOLED = "sensational_articles"
POOLED_PARTS = ("semeval2019_hyperpartisan", "ptc_semeval2020", "sample")


def _pooled(records: list[Record]) -> tuple[list[Record], np.ndarray]:
    out: list[Record] = []
    ys: list[np.ndarray] = []
    for corpus in POOLED_PARTS:
        part, y = _labelled(records, corpus, FOLDS[corpus][0])
        out += part
        ys.append(y)
    plain = [r for r in records if r.source == "perez_rosas_amt" and r.label == 0
             and r.headline.strip() and r.body.strip()]
    return out + plain, np.concatenate([*ys, np.zeros(len(plain), dtype=int)])


def _within(test: list[Record], y: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """ROC-AUC inside each pooled corpus that holds both kinds of article."""
    corpora = np.array([r.corpus for r in test])
    return {
        str(c): round(float(roc_auc_score(y[corpora == c], scores[corpora == c])), 4)
        for c in np.unique(corpora) if len(set(y[corpora == c].tolist())) == 2
    }


def _articles_only(records: list[Record]) -> list[Record]:
    return [r for r in records if r.body.strip() and r.headline.strip()]


def _fold(
    records: list[Record], test: list[Record], task: str, col: int, seed: int,
    params: dict[str, float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit on everything outside the held groups; score the held articles three ways, and
    return the base learners' logits too (to see which learner carries the fold)."""
    held = {r.group for r in test}
    train = [r for r in records if r.group not in held]
    model = fit_model(train, seed=seed, explanations=False, **params)
    articles = [Article(r.headline, r.body, r.id) for r in test]
    ours = model.predict_scores(articles)[:, col]
    logits = model.base_logits(articles)
    return (ours, _baseline(train, task, test), _baseline(_articles_only(train), task, test),
            logits)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--only", nargs="*",
                    default=["semeval2019_hyperpartisan", POOLED, "fakenewsnet"],
                    help=f"corpora to hold groups out of; {POOLED} pools the article corpora")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2, help="folds fitted in parallel")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="a HypeModel or Recipe parameter to try (numeric), repeatable")
    ap.add_argument("--record", action="store_true",
                    help="also write the figures into the model card")
    args = ap.parse_args()
    params = {k: float(v) for k, v in (p.split("=", 1) for p in args.param)}
    records, _ = load_corpora(args.data_dir)
    results = {}
    for corpus in args.only:
        if corpus == POOLED:
            task, col = "sensationalism", 0
            test_all, y = _pooled(records)
        else:
            task, col = FOLDS[corpus]
            test_all, y = _labelled(records, corpus, task)
        groups = np.array([r.group for r in test_all])
        ours = np.zeros(len(test_all))
        base = np.zeros(len(test_all))
        base_art = np.zeros(len(test_all))
        t0 = time.perf_counter()
        splits = list(GroupKFold(n_splits=args.folds).split(test_all, y, groups))
        fitted = Parallel(n_jobs=args.jobs)(
            delayed(_fold)(records, [test_all[i] for i in te], task, col, args.seed, params)
            for _, te in splits
        )
        logits = np.zeros((len(test_all), fitted[0][3].shape[1]))
        for (_, te), (o, b, ba, lg) in zip(splits, fitted, strict=True):
            ours[te], base[te], base_art[te], logits[te] = o, b, ba, lg
        results[corpus] = {
            "task": task, "n": len(test_all), "positives": int(y.sum()), "folds": args.folds,
            "hypemeter_roc_auc": round(float(roc_auc_score(y, ours)), 4),
            "tfidf_lr_same_corpora_roc_auc": round(float(roc_auc_score(y, base)), 4),
            "tfidf_lr_articles_only_roc_auc": round(float(roc_auc_score(y, base_art)), 4),
            "seconds": round(time.perf_counter() - t0, 1),
            "base_learner_roc_auc": {
                name: round(float(roc_auc_score(y, logits[:, k])), 4)
                for k, name in enumerate(BASE_LEARNERS)
            },
        }
        if corpus == POOLED:
            results[corpus]["hypemeter_roc_auc_within"] = _within(test_all, y, ours)
        print(json.dumps({corpus: results[corpus]}), flush=True)
    print(json.dumps(results, indent=2))
    if args.record:
        record(None, "unseen_outlets_in_corpus", results)


if __name__ == "__main__":
    main()
