"""In-process batch scoring of two checkouts of the code, rounds alternated.

A speed change moves batch throughput by a few percent, less than a shared machine's swings
between two runs. Here one worker process per checkout (``PYTHONPATH`` set to it) loads the
model and the articles once, then the two score the same batches in turns, round by round,
with and without explanations (the order swapped every round), so a busy spell falls on both.
Printed per mode: each side's median and best articles per CPU second of its process, and the
median and range of the per-round ratio new / old.

    git worktree add /tmp/base <commit>
    python benchmarks/bench_batch_versions.py /tmp/base . --rounds 16 --n 768
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from alternation import alternated_rounds, per_round_ratio

MODES = {"explain": True, "no_explain": False}


def worker(n: int, batch: int) -> None:
    """Score ``n`` generated articles in batches when asked on stdin; print articles/CPU s."""
    sys.path.insert(0, str(Path.cwd() / "benchmarks"))
    from make_articles import generate

    from hypemeter.bundles.bundle import load_bundle
    from hypemeter.paths import default_models_dir
    from hypemeter.records.results import Article
    from hypemeter.scoring.scorer import Scorer

    scorer = Scorer(load_bundle((default_models_dir() / "current").resolve()))
    articles = [Article(r["headline"], r["body"], r["id"]) for r in generate(n, seed=1)]
    scorer.score(articles[:batch], explain=True, sentences=True)  # fills the per-process caches
    print("ready", flush=True)
    for line in sys.stdin:
        explain = MODES[line.strip()]
        t0 = time.process_time()
        for i in range(0, n, batch):
            scorer.score(articles[i:i + batch], explain=explain)
        print(n / (time.process_time() - t0), flush=True)


def start(checkout: Path, n: int, batch: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--worker", "--n", str(n),
         "--batch", str(batch)], cwd=checkout, text=True, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(checkout)})
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old", type=Path, nargs="?", help="checkout of the old code")
    ap.add_argument("new", type=Path, nargs="?", help="checkout of the new code")
    ap.add_argument("--rounds", type=int, default=16)
    ap.add_argument("--n", type=int, default=768, help="articles a round")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.n, args.batch)
        return
    if args.old is None or args.new is None:
        ap.error("give the old and the new checkout")
    procs = {side: start(path.resolve(), args.n, args.batch)
             for side, path in (("old", args.old), ("new", args.new))}
    runs = alternated_rounds(procs, MODES, args.rounds)
    for mode in MODES:
        old, new = runs["old", mode], runs["new", mode]
        print(f"{mode}: articles per CPU s old median {statistics.median(old):.0f} (best "
              f"{max(old):.0f}), new {statistics.median(new):.0f} (best {max(new):.0f}); "
              f"{per_round_ratio(old, new)}")


if __name__ == "__main__":
    main()
