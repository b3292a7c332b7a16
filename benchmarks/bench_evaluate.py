"""Time ``hypemeter evaluate`` on 5,000 labelled generated articles, plots included.

Runs the real command in a subprocess (start-up, model load, reading, scoring with spans for
the rows that carry gold spans, metrics, five PNG figures, report.md).

    python benchmarks/bench_evaluate.py
    python benchmarks/bench_evaluate.py --n 500 --model models/current

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_batch import resolve_model  # noqa: E402
from make_articles import generate, write_rows  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--model", default=None, help="bundle or models dir (default: models/)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="keep the report here")
    args = ap.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="hypemeter-bench-eval-")
    work = Path(tmp.name)
    model = resolve_model(args.model, work)
    data = work / "labelled.jsonl"
    write_rows(generate(args.n, args.seed), data, "jsonl")
    out = args.out or work / "report"
    cmd = [sys.executable, "-m", "hypemeter", "evaluate", "--data", str(data), "--out", str(out),
           "--model", str(model), "--quiet"]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 3):
        raise SystemExit(f"evaluate failed ({proc.returncode}):\n{proc.stderr}")
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    b = metrics["binary"]
    figures = sorted(p.name for p in out.glob("*.png"))
    print(f"model: {model}")
    print(f"evaluate on {args.n} labelled articles ({data.stat().st_size / 1e6:.1f} MB): "
          f"{seconds:.1f}s total wall time including start-up and {len(figures)} plots "
          f"({args.n / seconds:.0f} articles/s)")
    print(f"figures: {', '.join(figures)}")
    print(f"ROC-AUC {b.get('roc_auc', float('nan')):.3f}, F1 {b.get('f1', float('nan')):.3f} "
          f"at {b['threshold']:.2f}, Brier {b['brier']:.4f}, ECE {b['ece']:.4f}; "
          f"spans F1 {metrics.get('spans', {}).get('f1', float('nan')):.3f}; "
          f"graded Spearman {metrics.get('graded', {}).get('spearman', float('nan')):.3f}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
