"""Profiles: how long a fit takes, and how long a correction takes to reach every worker.

1. **Fit time**: :class:`hypemeter.profiles.adapter.ProfileAdapter` fitted on ``--labels``
   labelled articles (a corpus's articles, or the project's own written ones without
   ``--data-dir``), base scores precomputed: CPU seconds and wall seconds, one thread (BLAS
   and OpenMP pinned to 1), median of ``--repeats``.
2. **Propagation**: two ``hypemeter serve --workers 2`` on one database (a SQLite file in a
   temporary folder, or ``--database`` e.g. a PostgreSQL URL). For each round, a profile gets
   ``k`` corrections through server A; the clock starts at the k-th ``POST /v1/feedback`` and
   stops when every probe request (``--probes`` per server, spread over both workers of
   each) scores with the new adapter version on both servers. Prints the distribution.

    python benchmarks/bench_profiles.py [--data-dir DIR] [--labels 300] [--rounds 10]
        [--database URL] [--models models]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # one core, before numpy is imported

import httpx  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "service"))

from profile_texts import newsroom  # noqa: E402
from serve_support import start_serve  # noqa: E402

from hypemeter.paths import REPO_ROOT  # noqa: E402
from hypemeter.profiles.adapter import ProfileAdapter, article_text  # noqa: E402
from hypemeter.records.results import Article  # noqa: E402
from hypemeter.scoring.scorer import load_scorer  # noqa: E402

ADMIN_KEY = "bench-profiles-admin"
ADMIN = {"X-API-Key": ADMIN_KEY}


def corpus_articles(data_dir: Path | None, n: int) -> tuple[list[Article], np.ndarray]:
    if data_dir is None:
        arts = newsroom(n)
        return ([Article(a["headline"], a["body"]) for a in arts],
                np.array([a["label"] for a in arts]))
    from bench_generalisation import _labelled
    from hypemeter.training.corpora.registry import load_corpora

    records, _ = load_corpora(data_dir, ["semeval2019_hyperpartisan"], include_sample=False)
    recs, y = _labelled(records, "semeval2019_hyperpartisan", "sensationalism")
    idx = np.random.default_rng(0).permutation(len(recs))[:n]
    return [Article(recs[i].headline, recs[i].body) for i in idx], y[idx]


def fit_time(models: Path, data_dir: Path | None, labels: int, repeats: int) -> dict[str, Any]:
    articles, y = corpus_articles(data_dir, labels)
    scorer = load_scorer(models)
    results = scorer.score(articles, explain=False)
    kept = [i for i, r in enumerate(results) if r.scores is not None]  # not: refused
    articles, y = [articles[i] for i in kept], y[kept]
    base = np.array([[results[i].scores["sensationalism"],  # type: ignore[index]
                      results[i].scores["misinformation_risk"]] for i in kept])  # type: ignore[index]
    texts = [article_text(a.headline, a.body) for a in articles]
    # both heads labelled: the label, and a noisy copy of it as the second head's
    rng = np.random.default_rng(1)
    second = np.where(rng.random(len(y)) < 0.2, 1 - y, y)
    cpu, wall = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        adapter = ProfileAdapter().fit(texts, base, {"sensationalism": list(y),
                                                     "misinformation_risk": list(second)})
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    t0 = time.perf_counter()
    for _ in range(20):
        adapter.predict_scores(texts[:1], base[:1])
    return {"labels": labels, "chars_per_article": int(np.mean([len(t) for t in texts])),
            "fit_cpu_seconds_median": round(statistics.median(cpu), 3),
            "fit_wall_seconds_median": round(statistics.median(wall), 3),
            "apply_one_article_ms": round((time.perf_counter() - t0) / 20 * 1000, 3),
            "recipes": {h: f.recipe if f.active else "base" for h, f in adapter.heads_.items()}}


def versions(url: str, name: str, art: dict[str, Any], probes: int) -> set[Any]:
    seen = set()
    for _ in range(probes):
        r = httpx.post(f"{url}/v1/score", json={"headline": art["headline"], "body": art["body"],
                                                "profile": name, "explain": False}, timeout=30)
        r.raise_for_status()
        seen.add(r.json()["model"]["adapter_version"])
    return seen


def propagation(models: Path, database: str | None, rounds: int, k: int,
                probes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-profiles-") as tmp:
        url = database or f"sqlite:///{Path(tmp) / 'feedback.db'}"
        env = {"HYPEMETER_DATABASE_URL": url, "HYPEMETER_ADMIN_KEY": ADMIN_KEY}
        servers = [start_serve(models, Path(tmp), env, workers=2, log_name=f"s{i}.log")
                   for i in range(2)]
        a, b = (s.url for s in servers)
        seconds: list[float] = []
        try:
            for r in range(rounds):
                name = f"bench-{os.getpid()}-{r}"
                httpx.post(f"{a}/v1/profiles", json={"name": name}, headers=ADMIN,
                           timeout=30).raise_for_status()
                arts = newsroom(k, seed=r)
                probe = newsroom(2, seed=100 + r)[0]
                for s in (a, b):  # both servers hold the profile (no adapter) in their LRU
                    versions(s, name, probe, probes)
                for art in arts:
                    httpx.post(f"{a}/v1/feedback", timeout=30, json={
                        "headline": art["headline"], "body": art["body"], "profile": name,
                        "labels": {"sensational": art["label"]}}).raise_for_status()
                t0 = time.perf_counter()
                target = None  # the version fitted on all k corrections
                while True:
                    if target is None:
                        state = httpx.get(f"{a}/v1/profiles/{name}", headers=ADMIN,
                                          timeout=30).json()
                        adapter = state.get("adapter")
                        if adapter and adapter["heads"]["sensationalism"]["labels"] == k:
                            target = adapter["version"]
                    if target is not None and versions(a, name, probe, probes) == {target} \
                            == versions(b, name, probe, probes):
                        break
                    if time.perf_counter() - t0 > 60:
                        raise RuntimeError(f"round {r}: no adapter after 60 s")
                seconds.append(time.perf_counter() - t0)
                print(f"round {r}: {seconds[-1]:.2f} s", flush=True)
        finally:
            for s in servers:
                s.stop()
    q = np.quantile(seconds, [0.0, 0.5, 0.9, 1.0])
    return {"database": "postgresql" if database else "sqlite", "rounds": rounds,
            "corrections_per_round": k, "probes_per_server": probes,
            "seconds": [round(s, 2) for s in seconds],
            "min_median_p90_max": [round(float(v), 2) for v in q]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=Path, default=REPO_ROOT / "models")
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--labels", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--k", type=int, default=30, help="corrections per propagation round")
    ap.add_argument("--probes", type=int, default=6)
    ap.add_argument("--database", default=None, help="default: a temporary SQLite file")
    ap.add_argument("--skip-propagation", action="store_true")
    args = ap.parse_args()
    out: dict[str, Any] = {"fit": fit_time(args.models, args.data_dir, args.labels,
                                           args.repeats)}
    print(json.dumps(out["fit"]), flush=True)
    if not args.skip_propagation:
        out["propagation"] = propagation(args.models, args.database, args.rounds, args.k,
                                         args.probes)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
