"""Batch-scoring throughput and memory: 1 process, ``--jobs 2``, Dask LocalCluster (2 workers).

Runs ``hypemeter score`` as a subprocess for each engine on the same generated articles (3-4 KB
each), so the times include start-up (model load, pool or cluster start), and checks that every
engine wrote the same bytes after sorting by id. Then scores one large input file and reports the
peak memory of the whole process tree (parent + workers), polled with psutil.

    python benchmarks/bench_batch.py                      # 20,000 articles, 200 MB file
    python benchmarks/bench_batch.py --n 2000 --big-mb 20 # a quick check
    python benchmarks/bench_batch.py --model models/current --big-jobs 1,2

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from make_articles import generate, write_rows  # noqa: E402


def resolve_model(path: str | None, workdir: Path) -> Path:
    """The bundle to benchmark: ``--model``, else the default models dir, else a bundle
    trained on the project's sample corpus."""
    from hypemeter.bundles.bundle import load_bundle
    from hypemeter.errors import HypemeterError
    from hypemeter.paths import default_models_dir

    candidate = Path(path) if path else default_models_dir()
    try:
        return load_bundle(candidate).path
    except HypemeterError as exc:
        if path:
            raise SystemExit(f"cannot load {path}: {exc.message}") from exc
    print("no usable model bundle; training one on the sample corpus...", file=sys.stderr)
    from hypemeter.training.train import train_bundle

    empty = workdir / "no-corpora"
    empty.mkdir(exist_ok=True)
    return train_bundle(data_dir=empty, out_dir=workdir / "models", include_sample=True,
                        corpora=[], version="bench", log=lambda _m: None)


class TreeMemory:
    """Polls the memory of a process and all its descendants; keeps the highest sums seen.

    RSS counts pages shared between processes (forked workers, the forkserver) once per
    process, so the RSS sum over-states a pool's footprint; PSS splits shared pages among
    their users and adds up to what the tree really holds.
    """

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_sum = 0
        self.peak_pss = 0
        self.peak_single = 0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = pss = 0
            for proc in procs:
                try:
                    with proc.oneshot():
                        info = proc.memory_full_info()
                        times = proc.cpu_times()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                self.cpu[proc.pid] = times.user + times.system
                total += info.rss
                pss += getattr(info, "pss", info.rss)
                self.peak_single = max(self.peak_single, info.rss)
            self.peak_sum = max(self.peak_sum, total)
            self.peak_pss = max(self.peak_pss, pss)
            self._stop.wait(self.interval)

    @property
    def cpu_seconds(self) -> float:
        """CPU time of every process seen in the tree (up to its last poll)."""
        return sum(self.cpu.values())

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_score(model: Path, inp: Path, out: Path, extra: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "hypemeter", "score", str(inp), "-o", str(out),
           "--model", str(model), "--quiet", *extra]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with TreeMemory(proc.pid) as mem:
        _, err = proc.communicate()
    seconds = time.perf_counter() - started
    cpu = mem.cpu_seconds
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return {"seconds": seconds, "peak_tree_mb": mem.peak_sum / 2**20,
            "peak_pss_mb": mem.peak_pss / 2**20, "load": load, "cpu_seconds": cpu,
            "peak_process_mb": mem.peak_single / 2**20, "stderr": err.strip()}


def sorted_bytes(path: Path) -> bytes:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.sort(key=lambda ln: json.loads(ln)["id"])
    return ("\n".join(lines) + "\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000,
                    help="articles for the throughput runs (0 skips them)")
    ap.add_argument("--big-mb", type=float, default=200.0,
                    help="size of the file for the memory run (0 skips it)")
    ap.add_argument("--big-jobs", default="1,2",
                    help="comma-separated --jobs values for the memory run")
    ap.add_argument("--jobs", type=int, default=2, help="workers for the parallel runs")
    ap.add_argument("--model", default=None, help="bundle or models dir (default: models/)")
    ap.add_argument("--workdir", type=Path, default=None, help="keep generated files here")
    ap.add_argument("--no-explain", action="store_true", help="score without spans")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each engine this many times (interleaved) and keep the fastest: "
                    "use on a machine shared with other work")
    args = ap.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="hypemeter-bench-")
    work = args.workdir or Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    model = resolve_model(args.model, work)
    extra = ["--no-explain"] if args.no_explain else []
    print(f"model: {model}")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average "
          f"{os.getloadavg()[0]:.1f} (other work on the machine skews the speed-ups)")

    if args.n > 0:
        data = work / f"articles-{args.n}.jsonl"
        t0 = time.perf_counter()
        write_rows(generate(args.n, args.seed, labels=False), data, "jsonl")
        size = data.stat().st_size
        print(f"input: {args.n} articles, {size / 1e6:.1f} MB "
              f"({size / args.n / 1e3:.2f} KB/article incl. JSON), generated in "
              f"{time.perf_counter() - t0:.1f}s")

        runs = {
            "1 process": [],
            f"--jobs {args.jobs}": ["--jobs", str(args.jobs)],
            f"dask LocalCluster {args.jobs} workers": ["--engine", "dask",
                                                       "--jobs", str(args.jobs)],
        }
        results: dict[str, dict[str, Any]] = {}
        outputs: dict[str, Path] = {}
        for rep in range(args.repeat):  # engines interleaved; the fastest run of each counts
            for name, flags in runs.items():
                out = work / f"out-{list(runs).index(name)}.jsonl"
                res = run_score(model, data, out, [*flags, *extra])
                res["rate"] = args.n / res["seconds"]
                if name not in results or res["seconds"] < results[name]["seconds"]:
                    results[name] = res
                outputs[name] = out
                if rep < args.repeat - 1:
                    print(f"  (run {rep + 1}: {name} {res['seconds']:.1f}s, load "
                          f"{res['load']:.1f})", flush=True)
        print(f"\n{'engine':<32}{'seconds':>9}{'articles/s':>12}{'speed-up':>10}"
              f"{'CPU s':>8}{'RSS MB':>8}{'PSS MB':>8}{'load':>6}")
        for name, res in results.items():
            base = results["1 process"]["rate"]
            print(f"{name:<32}{res['seconds']:>9.1f}{res['rate']:>12.1f}"
                  f"{res['rate'] / base:>9.2f}x{res['cpu_seconds']:>8.1f}"
                  f"{res['peak_tree_mb']:>8.0f}{res['peak_pss_mb']:>8.0f}{res['load']:>6.1f}",
                  flush=True)
        base = results["1 process"]
        for name, res in results.items():
            if name != "1 process":
                speedup = res["rate"] / base["rate"]
                bound = base["cpu_seconds"] / res["cpu_seconds"] * args.jobs
                print(f"{name}: wall-clock speed-up {speedup:.2f}x on {args.jobs} workers "
                      f"(efficiency {speedup / args.jobs:.0%}); CPU-time bound "
                      f"{bound:.2f}x (1-process CPU s / parallel CPU s x {args.jobs}: the speed-up "
                      "on otherwise idle cores)")
        reference = sorted_bytes(outputs["1 process"])
        same = {name: sorted_bytes(path) == reference for name, path in outputs.items()}
        print("same output bytes after sorting by id: "
              + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in same.items()))
        for path in outputs.values():
            path.unlink()
        data.unlink()

    if args.big_mb > 0:
        big = work / f"big-{args.big_mb:g}mb.jsonl"
        t0 = time.perf_counter()
        n_big = write_rows(generate(None, args.seed + 1, max_total_bytes=int(args.big_mb * 1e6),
                                    labels=False), big, "jsonl")
        print(f"\nbig input: {big.stat().st_size / 1e6:.1f} MB, {n_big} articles "
              f"(generated in {time.perf_counter() - t0:.1f}s)")
        for jobs in [int(j) for j in args.big_jobs.split(",") if j.strip()]:
            out = work / "big-out.jsonl"
            flags = ["--jobs", str(jobs)] if jobs > 1 else []
            res = run_score(model, big, out, [*flags, *extra])
            print(f"--jobs {jobs}: {res['seconds']:.1f}s ({n_big / res['seconds']:.0f} "
                  f"articles/s), peak memory of the process tree: RSS sum "
                  f"{res['peak_tree_mb']:.0f} MB, PSS sum {res['peak_pss_mb']:.0f} MB "
                  f"(largest single process RSS {res['peak_process_mb']:.0f} MB); output "
                  f"{out.stat().st_size / 1e6:.0f} MB", flush=True)
            out.unlink()
        big.unlink()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
