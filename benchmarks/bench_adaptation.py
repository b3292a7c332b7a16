"""Adapting to a newsroom: how much k corrections from a new outlet lift ROC-AUC on the rest of it.

"A newsroom" is an article corpus left out of the base training, as in leave-one-corpus-out.
A fixed share of its labelled articles (``--test-fraction``) is the test set; from the rest
(the pool) k articles are sent as corrections, chosen at random (nested: the 50 contain the
25) or by ``hypemeter suggest`` run with the k = 0 model on the pool. Each k retrains and
measures ROC-AUC on the newsroom's test set, and on held-out groups (20%, the training split)
of every corpus outside the newsroom, which must not lose more than 0.01.

Corrections go through the real path (:mod:`feedback_path`): one ``hypemeter serve`` per run
(a free loopback port, a fresh SQLite ``HYPEMETER_DATABASE_URL`` in a temporary folder, the
``--models`` dir) receives each picked article as ``POST /v1/feedback`` with its one label; the
database is read back with the export ``hypemeter train --feedback`` uses (a temporary
``feedback.jsonl``, corpus ``own:feedback``) and the own-data loader; then the bench fits as
``hypemeter train`` does (the final fit; the bundle and its validation fit are skipped). Every
(newsroom, strategy, k) starts from an empty database: its corrections are deleted
(``DELETE /v1/feedback/{id}``) once read back.

``--adapt`` picks how the corrections are used (any of them, side by side): ``retrain`` (the
above), ``profile`` (a profile on a server serving the k = 0 model, through the real HTTP path:
``POST /v1/feedback`` with ``"profile"``, wait for its adapter, ``POST /v1/score/batch`` with
``"profile"``; :mod:`profile_path`), ``words`` (a TF-IDF + logistic regression on the k labels
alone) and ``base`` (the k = 0 model). Their curves are ``random``/``suggest`` (retrain),
``profile``/``profile-suggest``, ``words`` and ``base``.

Reduced setting for a shared machine (``--cap``): the headline-only corpora (Stop Clickbait,
Webis-17, LIAR, FakeNewsNet titles) are sampled down to ``--cap`` records per corpus and task;
the article corpora are kept whole.

    python benchmarks/bench_adaptation.py --data-dir "$HYPEMETER_DATA_DIR" [--newsrooms a,b,c]
        [--ks 0,25,50,100,200] [--strategies random,suggest] [--suggest-max-k K] [--cap 4000]
        [--adapt retrain,profile,words,base]
        [--param own_weight=3|none] [--models models] [--plot adaptation.png]
        [--out results.json] [--jobs 1]
    python benchmarks/bench_adaptation.py --data-dir X --merge a.json b.json --plot out.png
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_generalisation import FOLDS, _labelled
from feedback_path import REPO, FeedbackPath
from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.corpora.split import group_split
from hypemeter.training.stacking import fit_model
from hypemeter.training.suggest import pick
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from hypemeter.records.results import Article, Record
from hypemeter.scoring.model import HypeModel

NEWSROOMS = ("semeval2019_hyperpartisan", "ptc_semeval2020", "perez_rosas_2018")
LABEL_FIELD = {"sensationalism": "sensational", "spans": "sensational",
               "misinformation": "misinformation"}
SCORE_COLUMN = {"sensationalism": 0, "misinformation": 1}


# ------------------------------------------------------------------ the corrections path
def correction_rows(articles: list[Record], y: np.ndarray, task: str) -> list[dict[str, Any]]:
    """The newsroom's labelled articles as ``POST /v1/feedback`` bodies (one label each, as a
    person sends)."""
    return [
        {"id": r.id, "headline": r.headline, "body": r.body,
         "labels": {LABEL_FIELD[task]: int(label)}, "model_version": "base"}
        for r, label in zip(articles, y, strict=True)
    ]


# ------------------------------------------------------------------ data
def reduce(records: list[Record], cap: int, seed: int) -> list[Record]:
    """Sample headline-only corpora down to ``cap`` records per (corpus, task)."""
    if cap <= 0:
        return records
    buckets: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        if not r.body.strip():
            buckets[r.corpus, r.task].append(i)
    rng = np.random.default_rng(seed)
    drop: set[int] = set()
    for idx in buckets.values():
        if len(idx) > cap:
            drop.update(rng.choice(idx, len(idx) - cap, replace=False).tolist())
    return [r for i, r in enumerate(records) if i not in drop]


def outside_sets(valid: list[Record]) -> dict[str, tuple[list[Article], np.ndarray, int]]:
    """Held-out records per corpus and task: (articles, labels, score column)."""
    out: dict[str, tuple[list[Article], np.ndarray, int]] = {}
    for corpus in sorted({r.corpus for r in valid}):
        tasks = {r.task for r in valid if r.corpus == corpus}
        for task in sorted(tasks):
            if task == "spans":
                recs, y = _labelled(valid, corpus, task)
                col = 0
            else:
                recs = [r for r in valid if r.corpus == corpus and r.task == task
                        and r.label is not None]
                y = np.array([int(r.label or 0) for r in recs])
                col = SCORE_COLUMN[task]
            if len(set(y.tolist())) == 2:
                out[f"{corpus}/{task}"] = ([Article(r.headline, r.body) for r in recs], y, col)
    return out


def _auc(model: HypeModel, articles: list[Article], y: np.ndarray, col: int) -> float:
    return round(float(roc_auc_score(y, model.predict_scores(articles)[:, col])), 4)


def _fit_and_measure(
    train: list[Record], own: list[Record], test: tuple[list[Article], np.ndarray, int],
    outside: dict[str, tuple[list[Article], np.ndarray, int]], seed: int, params: dict[str, Any],
) -> tuple[HypeModel, float, dict[str, float], float]:
    t0 = time.perf_counter()
    model = fit_model([*train, *own], seed=seed, explanations=False, **params)
    return (model, _auc(model, *test), {k: _auc(model, *v) for k, v in outside.items()},
            round(time.perf_counter() - t0, 1))


# ------------------------------------------------------------------ one newsroom
def run_newsroom(args: argparse.Namespace, path: FeedbackPath, corpus: str, base: list[Record],
                 outside_valid: list[Record], params: dict[str, Any]) -> dict[str, Any]:
    task, col = FOLDS[corpus]
    newsroom, y = _labelled(base, corpus, task)
    groups = {r.group for r in base if r.corpus == corpus}
    train = [r for r in base if r.corpus != corpus and r.group not in groups]
    outside = outside_sets([r for r in outside_valid if r.corpus != corpus])
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(newsroom))
    n_test = round(args.test_fraction * len(newsroom))
    test_idx, pool_idx = order[:n_test], order[n_test:]
    test = ([Article(newsroom[i].headline, newsroom[i].body) for i in test_idx], y[test_idx], col)
    pool = [newsroom[i] for i in pool_idx]
    pool_y = y[pool_idx]
    ks = [k for k in args.ks if k <= len(pool)]
    log = {"task": task, "newsroom_articles": len(newsroom), "test": n_test,
           "test_positives": int(test[1].sum()), "pool": len(pool), "curves": {}}
    base_model, auc0, out0, secs = _fit_and_measure(train, [], test, outside, args.seed,
                                                    params)
    print(f"{corpus}: k=0 newsroom AUC {auc0:.3f} ({secs}s)", flush=True)
    log["k0"] = {"newsroom_roc_auc": auc0, "outside_roc_auc": out0}
    picks: dict[str, list[int]] = {"random": list(range(len(pool)))}
    if "suggest" in args.strategies:
        scores = base_model.predict_scores([Article(r.headline, r.body) for r in pool])
        chosen = pick([Article(r.headline, r.body) for r in pool], scores, max(ks),
                      task="sensationalism" if col == 0 else "misinformation")
        picks["suggest"] = [p.index for p in chosen]
    other_strategies(args, corpus, base_model, pool, pool_y, picks, ks, test, task, auc0, log)
    jobs = [(s, k) for s in args.strategies for k in ks
            if k > 0 and (s != "suggest" or k <= args.suggest_max_k)
            and "retrain" in args.adapt]
    # each (strategy, k) starts from an empty database (ingest deletes what it sent)
    owns = {(s, k): path.ingest(correction_rows([pool[i] for i in picks[s][:k]],
                                                pool_y[picks[s][:k]], task))
            for s, k in jobs}
    fitted = Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(_fit_and_measure)(train, owns[sk], test, outside, args.seed, params)
        for sk in jobs
    )
    # each result is printed (and written to --out) as soon as it is in: a long run that
    # is stopped keeps what it measured
    for (s, k), (_, auc, out, secs) in zip(jobs, fitted, strict=True):
        worst = min((out[n] - out0[n], n) for n in out)
        log["curves"].setdefault(s, {"0": auc0})[str(k)] = auc
        log.setdefault("outside_worst_change", {}).setdefault(s, {})[str(k)] = {
            "change": round(worst[0], 4), "set": worst[1]}
        log.setdefault("outside_roc_auc", {}).setdefault(s, {})[str(k)] = out
        print(f"{corpus}: {s:7s} k={k:3d} newsroom AUC {auc:.3f} ({auc - auc0:+.3f}); "
              f"worst outside change {worst[0]:+.3f} ({worst[1]}) ({secs}s)", flush=True)
        if args.out:
            args.out.write_text(json.dumps({corpus: log}, indent=2) + "\n", encoding="utf-8")
    return log


def other_strategies(args: argparse.Namespace, corpus: str, base_model: HypeModel,
                     pool: list[Record], pool_y: np.ndarray, picks: dict[str, list[int]],
                     ks: list[int], test: tuple[list[Article], np.ndarray, int], task: str,
                     auc0: float, log: dict[str, Any]) -> None:
    """The ``base``, ``words`` and ``profile`` curves (see the module doc)."""
    articles, y_test, _ = test
    label = LABEL_FIELD[task]
    if "base" in args.adapt:
        log["curves"]["base"] = {str(k): auc0 for k in ks}
    if "words" in args.adapt:
        curve: dict[str, float] = {}
        texts = [f"{a.headline}\n{a.body}" for a in articles]
        for k in ks[1:]:
            idx = picks["random"][:k]
            if len(set(pool_y[idx].tolist())) < 2:
                continue
            vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
            X = vec.fit_transform([f"{pool[i].headline}\n{pool[i].body}" for i in idx])
            clf = LogisticRegression(C=4.0, max_iter=2000).fit(X, pool_y[idx])
            curve[str(k)] = round(float(roc_auc_score(
                y_test, clf.predict_proba(vec.transform(texts))[:, 1])), 4)
            print(f"{corpus}: words   k={k:3d} newsroom AUC {curve[str(k)]:.3f}", flush=True)
        log["curves"]["words"] = curve
    if "profile" not in args.adapt:
        return
    from profile_path import ProfilePath

    with ProfilePath(base_model, args.models, f"bench-k0-{corpus}") as served:
        for pick_name in [p for p in ("random", "suggest") if p in picks
                          and p in args.strategies]:
            name = "profile" if pick_name == "random" else "profile-suggest"
            curve = {"0": auc0}
            for k in ks[1:]:
                if pick_name == "suggest" and k > args.suggest_max_k:
                    continue
                idx = picks[pick_name][:k]
                t0 = time.perf_counter()
                scores, head = served.scores(
                    correction_rows([pool[i] for i in idx], pool_y[idx], task), articles,
                    label)
                curve[str(k)] = round(float(roc_auc_score(y_test, scores)), 4)
                log.setdefault("profile_heads", {}).setdefault(name, {})[str(k)] = head
                print(f"{corpus}: {name} k={k:3d} newsroom AUC {curve[str(k)]:.3f} "
                      f"({curve[str(k)] - auc0:+.3f}; recipe {head['recipe']}, "
                      f"{time.perf_counter() - t0:.1f}s)", flush=True)
            log["curves"][name] = curve
    if args.out:
        args.out.write_text(json.dumps({corpus: log}, indent=2) + "\n", encoding="utf-8")


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (corpus, res), color in zip(results.items(), plt.cm.tab10.colors, strict=False):
        for strategy, curve in res["curves"].items():
            ks = sorted(int(k) for k in curve)
            ax.plot(ks, [curve[str(k)] for k in ks], marker="o", color=color,
                    linestyle="-" if strategy == "random" else "--",
                    label=f"{corpus} ({strategy})")
    ax.set_xlabel("corrections sent (k labelled newsroom articles)")
    ax.set_ylabel("ROC-AUC on the rest of the newsroom")
    ax.set_title("Adapting to a newsroom left out of training")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def labels_for(curve: dict[str, float], gain: float) -> float | None:
    """The fewest labels (linear between measured k) at which ``curve`` gains ``gain``."""
    ks = sorted(int(k) for k in curve)
    base = curve["0"]
    for lo, hi in pairwise(ks):
        g_lo, g_hi = curve[str(lo)] - base, curve[str(hi)] - base
        if g_hi >= gain > g_lo:
            return lo + (hi - lo) * (gain - g_lo) / (g_hi - g_lo)
    return 0.0 if gain <= 0 else None


def summary(results: dict[str, Any], at: int = 100) -> dict[str, Any]:
    """Mean gain per strategy and k; the worst change outside the newsroom; the labels
    ``suggest`` needs for the gain random picks reach at k = ``at``."""
    out: dict[str, Any] = {}
    for strategy in ("random", "suggest", "profile", "profile-suggest", "words", "base"):
        gains: dict[str, list[float]] = defaultdict(list)
        for res in results.values():
            curve = res["curves"].get(strategy, {})
            for k, auc in curve.items():
                if "0" in curve:
                    gains[k].append(auc - curve["0"])
        if gains:
            out[f"{strategy}_mean_gain"] = {k: round(float(np.mean(v)), 4)
                                            for k, v in sorted(gains.items(), key=lambda x:
                                                               int(x[0]))}
        worst = [(v["change"], f"{name} k={k}: {v['set']}") for name, res in results.items()
                 for k, v in res.get("outside_worst_change", {}).get(strategy, {}).items()]
        if worst:
            out[f"{strategy}_worst_outside_change"] = dict(zip(("change", "where"), min(worst),
                                                              strict=True))
    ratios = {}
    for name, res in results.items():
        random_curve, suggest_curve = res["curves"].get("random"), res["curves"].get("suggest")
        if random_curve and suggest_curve and str(at) in random_curve:
            need = labels_for(suggest_curve, random_curve[str(at)] - random_curve["0"])
            ratios[name] = None if need is None else round(need / at, 3)
    if ratios:
        out[f"suggest_labels_for_random_gain_at_{at}"] = ratios
    # the profile against the best of the others (retrain, words, base) per newsroom and k
    versus: dict[str, dict[str, float]] = {}
    for name, res in results.items():
        curves = res["curves"]
        if "profile" not in curves:
            continue
        for k, auc in curves["profile"].items():
            others = [curves[o][k] for o in ("random", "words", "base")
                      if k in curves.get(o, {})]
            if others and k != "0":
                versus.setdefault(name, {})[k] = round(auc - max(others), 4)
    if versus:
        out["profile_minus_best_other"] = versus
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--newsrooms", default=",".join(NEWSROOMS))
    ap.add_argument("--ks", default="0,25,50,100,200")
    ap.add_argument("--strategies", default="random,suggest")
    ap.add_argument("--adapt", default="retrain",
                    help="comma-separated: retrain, profile, words, base (see the module doc)")
    ap.add_argument("--suggest-max-k", type=int, default=10**9,
                    help="largest k for suggest picks (reduced setting: fewer fits)")
    ap.add_argument("--test-fraction", type=float, default=0.35)
    ap.add_argument("--cap", type=int, default=4000,
                    help="records per headline-only corpus and task (0: all; reduced setting)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="fits run side by side")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="a HypeModel or Recipe parameter (numeric, or none), repeatable")
    ap.add_argument("--models", type=Path, default=REPO / "models",
                    help="models dir the feedback server loads (it only stores corrections)")
    ap.add_argument("--plot", type=Path, default=Path("adaptation.png"))
    ap.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    ap.add_argument("--merge", type=Path, nargs="*", default=None, metavar="JSON",
                    help="no fitting: merge earlier --out files (one per newsroom), print the "
                    "summary and plot them")
    args = ap.parse_args()
    if args.merge:
        merged = {k: v for f in args.merge
                  for k, v in json.loads(f.read_text(encoding="utf-8")).items()
                  if k != "summary"}
        merged["summary"] = summary(merged)
        print(json.dumps(merged["summary"], indent=2))
        plot({k: v for k, v in merged.items() if k != "summary"}, args.plot)
        if args.out:
            args.out.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
        return
    args.ks = sorted({int(k) for k in args.ks.split(",")} | {0})
    args.strategies = [s for s in args.strategies.split(",") if s]
    args.adapt = [a for a in args.adapt.split(",") if a]
    params = {k: None if v.lower() == "none" else float(v)
              for k, v in (p.split("=", 1) for p in args.param)}
    records, _ = load_corpora(args.data_dir)
    base = reduce(records, args.cap, args.seed)
    base_train, outside_valid = group_split(base, valid_fraction=0.2, seed=args.seed)
    print(f"{len(records)} records, {len(base)} after --cap {args.cap}; "
          f"{len(outside_valid)} held out for the outside check", flush=True)
    newsroom_corpora = [c for c in args.newsrooms.split(",") if c]
    held = {r.group for r in outside_valid}
    results = {}
    with FeedbackPath(args.models) as path:  # one server and database for the whole run
        print(f"corrections go to {path.url}/v1/feedback (SQLite {path.database_url})",
              flush=True)
        for corpus in newsroom_corpora:
            # the newsroom's own articles all count (train side and held-out side alike)
            newsroom_side = [r for r in base if r.corpus == corpus]
            train_side = [r for r in base_train if r.corpus != corpus] + newsroom_side
            results[corpus] = run_newsroom(args, path, corpus, train_side,
                                           [r for r in outside_valid if r.group in held],
                                           params)
    results["summary"] = summary({k: v for k, v in results.items()})
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    plot({k: v for k, v in results.items() if k != "summary"}, args.plot)
    print(f"plot: {args.plot}", file=sys.stderr)


if __name__ == "__main__":
    main()
