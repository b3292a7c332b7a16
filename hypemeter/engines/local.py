"""Local engines: in this process, or a pool of worker processes.

The pool's workers each load the bundle once, in their initializer, and verify it is the
same model (sha256) the parent resolved. Chunks are submitted through a bounded window and
their results yielded in submission order, so output order is input order and memory holds
at most ``window`` chunks.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from hypemeter.engines.base import BundleRef, ChunkResult, ScoreOptions, load_ref, process_chunk
from hypemeter.engines.partitions import Chunk
from hypemeter.errors import HypemeterError, InvalidInputError, message_of
from hypemeter.scoring.scorer import Scorer
from hypemeter.settings import core_settings


class InlineEngine:
    """Scores in the calling process."""

    name = "local"

    def __init__(self, scorer: Scorer, opts: ScoreOptions) -> None:
        self.scorer = scorer
        self.opts = opts
        self.workers = 1

    def map(self, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
        for chunk in chunks:
            yield process_chunk(self.scorer, chunk, self.opts)

    def close(self) -> None:
        pass


_WORKER_SCORER: Scorer | None = None
_WORKER_OPTS: ScoreOptions | None = None
_WORKER_ERROR: HypemeterError | None = None  # why this worker could not load the bundle


def _init_worker(ref: BundleRef, opts: ScoreOptions) -> None:
    global _WORKER_SCORER, _WORKER_OPTS, _WORKER_ERROR
    try:  # one process per core: no BLAS/OpenMP threads on top (as Dask's nanny does)
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        pass
    try:
        _WORKER_SCORER = load_ref(ref)
    except HypemeterError as exc:  # reported with the first chunk, not as a dead pool
        _WORKER_ERROR = exc
    _WORKER_OPTS = opts


def _worker_score(chunk: Chunk) -> ChunkResult:
    if _WORKER_ERROR is not None:
        raise type(_WORKER_ERROR)(_WORKER_ERROR.message)
    assert _WORKER_SCORER is not None and _WORKER_OPTS is not None, "worker not initialised"
    return process_chunk(_WORKER_SCORER, chunk, _WORKER_OPTS)


class WorkerFailedError(HypemeterError):
    code = "worker_failed"


def _ping() -> bool:
    return True


def start_method() -> str:
    """How to start pool workers: ``$HYPEMETER_START_METHOD`` if set; else ``fork`` from a
    single-threaded parent that has not used pyarrow (the fastest start: no second import of
    scikit-learn), else ``forkserver`` (safe from a threaded parent)."""
    methods = mp.get_all_start_methods()
    wanted = core_settings().start_method
    if wanted:
        if wanted not in methods:
            raise InvalidInputError(
                f"HYPEMETER_START_METHOD={wanted!r} is not one of {', '.join(methods)}")
        return wanted
    if "fork" in methods and threading.active_count() == 1 and "pyarrow" not in sys.modules:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _context(method: str) -> mp.context.BaseContext:
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["hypemeter.engines.local", "hypemeter.scoring.model"])  # type: ignore[attr-defined]
    return ctx


class ProcessPoolEngine:
    """``--jobs N``: N worker processes, each loading the bundle once."""

    name = "local"

    def __init__(self, ref: BundleRef, opts: ScoreOptions, jobs: int,
                 window: int | None = None) -> None:
        self.workers = jobs
        self.window = window or 2 * jobs + 2
        self.start_method = start_method()
        self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_context(self.start_method),
                                        initializer=_init_worker, initargs=(ref, opts))
        # Start the workers now (they load the bundle while this process reads input), and
        # with "fork" before this process starts any thread of its own.
        self._warm = self.pool.submit(_ping)

    def map(self, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
        pending: deque[Future[ChunkResult]] = deque()
        try:
            for chunk in chunks:
                pending.append(self.pool.submit(_worker_score, chunk))
                if len(pending) >= self.window:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
        finally:
            for fut in pending:
                fut.cancel()

    @staticmethod
    def _result(fut: Future[ChunkResult]) -> ChunkResult:
        try:
            return fut.result()
        except BrokenProcessPool as exc:
            raise WorkerFailedError(
                "a scoring worker process died (out of memory, or the bundle failed to load "
                f"in it): {message_of(exc)}"
            ) from exc

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
