"""The profile adapter's recipes offline, on a newsroom left out of the base model: ROC-AUC on
the newsroom's held-out articles after k labels, averaged over ``--draws`` random draws of the
k (bench_adaptation.py measures one draw through the real HTTP path; this measures the recipe
choice itself, without a server, so variants are cheap to compare).

The k = 0 model is fitted as in bench_adaptation.py (same split, ``--cap``, seed); then per
draw and k: ``adapter`` (:class:`ProfileAdapter` as shipped: recipes chosen out of fold),
``adapter-<recipe>`` (the adapter with only that recipe against the base score), ``words``
(bench_adaptation's TF-IDF + logistic regression on the k labels alone) and ``base``.

    python benchmarks/bench_profile_recipes.py --data-dir DIR
        [--newsrooms semeval2019_hyperpartisan,perez_rosas_2018] [--ks 25,50,100] [--draws 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_adaptation as ba
from bench_generalisation import FOLDS, _labelled
from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.corpora.split import group_split
from hypemeter.training.stacking import fit_model
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

import hypemeter.profiles.adapter as adapter_module
from hypemeter.profiles.adapter import HEADS, ProfileAdapter, roc_auc
from hypemeter.records.results import Article

FORCED = ("recalibrate", "words", "both")


def newsroom_scores(data_dir: Path, corpus: str, cap: int, seed: int) -> dict[str, Any]:
    records, _ = load_corpora(data_dir)
    base = ba.reduce(records, cap, seed)
    base_train, _ = group_split(base, valid_fraction=0.2, seed=seed)
    side = [r for r in base_train if r.corpus != corpus] + [r for r in base if r.corpus == corpus]
    task, col = FOLDS[corpus]
    newsroom, y = _labelled(side, corpus, task)
    groups = {r.group for r in side if r.corpus == corpus}
    train = [r for r in side if r.corpus != corpus and r.group not in groups]
    model = fit_model(train, seed=seed, explanations=False)
    scores = model.predict_scores([Article(r.headline, r.body) for r in newsroom])
    order = np.random.default_rng(seed).permutation(len(newsroom))
    return {"texts": [f"{r.headline}\n{r.body}" for r in newsroom], "y": y, "base": scores,
            "order": order, "n_test": round(0.35 * len(newsroom)), "col": col}


def adapted(d: dict[str, Any], tr: np.ndarray, te: np.ndarray, only: str | None
            ) -> tuple[np.ndarray, str]:
    head = HEADS[d["col"]]
    saved = adapter_module.RECIPES
    adapter_module.RECIPES = ("base", only) if only else saved
    try:
        ad = ProfileAdapter().fit([d["texts"][i] for i in tr], d["base"][tr],
                                  {head: list(d["y"][tr])})
    finally:
        adapter_module.RECIPES = saved
    fit = ad.heads_[head]
    return (ad.predict_scores([d["texts"][i] for i in te], d["base"][te])[:, d["col"]],
            fit.recipe if fit.active else "base")


def words_only(d: dict[str, Any], tr: np.ndarray, te: np.ndarray) -> np.ndarray:
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    X = vec.fit_transform([d["texts"][i] for i in tr])
    clf = LogisticRegression(C=4.0, max_iter=2000).fit(X, d["y"][tr])
    return clf.predict_proba(vec.transform([d["texts"][i] for i in te]))[:, 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--newsrooms", default="semeval2019_hyperpartisan,perez_rosas_2018")
    ap.add_argument("--ks", default="25,50,100")
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--cap", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    ks = [int(k) for k in args.ks.split(",")]
    out: dict[str, Any] = {}
    for corpus in [c for c in args.newsrooms.split(",") if c]:
        d = newsroom_scores(args.data_dir, corpus, args.cap, args.seed)
        y, col = d["y"], d["col"]
        test, pool = d["order"][:d["n_test"]], d["order"][d["n_test"]:]
        names = ["adapter", *(f"adapter-{r}" for r in FORCED), "words", "base"]
        aucs: dict[str, dict[int, list[float]]] = {n: {k: [] for k in ks} for n in names}
        chosen: dict[int, Counter[str]] = {k: Counter() for k in ks}
        for draw in range(args.draws):
            # draw 0: bench_adaptation's own picks (the pool's first k)
            picks = pool if draw == 0 else np.random.default_rng(100 + draw).permutation(pool)
            for k in ks:
                tr = picks[:k]
                scores, recipe = adapted(d, tr, test, None)
                chosen[k][recipe] += 1
                aucs["adapter"][k].append(roc_auc(y[test], scores))
                for r in FORCED:
                    aucs[f"adapter-{r}"][k].append(roc_auc(y[test], adapted(d, tr, test, r)[0]))
                aucs["words"][k].append(roc_auc(y[test], words_only(d, tr, test)))
                aucs["base"][k].append(roc_auc(y[test], d["base"][test, col]))
        out[corpus] = {n: {str(k): round(float(np.mean(v)), 4) for k, v in per.items()}
                       for n, per in aucs.items()}
        out[corpus]["adapter_recipes"] = {str(k): dict(c) for k, c in chosen.items()}
        for n in names:
            print(f"{corpus} {n:20s} " + "  ".join(
                f"k={k}: {out[corpus][n][str(k)]:.3f}" for k in ks), flush=True)
        print(f"{corpus} adapter's recipes: {out[corpus]['adapter_recipes']}", flush=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
