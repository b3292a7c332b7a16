"""Operations: ``GET /healthz``, ``GET /readyz``, ``GET /metrics`` and
``POST /v1/admin/reload``."""

from __future__ import annotations

import logging
import re
from pathlib import Path, PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response
from hypemeter.service.auth import require_admin_key
from hypemeter.service.metrics import METRICS_CONTENT_TYPE
from hypemeter.service.model_schemas import (
    HealthResponse,
    ReadyResponse,
    ReloadRequest,
    ReloadResponse,
    RolloutStatusResponse,
)
from hypemeter.service.rollout import Rollout, pid_alive
from hypemeter.service.routing import R413, R415, R422, KeyFirstRoute, error_doc, require_json
from hypemeter.service.state import ModelHolder

from hypemeter.errors import HypemeterError

logger = logging.getLogger("hypemeter.service")

_ABSOLUTE_PATH = re.compile(r"(?<![\w.~])/[^\s'\",:;()]+")


def without_server_paths(message: str, models_dir: Path) -> str:
    """A load error for the client: paths inside the models folder become relative to it
    (``v3/model.joblib``), any other absolute path only its last part. The log keeps them."""
    roots = []
    for root in (models_dir, models_dir.resolve()):
        if str(root) not in roots:
            roots.append(str(root))

    def relative(match: re.Match[str]) -> str:
        text = match.group(0)
        for root in roots:
            if text == root:
                return "the models folder"
            if text.startswith(root.rstrip("/") + "/"):
                return text[len(root.rstrip("/")) + 1:]
        return PurePosixPath(text).name or "/"

    return _ABSOLUTE_PATH.sub(relative, message)


def build_router() -> APIRouter:
    router = APIRouter(route_class=KeyFirstRoute)

    @router.get("/healthz", response_model=HealthResponse, tags=["ops"], summary="Liveness")
    async def healthz() -> Response:
        return JSONResponse({"status": "ok"})

    @router.get(
        "/readyz",
        response_model=ReadyResponse,
        responses={503: error_doc("no model loaded (yet, or the last load failed)")},
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

    @router.get(
        "/metrics",
        response_class=Response,
        responses={200: {"description": "Prometheus text format",
                         "content": {"text/plain": {"schema": {"type": "string"}}}}},
        tags=["ops"],
        summary="Prometheus metrics",
    )
    def metrics(request: Request) -> Response:
        body = request.app.state.metrics.render(alive=pid_alive)
        return Response(body, media_type=METRICS_CONTENT_TYPE)

    @router.post(
        "/v1/admin/reload",
        response_model=ReloadResponse,
        dependencies=[Depends(require_admin_key), Depends(require_json)],
        responses={
            202: {"model": ReloadResponse,
                  "description": "loaded here; not every worker had followed yet "
                                 "(`status: in_progress`; see `GET /v1/admin/reload`)"},
            401: error_doc("admin key missing or wrong"),
            403: error_doc("admin routes disabled (HYPEMETER_ADMIN_KEY unset)"),
            404: error_doc("no such model version; the old model keeps serving"),
            409: error_doc("the bundle failed to load or verify; the old model keeps serving"),
            **R413,
            **R415,
            **R422,
        },
        tags=["admin"],
        summary="Load `current` (or a version), verify it and swap it in atomically, "
                "in every worker",
    )
    def reload(
        request: Request, payload: Annotated[ReloadRequest | None, Body()] = None
    ) -> Response:
        state = request.app.state
        holder: ModelHolder = state.holder
        rollout: Rollout = state.rollout
        # the version only: holding the old model here would keep it alive past the swap
        previous = holder.current.version if holder.current is not None else None
        version = payload.version if payload is not None else None
        try:
            loaded, generation = rollout.publish(version)
        except HypemeterError as exc:
            state.metrics.reloads.labels(result="failed").inc()
            logger.warning(
                "model reload failed",
                extra={"fields": {"code": exc.code, "requested_version": version,
                                  "reason": exc.message}},
            )
            exc.message = without_server_paths(exc.message, holder.models_dir)
            raise
        state.metrics.reloads.labels(result="ok").inc()
        status = rollout.wait(generation)
        return JSONResponse(
            {
                "status": status["status"],
                "model": {"name": loaded.name, "version": loaded.version},
                "previous_version": previous,
                "generation": generation,
                "workers": status["workers"],
            },
            status_code=200 if status["status"] == "reloaded" else 202,
        )

    @router.get(
        "/v1/admin/reload",
        response_model=RolloutStatusResponse,
        dependencies=[Depends(require_admin_key)],
        responses={
            401: error_doc("admin key missing or wrong"),
            403: error_doc("admin routes disabled (HYPEMETER_ADMIN_KEY unset)"),
        },
        tags=["admin"],
        summary="How far the last reload got: the published generation and the workers on it",
    )
    def reload_status(request: Request) -> Response:
        return JSONResponse(request.app.state.rollout.status())

    return router
