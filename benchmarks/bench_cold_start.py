"""Cold start, alone: ``hypemeter serve`` from start to ``/readyz`` 200, ``hypemeter score`` of one
article end to end (wall), and the ready server's resident memory, for one or more checkouts in
alternated rounds (the cold-start part of ``bench_peers.py``, without its peer and load runs).

Each ``--checkout DIR`` is run with ``PYTHONPATH=DIR`` through this interpreter's ``hypemeter``
(so two checkouts share one environment), on its own ``models/current`` unless ``--model`` is
given. Rounds go checkout by checkout, A B A B ..., so that a busy spell on a shared machine
falls on each alike; the median and range of each figure are printed, and the per-round ratios
of every checkout to the first.

    git worktree add /tmp/base <commit>
    python benchmarks/bench_cold_start.py --checkout /tmp/base --checkout . --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve_support import serve_command, start_serve

ARTICLE = {"headline": "SHOCKING: you won't believe what the council did next",
           "body": "The city council approved the budget on Tuesday after a late-night vote. "
                   "Critics called it an utter disaster that will destroy the town."}


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` and its children (the uvicorn worker), in MB."""
    total, found = 0, False
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    found = True
        except OSError:
            continue
    return round(total / 1024, 1) if found else None


def _children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(k) for k in kids] + [g for k in kids for g in _children(int(k))]


def one_round(checkout: Path, model: Path, workdir: Path) -> dict[str, float | None]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPEMETER_")}
    env["PYTHONPATH"] = str(checkout)
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(checkout)  # start_serve passes the environment on
    try:
        t0 = time.perf_counter()
        served = start_serve(model, workdir, log_name="cold.log")
        ready = time.perf_counter() - t0
        rss = rss_mb(served.proc.pid)
        served.stop()
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    t0 = time.perf_counter()
    subprocess.run([*serve_command(), "score", "--model", str(model), "-"],
                   input=json.dumps(ARTICLE) + "\n", text=True, capture_output=True, check=True,
                   env=env, cwd=workdir)
    return {"serve_to_ready_s": ready, "score_one_article_s": time.perf_counter() - t0,
            "ready_rss_mb": rss}


def summary(values: list[float]) -> dict[str, Any]:
    return {"median": round(statistics.median(values), 3),
            "range": [round(min(values), 3), round(max(values), 3)]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkout", type=Path, action="append", required=True,
                    help="a checkout to measure (repeat: the first is the reference)")
    ap.add_argument("--model", type=Path, default=None,
                    help="the bundle every checkout serves (default: each one's models/current)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    checkouts = [c.resolve() for c in args.checkout]
    figures: dict[str, dict[str, list[float]]] = {str(c): {} for c in checkouts}
    with tempfile.TemporaryDirectory(prefix="cold-") as tmp:
        for _ in range(args.rounds):
            for checkout in checkouts:
                model = args.model or checkout / "models" / "current"
                for key, value in one_round(checkout, model, Path(tmp)).items():
                    if value is not None:
                        figures[str(checkout)].setdefault(key, []).append(value)
    out: dict[str, Any] = {"rounds": args.rounds, "checkouts": {
        c: {k: summary(v) for k, v in f.items()} for c, f in figures.items()}}
    first = figures[str(checkouts[0])]
    out["ratio_to_first"] = {
        c: {k: summary([x / y for x, y in zip(v, first[k], strict=True)])
            for k, v in f.items() if len(first.get(k, [])) == len(v)}
        for c, f in figures.items() if c != str(checkouts[0])}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
