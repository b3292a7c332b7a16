"""Leave-one-corpus-out validation: how the scores hold on a corpus the model never saw.

For each article corpus, fit the full model on every other corpus (records sharing a group
with the held-out corpus are dropped from training too) and report ROC-AUC on the held-out
corpus, next to a plain TF-IDF + logistic regression baseline trained on the same records.

    python benchmarks/bench_generalisation.py --data-dir "$HYPEMETER_DATA_DIR" [--only NAME ...]
        [--record]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.stacking import fit_model
from record import record

from hypemeter.records.results import Article, Record

# held-out corpus -> (task scored, score column, how to read its labels)
FOLDS: dict[str, tuple[str, int]] = {
    "semeval2019_hyperpartisan": ("sensationalism", 0),
    "ptc_semeval2020": ("spans", 0),
    "sample": ("sensationalism", 0),
    "perez_rosas_2018": ("misinformation", 1),
    "fakenewsnet": ("misinformation", 1),
}


def _labelled(records: list[Record], corpus: str, task: str) -> tuple[list[Record], np.ndarray]:
    out, ys = [], []
    for r in records:
        if r.corpus != corpus or r.task != task or not r.body.strip():
            continue
        if task == "spans":
            if r.target is None:
                continue
            y = int(r.target >= 0.05)  # articles whose loaded-language share is high
        elif r.label is None:
            continue
        else:
            y = int(r.label)
        out.append(r)
        ys.append(y)
    return out, np.array(ys)


def _baseline(train: list[Record], task: str, test: list[Record]) -> np.ndarray:
    want = "sensationalism" if task in ("sensationalism", "spans") else "misinformation"
    rows = [r for r in train if r.task == want and r.label is not None]
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=200_000, sublinear_tf=True)
    X = vec.fit_transform([f"{r.headline}\n{r.body}" for r in rows])
    clf = LogisticRegression(max_iter=2000, C=4.0).fit(X, [int(r.label or 0) for r in rows])
    return clf.predict_proba(vec.transform([f"{r.headline}\n{r.body}" for r in test]))[:, 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--record", action="store_true",
                    help="also write the figures into the model card")
    args = ap.parse_args()
    records, _ = load_corpora(args.data_dir)
    results = {}
    for corpus, (task, col) in FOLDS.items():
        if args.only and corpus not in args.only:
            continue
        test, y = _labelled(records, corpus, task)
        if len(set(y.tolist())) < 2:
            continue
        groups = {r.group for r in records if r.corpus == corpus}
        train = [r for r in records if r.corpus != corpus and r.group not in groups]
        t0 = time.perf_counter()
        model = fit_model(train, seed=args.seed, explanations=False)
        p = model.predict_scores([Article(r.headline, r.body, r.id) for r in test])[:, col]
        base = _baseline(train, task, test)
        results[corpus] = {
            "task": task, "n": len(test), "positives": int(y.sum()),
            "hypemeter_roc_auc": round(float(roc_auc_score(y, p)), 4),
            "tfidf_lr_baseline_roc_auc": round(float(roc_auc_score(y, base)), 4),
            "fit_seconds": round(time.perf_counter() - t0, 1),
        }
        print(f"held out {corpus:28s} {task:15s} n={len(test):4d} "
              f"hypemeter AUC={results[corpus]['hypemeter_roc_auc']:.3f} "
              f"baseline AUC={results[corpus]['tfidf_lr_baseline_roc_auc']:.3f}", flush=True)
    print(json.dumps(results, indent=2))
    if args.record:
        record(None, "leave_one_corpus_out", results)


if __name__ == "__main__":
    main()
