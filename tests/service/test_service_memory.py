"""The worker's heap (hypemeter.service.memory): with the arena limit a burst of threads shares
at most that many heaps (without it, glibc gives them one each), and a swapped-out model's
memory is released once the last reference to it is gone."""

from __future__ import annotations

import gc
import platform
import subprocess
import sys

import pytest
from hypemeter.service.memory import _libc, limit_malloc_arenas

needs_glibc = pytest.mark.skipif(
    platform.system() != "Linux" or _libc() is None, reason="glibc's mallopt is needed"
)

BURST = """
import ctypes, ctypes.util, sys, threading
from hypemeter.service.memory import limit_malloc_arenas
limit_malloc_arenas(int(sys.argv[1]))
start = threading.Barrier(12)
def work():
    start.wait()
    for _ in range(200):
        [bytearray(4096) for _ in range(20)]
threads = [threading.Thread(target=work) for _ in range(12)]
for t in threads: t.start()
for t in threads: t.join()
sys.stderr.flush()
ctypes.CDLL(ctypes.util.find_library("c")).malloc_stats()
"""


def arenas_after_burst(limit: int) -> int:
    run = subprocess.run([sys.executable, "-c", BURST, str(limit)], capture_output=True,
                         text=True, timeout=60, check=True)
    return sum(1 for line in run.stderr.splitlines() if line.startswith("Arena "))


@needs_glibc
def test_limit_keeps_threads_in_few_heaps() -> None:
    assert arenas_after_burst(2) <= 2


@needs_glibc
def test_without_limit_threads_get_their_own_heaps() -> None:
    # shows the burst does create heaps, so the test above can fail
    assert arenas_after_burst(0) > 2


def test_zero_leaves_the_default() -> None:
    assert limit_malloc_arenas(0) is False


class _Model:
    pass


def test_retired_models_are_due_once_every_one_is_gone() -> None:
    from hypemeter.service.memory import RetiredModels

    retired = RetiredModels()
    assert retired.tick() is False  # nothing retired: nothing to release
    first, second = _Model(), _Model()
    retired.add(first)
    retired.add(second)
    del first
    assert retired.tick() is False  # a request may still use the second one
    del second
    assert retired.tick() is True
    assert retired.tick() is False  # released once


def test_retired_model_held_in_a_cycle_is_collected() -> None:
    from hypemeter.service.memory import RetiredModels

    gc.disable()  # only the ticks' own collection may free the cycle
    try:
        retired = RetiredModels()
        model = _Model()
        model.self = model  # type: ignore[attr-defined]
        retired.add(model)
        del model
        due = [retired.tick() for _ in range(RetiredModels.COLLECT_EVERY)]
    finally:
        gc.enable()
    assert due[-1] is True and not any(due[:-1])
