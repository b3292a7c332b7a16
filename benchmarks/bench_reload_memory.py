"""RSS of each worker of ``hypemeter serve --workers 2`` across a run of reloads under light
scoring load: does memory come back after each swap (a high-water mark) or grow per reload
(a leak)? Prints each worker's RSS at start and 3 s after every reload.

    python benchmarks/bench_reload_memory.py [--reloads 12] [--malloc-arenas N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import soak
from make_articles import generate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reloads", type=int, default=12)
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--malloc-arenas", type=int, default=None)
    ap.add_argument("--mmap-threshold", type=int, default=None,
                    help="the server's HYPEMETER_MALLOC_MMAP_THRESHOLD (0: glibc's sliding one)")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hypemeter-reload-mem-"))
    proc = None
    stop = threading.Event()
    try:
        models = soak.make_models(workdir)
        proc, url = soak.start_server(models, workdir, argparse.Namespace(
            slow_timeout=2.0, malloc_arenas=args.malloc_arenas,
            mmap_threshold=args.mmap_threshold))
        articles = [{"headline": a["headline"], "body": a["body"]} for a in generate(48, seed=7)]

        def score() -> None:
            with httpx.Client(base_url=url, timeout=60) as http:
                i = 0
                while not stop.is_set():
                    http.post("/v1/score", json={**articles[i % 48], "sentences": True})
                    i += 1

        threads = [threading.Thread(target=score) for _ in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(5)
        workers = soak.workers(proc)

        def rss() -> list[int]:
            return [round(p.memory_info().rss / 2**20) for p in workers]

        def anon() -> list[int]:
            """RssAnon: the heap's share of RSS, which the kernel does not take back under
            memory pressure (file-backed pages, e.g. the libraries' code, it does)."""
            out = []
            for p in workers:
                with open(f"/proc/{p.pid}/status", encoding="ascii") as fh:
                    kb = next(int(line.split()[1]) for line in fh if line.startswith("RssAnon"))
                out.append(round(kb / 1024))
            return out

        rows = [{"after": "start", "rss_mb": rss(), "anon_mb": anon()}]
        print(json.dumps(rows[-1]), flush=True)
        admin = httpx.Client(base_url=url, timeout=60, headers={"X-API-Key": soak.ADMIN_KEY})
        current = "soak-a"
        for n in range(1, args.reloads + 1):
            current = "soak-b" if current == "soak-a" else "soak-a"
            status = admin.post("/v1/admin/reload", json={"version": current}).status_code
            time.sleep(3)
            rows.append({"after": f"reload {n}", "status": status, "rss_mb": rss(),
                         "anon_mb": anon()})
            print(json.dumps(rows[-1]), flush=True)
        for i, (first, last) in enumerate(zip(rows[0]["rss_mb"], rows[-1]["rss_mb"],
                                              strict=True)):
            a0, a1 = rows[0]["anon_mb"][i], rows[-1]["anon_mb"][i]
            print(f"worker {i}: RSS {first} -> {last} MB ({100 * (last - first) / first:+.1f}%), "
                  f"RssAnon {a0} -> {a1} MB ({100 * (a1 - a0) / a0:+.1f}%)", flush=True)
    finally:
        stop.set()
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
