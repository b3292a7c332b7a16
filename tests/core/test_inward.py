"""Trimming a run to its kept tokens (:func:`hypemeter.spans.decoding._inward`, searched among
the kept positions) gives what one pass over every position gives (the reference below)."""

from __future__ import annotations

import numpy as np

from hypemeter.spans.decoding import _inward


def reference(keep: np.ndarray, starts: np.ndarray, ends: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    n = len(keep)
    at = np.arange(n)
    nxt = np.minimum.accumulate(np.where(keep, at, n)[::-1])[::-1]
    prv = np.maximum.accumulate(np.where(keep, at, -1))
    return nxt[starts], prv[ends]


def test_inward_is_the_pass_over_every_position() -> None:
    rng = np.random.default_rng(0)
    for _ in range(2000):
        n = int(rng.integers(1, 60))
        keep = rng.random(n) < rng.random()  # from none kept to all kept
        starts = np.sort(rng.integers(0, n, int(rng.integers(0, 8))))
        ends = np.minimum(starts + rng.integers(0, 5, len(starts)), n - 1)
        got, want = _inward(keep, starts, ends), reference(keep, starts, ends)
        assert [a.tolist() for a in got] == [b.tolist() for b in want], (keep, starts, ends)
