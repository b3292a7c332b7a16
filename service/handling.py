"""Request handling over the scorer, one layer for every score mode.

:class:`ScoreHandler` turns validated request items into core :class:`Article` objects
(limits, both-empty check), runs the model the way ``HYPEMETER_SCORE_MODE`` says and encodes
the results. The routers call :meth:`ScoreHandler.score_one` and :meth:`ScoreHandler.score_many`
and know nothing about modes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial

import anyio
from hypemeter.service.batching import MicroBatcher
from hypemeter.service.encoding import batch_response, result_response
from hypemeter.service.errors import PayloadTooLargeError
from hypemeter.service.metrics import ServiceMetrics
from hypemeter.service.schemas import ScoreRequest
from hypemeter.service.settings import Settings
from hypemeter.service.state import LoadedModel
from starlette.responses import Response

from hypemeter.errors import InvalidInputError, UnsupportedLanguageError
from hypemeter.records.results import Article, ScoreResult
from hypemeter.scoring.scorer import validate_article

# What a profile does to results (hypemeter.profiles.apply.adapt with its adapter bound):
# (results, articles, items) -> results. Cheap; runs where the results are made.
PostProcess = Callable[[Sequence[ScoreResult], Sequence[Article], Sequence[ScoreRequest]],
                       list[ScoreResult]]

MICRO_BATCH = 32  # at most this many single-article requests share one model call
ROUTE_SCORE = "/v1/score"
ROUTE_BATCH = "/v1/score/batch"


def to_article(item: ScoreRequest, max_chars: int, prefix: str = "") -> Article:
    """Check one request item (limits, both-empty) and turn it into a core Article."""
    headline = item.headline or ""
    body = item.body or ""
    for name, text in (("headline", headline), ("body", body)):
        if len(text) > max_chars:
            raise PayloadTooLargeError(
                f"{prefix}{name} has {len(text)} characters; the limit is {max_chars}",
                field=f"{prefix}{name}",
            )
    article = Article(headline=headline, body=body, id=item.id, language=item.language)
    try:
        validate_article(article)
    except InvalidInputError as exc:
        where = prefix.rstrip(".")
        message = f"{where}: {exc.message}" if where else exc.message
        raise InvalidInputError(message, field=f"{prefix}{exc.field or 'body'}") from None
    return article


def scored_or_refused(loaded: LoadedModel, result: ScoreResult) -> ScoreResult:
    """A single article's result, or the 422 ``unsupported_language`` it stands for."""
    if result.error is None:
        return result
    supported = loaded.scorer.gate.supported
    hint = f' (set "language": "{supported[0]}" to score it anyway)' if supported else ""
    raise UnsupportedLanguageError(result.error.message + hint, language=result.language,
                                   supported=supported)


def score_items(
    loaded: LoadedModel,
    items: Sequence[ScoreRequest],
    articles: Sequence[Article],
    metrics: ServiceMetrics,
    route: str,
) -> list[ScoreResult]:
    """Score in request order; items with different ``explain``/``max_spans``/``sentences``
    go in groups."""
    t0 = time.perf_counter()
    scorer = loaded.scorer
    first = items[0]
    key = (first.explain, first.max_spans, first.sentences)
    if all((it.explain, it.max_spans, it.sentences) == key for it in items):
        results = scorer.score(articles, explain=first.explain, max_spans=first.max_spans,
                               sentences=first.sentences)
    else:
        groups: dict[tuple[bool, int | None, bool], list[int]] = {}
        for i, it in enumerate(items):
            groups.setdefault((it.explain, it.max_spans, it.sentences), []).append(i)
        slots: list[ScoreResult | None] = [None] * len(items)
        for (explain, max_spans, sentences), idx in groups.items():
            part = scorer.score([articles[i] for i in idx], explain=explain, max_spans=max_spans,
                                sentences=sentences)
            for i, res in zip(idx, part, strict=True):
                slots[i] = res
        results = [r for r in slots if r is not None]
    metrics.observe_results(route, results, time.perf_counter() - t0)
    return results


class ScoreHandler:
    """Scores requests as ``settings.score_mode`` says (see :mod:`hypemeter.service.settings`).

    * ``batch``: single articles go through a :class:`MicroBatcher`; batches run in a thread;
      at most ``score_threads`` model calls at once.
    * ``thread``: every request runs in a thread, at most ``score_threads`` at once.
    * ``sync``: every request runs on the shared thread pool (Starlette's, 40 threads), as a
      plain ``def`` endpoint would.
    """

    def __init__(self, settings: Settings, metrics: ServiceMetrics) -> None:
        self.max_chars = settings.max_field_chars
        self.metrics = metrics
        # The model is CPU-bound and holds the GIL most of the time: more threads than this per
        # worker add latency and working memory, not throughput. Excess requests wait here.
        self.limiter: anyio.CapacityLimiter | None = (
            None if settings.score_mode == "sync" else anyio.CapacityLimiter(settings.score_threads)
        )
        self.batcher: MicroBatcher | None = None
        if settings.score_mode == "batch" and self.limiter is not None:
            self.batcher = MicroBatcher(
                self.limiter,
                lambda loaded, items, articles: score_items(
                    loaded, items, articles, metrics, ROUTE_SCORE
                ),
                max_batch=MICRO_BATCH,
            )

    async def score_one(self, loaded: LoadedModel, item: ScoreRequest,
                        post: PostProcess | None = None) -> Response:
        """One article, scored by ``loaded`` (the model the request took at its start);
        ``post`` (a profile) adapts the result."""
        if self.batcher is not None:
            article = to_article(item, self.max_chars)
            result = await self.batcher.submit(loaded, item, article)
            if post is not None:
                result = post([result], [article], [item])[0]
            return result_response(scored_or_refused(loaded, result))
        return await self._in_thread(partial(self._one, loaded, item, post))

    async def score_many(self, loaded: LoadedModel, items: Sequence[ScoreRequest],
                         post: PostProcess | None = None) -> Response:
        """A batch, scored in request order by ``loaded``."""
        return await self._in_thread(partial(self._many, loaded, items, post))

    async def _in_thread(self, work: Callable[[], Response]) -> Response:
        return await anyio.to_thread.run_sync(work, limiter=self.limiter)

    def _one(self, loaded: LoadedModel, item: ScoreRequest, post: PostProcess | None = None
             ) -> Response:
        article = to_article(item, self.max_chars)
        results = score_items(loaded, [item], [article], self.metrics, ROUTE_SCORE)
        if post is not None:
            results = post(results, [article], [item])
        return result_response(scored_or_refused(loaded, results[0]))

    def _many(self, loaded: LoadedModel, items: Sequence[ScoreRequest],
              post: PostProcess | None = None) -> Response:
        articles = [to_article(it, self.max_chars, f"items.{i}.") for i, it in enumerate(items)]
        results = score_items(loaded, items, articles, self.metrics, ROUTE_BATCH)
        if post is not None:
            results = post(results, articles, items)
        return batch_response(results)
