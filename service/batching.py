"""Micro-batching: concurrent single-article requests share one model call.

Most of a model call's cost for one article is fixed per call (feature hashing, sparse-matrix
assembly, input validation in every scikit-learn estimator), so scoring 16 articles in one
call costs a fraction of 16 calls. The batcher gives a request no extra wait when the model
is idle (it is scored at once, alone); while the model is busy, requests that arrive queue up
and the next free model slot takes them all (up to ``max_batch``) in one call.

Jobs are only ever batched with jobs that grabbed the same :class:`LoadedModel` at their start
(so a reload never moves a request to another model) and the same ``explain``/``max_spans``
(the grouping in :func:`hypemeter.service.handling.score_items` handles mixed options within
one call).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import anyio
from hypemeter.service.schemas import ScoreRequest
from hypemeter.service.state import LoadedModel

from hypemeter.records.results import Article, ScoreResult
from hypemeter.scoring.scorer import isolate_failures


def set_switch_interval(ms: float) -> None:
    """How long a thread holding the GIL keeps it once another asks (0: leave Python's 5 ms).

    A model call holds the GIL most of its time; the event loop, which parses, answers and
    hands the model its next micro-batch, waits that long each time it needs the GIL back. At
    1 ms a worker answered 6-12% more ``/v1/score`` requests than at 5 (three alternated runs,
    docs/benchmarks.md); at 0.5 ms the extra switches cost more than they gave. The interval
    is the process's: an application that embeds the service app gets it too.
    """
    if ms > 0:
        sys.setswitchinterval(ms / 1000.0)


ScoreFn = Callable[[LoadedModel, Sequence[ScoreRequest], Sequence[Article]], list[ScoreResult]]


@dataclass(eq=False)
class _Job:
    loaded: LoadedModel
    item: ScoreRequest
    article: Article
    future: asyncio.Future[ScoreResult] = field(repr=False)


class MicroBatcher:
    """Runs at most ``limiter.total_tokens`` model calls at once, each on up to ``max_batch``
    queued single-article requests."""

    def __init__(self, limiter: anyio.CapacityLimiter, score: ScoreFn, max_batch: int = 32):
        self.limiter = limiter
        self.score = score
        self.max_batch = max_batch
        self._pending: list[_Job] = []
        self._drainers = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, loaded: LoadedModel, item: ScoreRequest, article: Article
                     ) -> ScoreResult:
        loop = asyncio.get_running_loop()
        job = _Job(loaded, item, article, loop.create_future())
        self._pending.append(job)
        if self._drainers < self.limiter.total_tokens:
            self._drainers += 1
            task = loop.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await job.future

    def _take(self) -> list[_Job]:
        """The oldest job and every queued job that can share its model call."""
        first = self._pending[0]
        batch: list[_Job] = []
        rest: list[_Job] = []
        for job in self._pending:
            if job.loaded is first.loaded and len(batch) < self.max_batch:
                batch.append(job)
            else:
                rest.append(job)
        self._pending = rest
        return batch

    async def _drain(self) -> None:
        try:
            while self._pending:
                async with self.limiter:  # wait for a model slot; jobs pile up meanwhile
                    if not self._pending:
                        break
                    jobs = self._take()
                    await self._run(jobs)
        finally:
            self._drainers -= 1

    async def _run(self, jobs: list[_Job]) -> None:
        live = [job for job in jobs if not job.future.done()]  # skip cancelled requests
        if not live:
            return
        outcomes = await anyio.to_thread.run_sync(self._score_jobs, live)
        for job, outcome in zip(live, outcomes, strict=True):
            if job.future.done():
                continue
            if isinstance(outcome, BaseException):
                job.future.set_exception(outcome)
            else:
                job.future.set_result(outcome)

    def _score_jobs(self, jobs: list[_Job]) -> list[ScoreResult | Exception]:
        """One call for all jobs; if it fails, one call per job, so that an article the
        model chokes on fails only its own request."""
        return isolate_failures(
            lambda js: self.score(js[0].loaded, [j.item for j in js], [j.article for j in js]),
            jobs,
        )
