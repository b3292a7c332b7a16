"""The /v1/score fast path (``hypemeter.service.fast_score``) in tests: an app without it, and
a spy on what gets past it to the routes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from hypemeter.service.fast_score import FastScoreMiddleware


def without_fast_path(app: FastAPI) -> FastAPI:
    """``app`` with the fast path taken out (before its first request builds the stack)."""
    app.user_middleware = [m for m in app.user_middleware if m.cls is not FastScoreMiddleware]
    return app


def spy_route(app: FastAPI, seen: list[Any]) -> None:
    """Record in ``seen`` the path of every request that gets past the fast path to the app
    (call once the middleware stack is built, i.e. after a first request)."""
    layer: Any = app.middleware_stack
    while not isinstance(layer, FastScoreMiddleware):
        layer = layer.app
    inner = layer.app

    async def spy(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await inner(scope, receive, send)

    layer.app = spy
