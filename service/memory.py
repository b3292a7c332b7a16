"""The worker's heap: how many malloc arenas it may use, and handing freed pages back.

A worker runs scoring, reloads and request parsing on several threads. glibc gives each
thread that meets a busy lock its own heap ("arena", up to 8 per core) and keeps the freed
pages of each one, so a threaded Python server's RSS creeps up with every reload (two models
briefly live at once) and every large request, although nothing is leaked. Limiting the
arenas (what ``MALLOC_ARENA_MAX`` does, applied here with ``mallopt`` because the worker is
already running) keeps the freed memory in fewer heaps that ``malloc_trim`` can return.
Measured with ``python benchmarks/soak.py`` (docs/benchmarks.md).

Both calls do nothing where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import weakref
from functools import cache
from typing import Any

logger = logging.getLogger("hypemeter.service")

M_ARENA_MAX = -8  # glibc's mallopt parameter number for the arena limit
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number for the mmap threshold


@cache
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    has_both = hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim")
    return libc if has_both else None


def limit_malloc_arenas(arenas: int) -> bool:
    """Let this process's threads share at most ``arenas`` malloc heaps (0: leave the C
    library's default). Call it early, before the worker's threads start. Returns whether the
    limit was applied."""
    libc = _libc()
    if arenas <= 0 or libc is None:
        return False
    applied = bool(libc.mallopt(M_ARENA_MAX, arenas))
    if not applied:
        logger.warning("could not limit malloc arenas to %d", arenas)
    return applied


def pin_mmap_threshold(nbytes: int) -> bool:
    """Serve every allocation of ``nbytes`` or more with its own ``mmap`` (0: leave glibc's
    default). glibc starts at 128 KB but raises the threshold (up to 32 MB) each time such a
    block is freed: after the first reload frees the old model's arrays, the next model's
    arrays land in the heap instead, among small long-lived objects, and their pages never
    go back. A pinned threshold keeps large blocks in mappings the OS takes back on free."""
    libc = _libc()
    if nbytes <= 0 or libc is None:
        return False
    applied = bool(libc.mallopt(M_MMAP_THRESHOLD, nbytes))
    if not applied:
        logger.warning("could not set the malloc mmap threshold to %d", nbytes)
    return applied


def trim_heap() -> None:
    """Hand the heap's free pages back to the OS (glibc's ``malloc_trim``; a few ms)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


async def trim_periodically(interval: float) -> None:
    """Background task: :func:`trim_heap` every ``interval`` seconds (0: never). Large
    requests (a 1 MB body, a batch) free their buffers into the heap, where glibc keeps
    them unless they sit at its top; a trim now and then returns them."""
    import anyio

    if interval <= 0 or _libc() is None:
        return
    while True:
        await anyio.sleep(interval)
        await anyio.to_thread.run_sync(trim_heap)


@cache
def freeze_startup_objects() -> None:
    """Take every object alive now (the imported modules, the app, its settings: what lives
    as long as the worker) out of the cyclic collector's sight (``gc.freeze``). Under load
    the collector's full passes otherwise walked all of them each time (about 150,000
    objects, 79 ms a pass, one every few seconds under wrk: about 3% of the worker's CPU,
    and each pass a pause of the event loop; 20 ms a pass after).

    Call it before the model loads: a model is swapped out and freed on reload, so its
    objects must stay collectable (:class:`RetiredModels`). Nothing is collected first (a
    full pass more at startup): what is garbage in a cycle by then stays. Once per process:
    a worker builds one app, the tests many (their earlier apps are not frozen each time)."""
    gc.freeze()


def release_memory() -> None:
    """A little after a swap (when the requests still running on the old model have finished):
    collect the old model's cycles and hand freed heap pages back to the OS (glibc's
    ``malloc_trim``), so that reloads back and forth do not grow the RSS."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


class RetiredModels:
    """Models swapped out but maybe still used by requests that started before the swap.

    :meth:`tick` (called about once a second) tells when every one of them is gone, which is
    when :func:`release_memory` can hand their pages back; calling it earlier frees nothing,
    and the pages freed later would stay with the process. Every few ticks it collects
    cycles, in case one holds an old model."""

    COLLECT_EVERY = 5

    def __init__(self) -> None:
        self._refs: list[weakref.ref[Any]] = []
        self._ticks = 0

    def add(self, model: Any) -> None:
        self._refs.append(weakref.ref(model))

    @property
    def waiting(self) -> bool:
        """Whether a swapped-out model is still to be released (then :meth:`tick` has work)."""
        return bool(self._refs)

    def __len__(self) -> int:
        return sum(1 for ref in self._refs if ref() is not None)

    def tick(self) -> bool:
        """True once all retired models are gone (then call :func:`release_memory`)."""
        if not self._refs:
            return False
        self._ticks += 1
        if len(self) and self._ticks % self.COLLECT_EVERY == 0:
            gc.collect()
        if len(self):
            return False
        self._refs.clear()
        self._ticks = 0
        return True
