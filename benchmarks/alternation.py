"""Old against new code in worker processes, rounds alternated (shared by the ``--versions``
modes of the benchmarks): each worker answers one figure a line for each mode named on its
stdin; round ``r`` asks old then new when ``r`` is even, new then old when odd, so a busy spell
of a shared machine falls on both alike."""

from __future__ import annotations

import statistics
import subprocess
from collections.abc import Sequence


def alternated_rounds(procs: dict[str, subprocess.Popen[str]], modes: Sequence[str],
                      rounds: int) -> dict[tuple[str, str], list[float]]:
    """Each mode's figures from the ``"old"`` and ``"new"`` workers, ``rounds`` each; the
    workers are closed and waited for at the end."""
    runs: dict[tuple[str, str], list[float]] = {(s, m): [] for s in procs for m in modes}
    for r in range(rounds):
        for mode in modes:
            for side in ("old", "new") if r % 2 == 0 else ("new", "old"):
                proc = procs[side]
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(mode + "\n")
                proc.stdin.flush()
                runs[side, mode].append(float(proc.stdout.readline()))
    for proc in procs.values():
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()
    return runs


def per_round_ratio(old: list[float], new: list[float]) -> str:
    """``new / old per round median R [min-max] over N rounds``."""
    ratios = [b / a for a, b in zip(old, new, strict=True)]
    return (f"new / old per round median {statistics.median(ratios):.3f} "
            f"[{min(ratios):.3f}-{max(ratios):.3f}] over {len(ratios)} rounds")
