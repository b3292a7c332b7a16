"""The FastAPI app factory: ``create_app(settings=None, scorer=None)``.

Run it with ``hypemeter serve`` (or ``uvicorn --factory hypemeter.service.app:create_app``).
The model is loaded at startup; if that fails the app still starts, ``/readyz`` says 503 and
the scoring routes answer 503 ``model_not_ready`` until ``POST /v1/admin/reload`` succeeds.

The routes live in :mod:`hypemeter.service.routers`, one module per area; this factory only
builds the shared state (settings, metrics, the model holder, the score handler), assembles the
routers and wraps them in the middleware.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from hypemeter.service.batching import set_switch_interval
from hypemeter.service.docs import router as docs_router
from hypemeter.service.error_handlers import install_error_handlers
from hypemeter.service.fast_score import FastScoreMiddleware
from hypemeter.service.handling import ScoreHandler
from hypemeter.service.key_guard import SharedKeyFailures
from hypemeter.service.logging import configure_logging
from hypemeter.service.memory import (
    freeze_startup_objects,
    limit_malloc_arenas,
    pin_mmap_threshold,
    trim_periodically,
)
from hypemeter.service.metrics import ServiceMetrics
from hypemeter.service.middleware import (
    BodyLimitMiddleware,
    RequestContextMiddleware,
)
from hypemeter.service.profile_runtime import ProfileRuntime
from hypemeter.service.rollout import Rollout
from hypemeter.service.routers import feedback as feedback_routes
from hypemeter.service.routers import keys, model, ops, page, profiles, score
from hypemeter.service.routers.model import report_files
from hypemeter.service.schemas import with_null_examples
from hypemeter.service.settings import Settings
from hypemeter.service.state import ModelHolder

from hypemeter import __version__
from hypemeter.errors import HypemeterError
from hypemeter.scoring.scorer import Scorer
from hypemeter.storage import FeedbackStore

__all__ = ["create_app", "report_files"]

logger = logging.getLogger("hypemeter.service")

API_DESCRIPTION = """\
Scores news text for **sensationalism** and **misinformation risk** (both probabilities in
[0, 1]) and points at the phrases behind the score.

Scores measure *style* (loaded, hyperbolic, clickbait-like language and the stylistic
fingerprints of fabricated stories); they are **not a fact-check**.

Every error has the shape `{"error": {"code": "...", "message": "...", "field": "..."}}`.
When the server has `HYPEMETER_API_KEY` set, the `/v1` routes need
`Authorization: Bearer <key>` or `X-API-Key: <key>`.
"""


def flat_routes(routes: Iterable[Any]) -> list[Any]:
    """The app's routes with included routers opened up (FastAPI keeps an included router as
    one entry), so the request middleware can name the route of a request rejected before
    routing. The routers carry no path prefix, so their routes' paths are the app's."""
    out: list[Any] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out.extend(flat_routes(inner.routes) if inner is not None else [route])
    return out


class RouteList:
    """:func:`flat_routes` of the app, made again only when the app's routes change (the
    middleware asks on every request)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._key: tuple[int, int] | None = None
        self._flat: list[Any] = []

    def __call__(self) -> Sequence[Any]:
        routes = self.app.router.routes
        key = (id(routes), len(routes))
        if key != self._key:
            self._flat, self._key = flat_routes(routes), key
        return self._flat


def create_app(settings: Settings | None = None, scorer: Scorer | None = None) -> FastAPI:
    """Build the app. ``scorer`` (tests) skips loading a bundle at startup."""
    settings = settings or Settings()
    configure_logging(settings.log_level)
    limit_malloc_arenas(settings.malloc_arenas)
    set_switch_interval(settings.switch_interval_ms)
    pin_mmap_threshold(settings.malloc_mmap_threshold)
    metrics = ServiceMetrics()
    holder = ModelHolder(
        settings.models_dir, on_swap=lambda m: metrics.set_model(m.name, m.version)
    )
    if scorer is not None:
        holder.install(scorer)
    rollout = Rollout(holder, settings.run_dir)
    db_url = settings.database_url.get_secret_value() if settings.database_url else None
    # no connection yet: the migrations run in lifespan
    store = FeedbackStore(db_url, timeout=settings.database_timeout)
    profile_runtime = ProfileRuntime(
        store, holder, cache_size=settings.profile_cache_size,
        cache_bytes=int(settings.profile_cache_mb * 2**20),
        poll_seconds=settings.profile_poll_seconds,
        debounce_seconds=settings.profile_debounce_seconds,
        max_wait_seconds=settings.profile_max_wait_seconds,
        key_cache_seconds=settings.profile_key_cache_seconds, fit=settings.profile_fits,
    )

    async def load_model() -> None:
        try:
            await anyio.to_thread.run_sync(rollout.startup, settings.model_version)
        except HypemeterError as exc:
            logger.error(
                "no model loaded at startup; /readyz stays 503 until a reload succeeds",
                extra={"fields": {"code": exc.code, "reason": exc.message}},
            )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        freeze_startup_objects()  # before the model loads (see its docstring)
        # the model and the database's schema, side by side; both before the first request
        async with anyio.create_task_group() as starting:
            if holder.current is None:
                starting.start_soon(load_model)
            starting.start_soon(feedback_routes.start_storage, store)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(rollout.watch)
            tasks.start_soon(profile_runtime.run)  # adapter versions, due refits
            tasks.start_soon(trim_periodically, settings.malloc_trim_interval)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                rollout.shutdown()
                metrics.worker_exit()
                store.close()

    app = FastAPI(
        title="hypemeter",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from docs_router, with assets served locally
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.holder = holder
    app.state.rollout = rollout
    app.state.feedback = store
    app.state.profiles = profile_runtime
    app.state.key_failures = SharedKeyFailures(store, settings.max_key_failures,
                                               settings.key_failure_window)

    install_error_handlers(app)
    score_handler = ScoreHandler(settings, metrics)
    app.include_router(score.build_router(settings, score_handler))
    app.include_router(model.build_router(settings))
    app.include_router(ops.build_router())
    app.include_router(feedback_routes.build_router(settings))
    app.include_router(profiles.build_router())
    app.include_router(keys.build_router())
    app.include_router(page.router)
    app.include_router(docs_router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_null_examples(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    routes = RouteList(app)
    app.add_middleware(FastScoreMiddleware, handler=score_handler, holder=holder, routes=routes,
                       profiles=profile_runtime)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        keep_text=settings.log_requests_text,
        timeout=settings.body_timeout,
        routes=routes,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Server-Timing"],
        )
    app.add_middleware(  # also the rollout check and the concurrency limit, in one layer
        RequestContextMiddleware,
        metrics=metrics,
        routes=routes,
        log_text=settings.log_requests_text,
        rollout=rollout,
        limit=settings.max_concurrency,
    )
    return app
