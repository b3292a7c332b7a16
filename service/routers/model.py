"""``GET /v1/model`` (the loaded model's card) and ``GET /v1/model/report/{name}``."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from hypemeter.service.model_schemas import ModelCardResponse
from hypemeter.service.routing import R401, R503, KeyFirstRoute, api_key_deps, error_doc
from hypemeter.service.settings import Settings
from hypemeter.service.state import LoadedModel

from hypemeter.errors import NotFoundError

MAX_REPORT_FILES = 1000


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


def calibration_of(card: dict[str, Any]) -> dict[str, Any] | None:
    """The card's calibration: method, reference prevalences, what they were fitted on and
    mean (the measured tables stay in the card and the report); None without one."""
    entry = card.get("calibration")
    if not isinstance(entry, dict) or not entry.get("reference_prevalence"):
        return None
    keys = ("method", "reference_prevalence", "fitted_on", "meaning")
    return {k: entry[k] for k in keys if k in entry}


def media_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(
        tags=["model"], dependencies=api_key_deps(settings), route_class=KeyFirstRoute
    )

    @router.get(
        "/v1/model",
        response_model=ModelCardResponse,
        responses={**R401, **R503},
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
            "languages": list(loaded.scorer.gate.supported),
            "calibration": calibration_of(card),
            "limits": list(card.get("limits") or []),
            "measured": dict(card.get("measured") or {}),
            "report": [
                {"name": name, "url": base + quote(name), "media_type": media_type(name)}
                for name in files
            ],
        })

    @router.get(
        "/v1/model/report/{name:path}",
        response_class=FileResponse,
        responses={
            200: {
                "description": "a report file from the bundle's `report/` folder",
                "content": {"image/png": {}, "image/svg+xml": {}, "text/html": {},
                            "application/json": {}, "text/markdown": {}},
            },
            404: error_doc("no such report file"),
            **R401,
            **R503,
        },
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

    return router
