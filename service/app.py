"""The FastAPI app factory: ``create_app(settings=None, scorer=None)``.

Run it with ``hypemeter serve`` (or ``uvicorn --factory hypemeter.service.app:create_app``).
The model is loaded at startup; if that fails the app still starts, ``/readyz`` says 503 and
the scoring routes answer 503 ``model_not_ready`` until ``POST /v1/admin/reload`` succeeds.
"""

from __future__ import annotations

import logging
import mimetypes
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import anyio
from fastapi import Body, Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from hypemeter.service.auth import require_admin_key, require_api_key
from hypemeter.service.batching import MicroBatcher
from hypemeter.service.encoding import batch_response, result_response
from hypemeter.service.errors import install_error_handlers
from hypemeter.service.logging import configure_logging
from hypemeter.service.metrics import METRICS_CONTENT_TYPE, ServiceMetrics
from hypemeter.service.middleware import BodyLimitMiddleware, RequestContextMiddleware
from hypemeter.service.schemas import (
    ErrorResponse,
    HealthResponse,
    ModelCardResponse,
    ReadyResponse,
    ReloadRequest,
    ReloadResponse,
    ScoreBatchResponse,
    ScoreRequest,
    ScoreResponse,
    batch_request_model,
)
from hypemeter.service.settings import Settings
from hypemeter.service.state import LoadedModel, ModelHolder
from hypemeter.service.web import router as web_router
from starlette.datastructures import State

from hypemeter import __version__
from hypemeter.errors import (
    HypemeterError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from hypemeter.schema import Article, ScoreResult
from hypemeter.scoring import Scorer, validate_article

logger = logging.getLogger("hypemeter.service")

MAX_REPORT_FILES = 1000
MICRO_BATCH = 32  # at most this many single-article requests share one model call
ROUTE_SCORE = "/v1/score"
ROUTE_BATCH = "/v1/score/batch"


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


R401 = {401: _err("API key missing or wrong (only when HYPEMETER_API_KEY is set)")}
R413 = {413: _err("request body or a text field over the limit")}
R415 = {415: _err("the body is not `application/json`")}
R422 = {422: _err("invalid JSON, wrong types, or headline and body both empty")}
R503 = {503: _err("no model loaded yet")}
SCORE_ERRORS: dict[int | str, dict[str, Any]] = {**R401, **R413, **R415, **R422, **R503}

API_DESCRIPTION = """\
Scores news text for **sensationalism** and **misinformation risk** (both probabilities in
[0, 1]) and points at the phrases behind the score.

Scores measure *style* (loaded, hyperbolic, clickbait-like language and the stylistic
fingerprints of fabricated stories); they are **not a fact-check**.

Every error has the shape `{"error": {"code": "...", "message": "...", "field": "..."}}`.
When the server has `HYPEMETER_API_KEY` set, the `/v1` routes need
`Authorization: Bearer <key>` or `X-API-Key: <key>`.
"""


# --------------------------------------------------------------------------- helpers


async def require_json(request: Request) -> None:
    """415 unless a request with a body says ``application/json`` (or ``+json``)."""
    ctype = request.headers.get("content-type")
    if ctype is None:
        if await request.body():
            raise UnsupportedMediaTypeError(
                "send the body as JSON with 'Content-Type: application/json'"
            )
        return
    media = ctype.split(";", 1)[0].strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise UnsupportedMediaTypeError(
            f"unsupported content type {media[:64]!r}: send 'Content-Type: application/json'"
        )


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
    article = Article(headline=headline, body=body, id=item.id)
    try:
        validate_article(article)
    except InvalidInputError as exc:
        where = prefix.rstrip(".")
        message = f"{where}: {exc.message}" if where else exc.message
        raise InvalidInputError(message, field=f"{prefix}{exc.field or 'body'}") from None
    return article


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
    if all((it.explain, it.max_spans, it.sentences) == (first.explain, first.max_spans,
                                                       first.sentences) for it in items):
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


def _score_one(state: State, loaded: LoadedModel, payload: ScoreRequest) -> Response:
    article = to_article(payload, state.settings.max_field_chars)
    result = score_items(loaded, [payload], [article], state.metrics, ROUTE_SCORE)[0]
    return result_response(result)


def _score_batch(state: State, loaded: LoadedModel, items: Sequence[ScoreRequest]) -> Response:
    max_chars = state.settings.max_field_chars
    articles = [to_article(it, max_chars, f"items.{i}.") for i, it in enumerate(items)]
    results = score_items(loaded, items, articles, state.metrics, ROUTE_BATCH)
    return batch_response(results)


def report_files(report_dir: Path | None) -> dict[str, Path]:
    """The files under a bundle's ``report/`` folder, by relative POSIX name.

    Only regular files inside the folder (no symlinks, no hidden names) are listed, and only
    listed names are ever served: that allowlist is the path-traversal protection.
    """
    if report_dir is None:
        return {}
    root = report_dir.resolve()
    out: dict[str, Path] = {}
    for path in sorted(report_dir.rglob("*")):
        rel = path.relative_to(report_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_symlink() or not path.is_file():
            continue
        if not path.resolve().is_relative_to(root):
            continue
        out[rel.as_posix()] = path
        if len(out) >= MAX_REPORT_FILES:
            break
    return out


def media_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


# --------------------------------------------------------------------------- routes


def _api_key_deps(settings: Settings) -> list[Any]:
    """The API-key dependency, only when a key is configured (so the OpenAPI document shows
    the security requirement exactly when it applies, and open servers skip the work)."""
    return [Depends(require_api_key)] if settings.api_key is not None else []


def _add_scoring_routes(app: FastAPI, settings: Settings) -> None:
    batch_model = batch_request_model(settings.max_batch_items)
    deps = [*_api_key_deps(settings), Depends(require_json)]
    common: dict[str, Any] = {"dependencies": deps, "responses": SCORE_ERRORS, "tags": ["scoring"]}
    # The model is CPU-bound and holds the GIL most of the time: more threads than this per
    # worker add latency and working memory, not throughput. Excess requests wait here, cheaply.
    limiter = anyio.CapacityLimiter(settings.score_threads)

    if settings.score_mode == "batch":
        batcher = MicroBatcher(
            limiter, lambda loaded, items, articles: score_items(
                loaded, items, articles, app.state.metrics, ROUTE_SCORE
            ),
            max_batch=MICRO_BATCH,
        )

        async def score(payload: ScoreRequest, request: Request) -> Response:
            state = request.app.state
            loaded = state.holder.require()  # the model this request uses, start to end
            article = to_article(payload, state.settings.max_field_chars)
            result = await batcher.submit(loaded, payload, article)
            return result_response(result)

        async def score_batch(payload: batch_model, request: Request) -> Response:  # type: ignore[valid-type]
            state = request.app.state
            loaded = state.holder.require()
            work = partial(_score_batch, state, loaded, payload.items)  # type: ignore[attr-defined]
            return await anyio.to_thread.run_sync(work, limiter=limiter)

    elif settings.score_mode == "thread":

        async def score(payload: ScoreRequest, request: Request) -> Response:
            state = request.app.state
            loaded = state.holder.require()  # the model this request uses, start to end
            work = partial(_score_one, state, loaded, payload)
            return await anyio.to_thread.run_sync(work, limiter=limiter)

        async def score_batch(payload: batch_model, request: Request) -> Response:  # type: ignore[valid-type]
            state = request.app.state
            loaded = state.holder.require()
            work = partial(_score_batch, state, loaded, payload.items)  # type: ignore[attr-defined]
            return await anyio.to_thread.run_sync(work, limiter=limiter)

    else:

        def score(payload: ScoreRequest, request: Request) -> Response:  # type: ignore[misc]
            state = request.app.state
            loaded = state.holder.require()  # the model this request uses, start to end
            return _score_one(state, loaded, payload)

        def score_batch(payload: batch_model, request: Request) -> Response:  # type: ignore[valid-type,misc]
            state = request.app.state
            loaded = state.holder.require()
            return _score_batch(state, loaded, payload.items)  # type: ignore[attr-defined]

    # The batch model is built at runtime (its size limit is a setting), so its annotation
    # cannot be a string resolved from module globals.
    score_batch.__annotations__["payload"] = batch_model
    app.add_api_route(
        ROUTE_SCORE,
        score,
        methods=["POST"],
        response_model=ScoreResponse,
        summary="Score one article",
        description=(
            "Returns the core result object: `scores`, `spans` (the phrases behind the score; "
            "empty when `explain` is false) and `model`. `id` is echoed back."
        ),
        **common,
    )
    app.add_api_route(
        ROUTE_BATCH,
        score_batch,
        methods=["POST"],
        response_model=ScoreBatchResponse,
        summary="Score up to 256 articles",
        description=(
            "Results come back in request order. One bad item fails the whole request with a "
            "422 whose `field` names it, e.g. `items.3.body`."
        ),
        **common,
    )


def _add_model_routes(app: FastAPI, settings: Settings) -> None:
    auth = _api_key_deps(settings)

    @app.get(
        "/v1/model",
        response_model=ModelCardResponse,
        dependencies=auth,
        responses={**R401, **R503},
        tags=["model"],
        summary="The loaded model: version, training corpora, validation, thresholds",
    )
    def model_card(request: Request) -> Response:
        loaded: LoadedModel = request.app.state.holder.require()
        card = loaded.card
        base = request.scope.get("root_path", "").rstrip("/") + "/v1/model/report/"
        files = report_files(loaded.report_dir)
        training_records = card.get("training_records")
        return JSONResponse({
            "name": loaded.name,
            "version": loaded.version,
            "created_at": card.get("created_at"),
            "corpora": list(card.get("corpora") or []),
            "training_records": training_records if isinstance(training_records, int) else None,
            "validation": dict(card.get("validation") or {}),
            "thresholds": dict(card.get("thresholds") or {}),
            "limits": list(card.get("limits") or []),
            "measured": dict(card.get("measured") or {}),
            "report": [
                {"name": name, "url": base + quote(name), "media_type": media_type(name)}
                for name in files
            ],
        })

    @app.get(
        "/v1/model/report/{name:path}",
        dependencies=auth,
        response_class=FileResponse,
        responses={
            200: {
                "description": "a report file from the bundle's `report/` folder",
                "content": {"image/png": {}, "image/svg+xml": {}, "text/html": {},
                            "application/json": {}, "text/markdown": {}},
            },
            404: _err("no such report file"),
            **R401,
            **R503,
        },
        tags=["model"],
        summary="A file of the loaded model's validation report (read-only)",
    )
    def model_report(name: str, request: Request) -> Response:
        loaded: LoadedModel = request.app.state.holder.require()
        path = report_files(loaded.report_dir).get(name)
        if path is None:
            raise NotFoundError(f"no report file {name[:128]!r} for this model", field="name")
        return FileResponse(
            path,
            media_type=media_type(name),
            headers={
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; "
                "style-src 'unsafe-inline'",
            },
        )


def _add_ops_routes(app: FastAPI) -> None:
    @app.get("/healthz", response_model=HealthResponse, tags=["ops"], summary="Liveness")
    async def healthz() -> Response:
        return JSONResponse({"status": "ok"})

    @app.get(
        "/readyz",
        response_model=ReadyResponse,
        responses={503: _err("no model loaded (yet, or the last load failed)")},
        tags=["ops"],
        summary="Readiness: 200 once a model is loaded",
    )
    async def readyz(request: Request) -> Response:
        holder: ModelHolder = request.app.state.holder
        loaded = holder.current
        if loaded is None:
            reason = holder.last_error.code if holder.last_error else "loading"
            return JSONResponse(
                {"error": {"code": "model_not_ready",
                           "message": f"no model loaded ({reason}); see the server log"}},
                status_code=503,
            )
        return JSONResponse(
            {"status": "ready", "model": {"name": loaded.name, "version": loaded.version}}
        )

    @app.get(
        "/metrics",
        response_class=Response,
        responses={200: {"description": "Prometheus text format",
                         "content": {"text/plain": {"schema": {"type": "string"}}}}},
        tags=["ops"],
        summary="Prometheus metrics",
    )
    def metrics(request: Request) -> Response:
        return Response(request.app.state.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    @app.post(
        "/v1/admin/reload",
        response_model=ReloadResponse,
        dependencies=[Depends(require_admin_key), Depends(require_json)],
        responses={
            401: _err("admin key missing or wrong"),
            403: _err("admin routes disabled (HYPEMETER_ADMIN_KEY unset)"),
            404: _err("no such model version; the old model keeps serving"),
            409: _err("the bundle failed to load or verify; the old model keeps serving"),
            **R413,
            **R415,
            **R422,
        },
        tags=["admin"],
        summary="Load `current` (or a version), verify it and swap it in atomically",
    )
    def reload(
        request: Request, payload: Annotated[ReloadRequest | None, Body()] = None
    ) -> Response:
        state = request.app.state
        holder: ModelHolder = state.holder
        previous = holder.current
        version = payload.version if payload is not None else None
        try:
            loaded = holder.load(version)
        except HypemeterError as exc:
            state.metrics.reloads.labels(result="failed").inc()
            logger.warning(
                "model reload failed",
                extra={"fields": {"code": exc.code, "requested_version": version}},
            )
            raise
        state.metrics.reloads.labels(result="ok").inc()
        return JSONResponse({
            "status": "reloaded",
            "model": {"name": loaded.name, "version": loaded.version},
            "previous_version": previous.version if previous is not None else None,
        })


# --------------------------------------------------------------------------- factory


def create_app(settings: Settings | None = None, scorer: Scorer | None = None) -> FastAPI:
    """Build the app. ``scorer`` (tests) skips loading a bundle at startup."""
    settings = settings or Settings()
    configure_logging(settings.log_level)
    metrics = ServiceMetrics()
    holder = ModelHolder(
        settings.models_dir, on_swap=lambda m: metrics.set_model(m.name, m.version)
    )
    if scorer is not None:
        holder.install(scorer)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if holder.current is None:
            try:
                await anyio.to_thread.run_sync(holder.load, settings.model_version)
            except HypemeterError as exc:
                logger.error(
                    "no model loaded at startup; /readyz stays 503 until a reload succeeds",
                    extra={"fields": {"code": exc.code, "reason": exc.message}},
                )
        yield

    app = FastAPI(
        title="hypemeter",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.holder = holder

    install_error_handlers(app)
    _add_scoring_routes(app, settings)
    _add_model_routes(app, settings)
    _add_ops_routes(app)
    app.include_router(web_router)

    routes: Callable[[], Sequence[Any]] = lambda: app.router.routes  # noqa: E731
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        keep_text=settings.log_requests_text,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Server-Timing"],
        )
    app.add_middleware(
        RequestContextMiddleware,
        metrics=metrics,
        routes=routes,
        log_text=settings.log_requests_text,
    )
    return app
