"""Peak memory of ``hypemeter score`` on a file holding one very long line.

Writes a JSONL file of ``--records`` small articles with one line of ``--line-mb`` MB (a body
of repeated words) in the middle, and the same file without that line; runs ``hypemeter
score`` on each as a subprocess and prints the peak resident memory of each run (the
children's ``ru_maxrss``). The long line is over the field limit (``HYPEMETER_MAX_FIELD_CHARS``)
and, from a few MB on, over the line limit derived from it: it is reported and dropped in
blocks, so the two peaks should be about the same.

    python benchmarks/bench_long_line.py                 # a 50 MB line
    python benchmarks/bench_long_line.py --line-mb 200 --jobs 2

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_input(path: Path, records: int, line_mb: float) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(records):
            if line_mb and i == records // 2:
                words = int(line_mb * 1e6 / 5)
                fh.write('{"id": "long", "headline": "x", "body": "' + "word " * words + '"}\n')
            fh.write(json.dumps({"id": f"r{i}", "headline": f"Council meets on day {i}",
                                 "body": "The budget vote is on Tuesday. " * 20}) + "\n")


def peak_rss_mb(cmd: list[str]) -> tuple[float, float, int, str]:
    """Run ``cmd``; its peak RSS in MB (the largest of it and its waited-for children),
    seconds, exit status and the last line of its stderr."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    tail = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    if after <= before:
        print("  (peak not above an earlier run's: run each case in a fresh process for an "
              "exact figure)", file=sys.stderr)
    return after / 1024, seconds, proc.returncode, tail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--line-mb", type=float, default=50.0)
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--model", default=None, help="bundle or models dir (default: the default)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hypemeter-longline-") as tmp:
        work = Path(tmp)
        with_line = work / "with-long-line.jsonl"
        without = work / "without.jsonl"
        write_input(without, args.records, 0)
        write_input(with_line, args.records, args.line_mb)
        base = [sys.executable, "-m", "hypemeter", "score", "-q", "--jobs", str(args.jobs),
                "-o", str(work / "out.jsonl")]
        if args.model:
            base += ["--model", args.model]
        # the smaller input first: ru_maxrss of children is a running maximum
        for label, path in (("without the long line", without),
                            (f"with one {args.line_mb:g} MB line", with_line)):
            mb, seconds, status, tail = peak_rss_mb([*base, str(path)])
            print(f"{label}: {path.stat().st_size / 1e6:.1f} MB input, peak RSS {mb:.0f} MB, "
                  f"{seconds:.1f}s, exit {status}; {tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
