"""Local engines: in this process, or a pool of worker processes.

The pool's workers each load the bundle once, in their initializer, and verify it is the
same model (sha256) the parent resolved. Chunks are submitted through a bounded window and
their results yielded in submission order, so output order is input order and memory holds
at most ``window`` chunks.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from hypemeter.engines.base import BundleRef, ChunkResult, ScoreOptions, load_ref, process_chunk
from hypemeter.engines.partitions import Chunk
from hypemeter.errors import HypemeterError
from hypemeter.scoring import Scorer


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


def _init_worker(ref: BundleRef, opts: ScoreOptions) -> None:
    global _WORKER_SCORER, _WORKER_OPTS
    try:  # one process per core: no BLAS/OpenMP threads on top (as Dask's nanny does)
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        pass
    _WORKER_SCORER = load_ref(ref)
    _WORKER_OPTS = opts


def _worker_score(chunk: Chunk) -> ChunkResult:
    assert _WORKER_SCORER is not None and _WORKER_OPTS is not None, "worker not initialised"
    return process_chunk(_WORKER_SCORER, chunk, _WORKER_OPTS)


class WorkerFailedError(HypemeterError):
    code = "worker_failed"


def _context() -> mp.context.BaseContext:
    """``forkserver`` where there is one (no fork of a threaded parent), else ``spawn``."""
    try:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["hypemeter.engines.local", "hypemeter.model"])
        return ctx
    except ValueError:
        return mp.get_context("spawn")


class ProcessPoolEngine:
    """``--jobs N``: N worker processes, each loading the bundle once."""

    name = "local"

    def __init__(self, ref: BundleRef, opts: ScoreOptions, jobs: int,
                 window: int | None = None) -> None:
        self.workers = jobs
        self.window = window or 2 * jobs + 2
        self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_context(),
                                        initializer=_init_worker, initargs=(ref, opts))

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
                f"in it): {exc}"
            ) from exc

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
