"""Profiles at scale: scoring throughput and worker RSS with ``--profiles`` profiles in use
(default 1,000, ``--corrections`` each, default 20) against scoring without a profile.

Set-up (not measured): a SQLite database in a temporary folder (or ``--database``) gets the
profiles and their corrections through :class:`hypemeter.storage.FeedbackStore` (the store
``POST /v1/feedback`` writes with), and each profile's adapter is fitted in this process by
the fit step ``hypemeter profiles fit`` runs (take the lease, fit, store). Then one
``hypemeter serve --workers 2`` on that database (``HYPEMETER_PROFILE_FITS=false``: it only
serves; ``HYPEMETER_PROFILE_CACHE_SIZE=--cache-size``) is measured in alternating rounds:

* ``none``: ``POST /v1/score`` without a profile;
* ``profiles``: the same requests, each naming a profile drawn at random from all of them
  (so with 1,000 profiles and an LRU of 256 most requests load an adapter from the database).

Each round sends ``--requests`` requests from ``--concurrency`` threads; the script prints
req/s per round, the medians and ranges, the ratio ``profiles / none`` (the issue's goal:
>= 0.90), and the resident memory of the server's workers (sum and per worker) after the
warm-up without profiles and after every round: bounded by the LRU, it stops growing once
every worker's LRU is full.

``--warm N`` first sends N requests per profile (spread over the workers by the kernel), so
with an LRU that holds every profile the rounds measure the hit path; without it (the default,
0) a round with more profiles than the LRU holds measures mostly misses (a database read and
the adapter's checks per request).

``--baseline-env PATH`` also starts a second server on the same database with
``PYTHONPATH=PATH`` (another checkout of the code: old against new) and alternates the rounds of
both servers (one server busy at a time); each server's ratio is printed, and the ratio of
their ratios. The figures of one run are the only ones to compare.

    python benchmarks/bench_profiles_scale.py [--profiles 1000] [--corrections 20]
        [--cache-size N] [--warm 0] [--rounds 5] [--requests 400] [--concurrency 8] [--explain]
        [--models models] [--database URL] [--baseline-env PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "service"))

from profile_texts import newsroom
from serve_support import Served, start_serve

from hypemeter.paths import REPO_ROOT
from hypemeter.profiles.fitting import fit_claimed
from hypemeter.scoring.scorer import load_scorer
from hypemeter.storage import FeedbackStore
from hypemeter.storage.profiles import ProfileStore
from hypemeter.storage.records import NewFeedback


def populate(database: str, models: Path, n: int, corrections: int) -> dict[str, Any]:
    """``n`` profiles with ``corrections`` labelled corrections each, every one fitted."""
    store = FeedbackStore(database)
    profiles = ProfileStore(store)
    scorer = load_scorer(models)
    t0 = time.perf_counter()
    active = 0
    fit_seconds: list[float] = []
    try:
        for i in range(n):
            name = f"newsroom-{i:04d}"
            profiles.create(name)
            for art in newsroom(corrections, seed=i):
                store.add(NewFeedback(art["headline"], art["body"], sensational=art["label"],
                                      profile=name))
            claim = profiles.claim(name, "bench", ttl=600)
            assert claim is not None
            outcome = fit_claimed(profiles, scorer, claim)
            fit_seconds.append(outcome.seconds)
            active += outcome.active
            if (i + 1) % 100 == 0:
                print(f"  {i + 1} profiles stored and fitted ({time.perf_counter() - t0:.0f}s)",
                      flush=True)
    finally:
        store.close()
    return {"profiles": n, "corrections_each": corrections, "adapters_active": active,
            "fit_seconds_median": round(statistics.median(fit_seconds), 3),
            "setup_seconds": round(time.perf_counter() - t0, 1)}


def worker_rss(served: Served) -> list[int]:
    """Resident bytes of each worker process of the server (its children)."""
    parent = psutil.Process(served.proc.pid)
    out = []
    for child in parent.children(recursive=True):
        try:
            if "multiprocessing" in " ".join(child.cmdline()) and "resource_tracker" in \
                    " ".join(child.cmdline()):
                continue
            out.append(child.memory_info().rss)
        except psutil.Error:
            continue
    return sorted(out)


def one_round(url: str, bodies: list[dict[str, Any]], concurrency: int) -> float:
    """req/s of sending every body (each once) from ``concurrency`` threads."""
    chunks = [bodies[i::concurrency] for i in range(concurrency)]

    def run(chunk: list[dict[str, Any]]) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            for body in chunk:
                r = http.post("/v1/score", json=body)
                if r.status_code != 200:
                    raise RuntimeError(f"{r.status_code}: {r.text[:300]}")

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(run, chunks))
    return len(bodies) / (time.perf_counter() - t0)


def bodies_for(kind: str, n: int, n_profiles: int, explain: bool, seed: int
               ) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    arts = newsroom(64, seed=10_000 + seed)
    out = []
    for i in range(n):
        art = arts[i % len(arts)]
        body: dict[str, Any] = {"headline": art["headline"], "body": art["body"],
                                "explain": explain}
        if kind == "profiles":
            body["profile"] = f"newsroom-{rng.randrange(n_profiles):04d}"
        out.append(body)
    return out


def mib(values: list[int]) -> list[float]:
    return [round(v / 2**20, 1) for v in values]


def server_env(args: argparse.Namespace, database: str) -> dict[str, str]:
    env = {"HYPEMETER_DATABASE_URL": database, "HYPEMETER_PROFILE_FITS": "false",
           "HYPEMETER_LOG_LEVEL": "warning"}
    if args.cache_size is not None:
        env["HYPEMETER_PROFILE_CACHE_SIZE"] = str(args.cache_size)
    return env


def compare(args: argparse.Namespace) -> None:
    """This code and ``--baseline-env``'s on one database, rounds alternated."""
    with tempfile.TemporaryDirectory(prefix="bench-profiles-scale-") as tmp:
        database = args.database or f"sqlite:///{Path(tmp) / 'feedback.db'}"
        print(f"set-up: {args.profiles} profiles x {args.corrections} corrections", flush=True)
        print(json.dumps(populate(database, args.models, args.profiles, args.corrections)),
              flush=True)
        servers = {"new": start_serve(args.models, Path(tmp), server_env(args, database),
                                      workers=args.workers, log_name="new-{port}.log"),
                   "old": start_serve(args.models, Path(tmp),
                                      {**server_env(args, database),
                                       "PYTHONPATH": args.baseline_env},
                                      workers=args.workers, log_name="old-{port}.log")}
        rates: dict[str, dict[str, list[float]]] = {s: {"none": [], "profiles": []}
                                                    for s in servers}
        rss: dict[str, list[float]] = {}
        try:
            for served in servers.values():
                one_round(served.url, bodies_for("none", 100, args.profiles, args.explain, -1),
                          args.concurrency)
            combos = [(s, k) for s in servers for k in ("none", "profiles")]
            for r in range(args.rounds):
                order = combos[r % 4:] + combos[:r % 4]
                for name, kind in order:
                    rate = one_round(servers[name].url,
                                     bodies_for(kind, args.requests, args.profiles,
                                                args.explain, r), args.concurrency)
                    rates[name][kind].append(rate)
                    print(f"round {r} {name} {kind:8s}: {rate:7.1f} req/s", flush=True)
            for name, served in servers.items():
                rss[name] = mib(worker_rss(served))
        finally:
            for served in servers.values():
                served.stop()
    out: dict[str, Any] = {"rounds": args.rounds, "requests_per_round": args.requests,
                           "cache_size": args.cache_size, "worker_rss_mib_at_end": rss}
    for name, per in rates.items():
        paired = [p / n for p, n in zip(per["profiles"], per["none"], strict=True)]
        out[name] = {"req_per_s_median": {k: round(statistics.median(v), 1)
                                          for k, v in per.items()},
                     "ratio_of_medians": round(statistics.median(per["profiles"])
                                               / statistics.median(per["none"]), 3),
                     "ratio_per_round": [round(x, 3) for x in paired],
                     "ratio_per_round_median": round(statistics.median(paired), 3)}
    print(json.dumps(out, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=Path, default=REPO_ROOT / "models")
    ap.add_argument("--database", default=None, help="default: a temporary SQLite file")
    ap.add_argument("--profiles", type=int, default=1000)
    ap.add_argument("--corrections", type=int, default=20)
    ap.add_argument("--cache-size", type=int, default=None,
                    help="HYPEMETER_PROFILE_CACHE_SIZE (default: the server's own)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--warm", type=int, default=0,
                    help="requests per profile before the rounds (fills the LRUs)")
    ap.add_argument("--explain", action="store_true",
                    help="ask for the phrases too (default: scores only)")
    ap.add_argument("--baseline-env", default=None,
                    help="PYTHONPATH of a second server to alternate with (old code)")
    args = ap.parse_args()
    if args.baseline_env:
        compare(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-profiles-scale-") as tmp:
        database = args.database or f"sqlite:///{Path(tmp) / 'feedback.db'}"
        print(f"set-up: {args.profiles} profiles x {args.corrections} corrections", flush=True)
        setup = populate(database, args.models, args.profiles, args.corrections)
        print(json.dumps(setup), flush=True)
        served = start_serve(args.models, Path(tmp), server_env(args, database),
                             workers=args.workers)
        rates: dict[str, list[float]] = {"none": [], "profiles": []}
        rss: dict[str, Any] = {}
        try:
            one_round(served.url, bodies_for("none", 100, args.profiles, args.explain, -1),
                      args.concurrency)  # warm-up, no profile
            rss["after_warmup_no_profile"] = mib(worker_rss(served))
            if args.warm:
                warm = [{"headline": "Kestrel desk: a warm-up", "body": "The council met.",
                         "explain": False, "profile": f"newsroom-{i:04d}"}
                        for i in range(args.profiles) for _ in range(args.warm)]
                random.Random(0).shuffle(warm)
                one_round(served.url, warm, args.concurrency)
                rss["after_profile_warmup"] = mib(worker_rss(served))
            for r in range(args.rounds):
                order = ("none", "profiles") if r % 2 == 0 else ("profiles", "none")
                for kind in order:
                    rate = one_round(served.url, bodies_for(kind, args.requests, args.profiles,
                                                            args.explain, r),
                                     args.concurrency)
                    rates[kind].append(rate)
                    rss[f"after_round_{r}_{kind}"] = mib(worker_rss(served))
                    print(f"round {r} {kind:8s}: {rate:7.1f} req/s; worker RSS MiB "
                          f"{rss[f'after_round_{r}_{kind}']}", flush=True)
        finally:
            served.stop()
    med = {k: statistics.median(v) for k, v in rates.items()}
    paired = [p / n for p, n in zip(rates["profiles"], rates["none"], strict=True)]
    out = {
        "setup": setup, "cache_size": args.cache_size, "warm": args.warm, "workers": args.workers,
        "explain": args.explain, "requests_per_round": args.requests,
        "concurrency": args.concurrency,
        "req_per_s": {k: {"median": round(med[k], 1), "min": round(min(v), 1),
                          "max": round(max(v), 1)} for k, v in rates.items()},
        "ratio_profiles_over_none": {"of_medians": round(med["profiles"] / med["none"], 3),
                                     "per_round_median": round(statistics.median(paired), 3),
                                     "per_round_range": [round(min(paired), 3),
                                                         round(max(paired), 3)]},
        "worker_rss_mib_sum": {k: round(float(np.sum(v)), 1) for k, v in rss.items()},
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
