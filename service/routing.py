"""What every router shares: the OpenAPI error documentation, the JSON content-type check and
the API-key dependency."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from hypemeter.service.auth import (
    CHECK_BEFORE_BODY,
    api_key_scheme,
    bearer_scheme,
    require_api_key,
)
from hypemeter.service.errors import UnsupportedMediaTypeError
from hypemeter.service.key_guard import run_key_checks
from hypemeter.service.profile_auth import PROFILE_CHECKS, check_scoring
from hypemeter.service.schemas import ErrorResponse
from hypemeter.service.settings import Settings
from starlette.responses import Response


def error_doc(description: str) -> dict[str, Any]:
    """One error response in the OpenAPI document (always the service's error shape)."""
    return {"model": ErrorResponse, "description": description}


R401 = {401: error_doc("API key missing or wrong (only when HYPEMETER_API_KEY is set)")}
R413 = {413: error_doc("request body or a text field over the limit")}
R415 = {415: error_doc("the body is not `application/json`")}
R422 = {422: error_doc("invalid JSON, wrong types, or headline and body both empty "
                       "(`invalid_input`); on `POST /v1/score`, text confidently in a "
                       "language the model does not read (`unsupported_language`)")}
R503 = {503: error_doc("no model loaded yet")}
SCORE_ERRORS: dict[int | str, dict[str, Any]] = {**R401, **R413, **R415, **R422, **R503}


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


def api_key_deps(settings: Settings) -> list[Any]:
    """The API-key dependency, only when a key is configured (so the OpenAPI document shows
    the security requirement exactly when it applies, and open servers skip the work)."""
    return [Depends(require_api_key)] if settings.api_key is not None else []


def caller_deps(settings: Settings, check: Callable[..., Any] = check_scoring) -> list[Any]:
    """A route the API key opens that profile keys open too (:mod:`profile_auth`): ``check``
    decides; the API-key scheme stays in the OpenAPI document exactly when a key is set."""
    docs = [Depends(_documented_key_schemes)] if settings.api_key is not None else []
    return [*docs, Depends(check)]


async def _documented_key_schemes(
    bearer: Annotated[Any, Depends(bearer_scheme)],
    x_api_key: Annotated[Any, Depends(api_key_scheme)],
) -> None:
    """Only shows the key schemes in the OpenAPI document; the checks are elsewhere."""


class KeyFirstRoute(APIRoute):
    """A route that checks its API or admin key before FastAPI reads and parses the body
    (FastAPI parses the body before it runs any dependency), so a request without a key gets
    401, not 422, whatever its body. The key dependencies stay on the route for the OpenAPI
    document (and check again, cheaply)."""

    _checks: tuple[tuple[int, int], list[Callable[[Request], Any]]] | None = None

    @property
    def key_checks(self) -> list[Callable[[Request], Any]]:
        """The header-only checks standing for this route's key dependencies, the API/admin
        key rules and the profile-key ones (the body-limit middleware runs them too, before it
        reads the body); made again only when the route's dependencies change."""
        deps = self.dependencies
        key = (id(deps), len(deps))
        if self._checks is None or self._checks[0] != key:
            known: dict[Any, Callable[[Request], Any]] = {**CHECK_BEFORE_BODY, **PROFILE_CHECKS}
            self._checks = (key, [known[dep.dependency] for dep in deps
                                  if dep.dependency in known])
        return self._checks[1]

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        checks = self.key_checks
        if not checks:
            return handler

        async def key_first(request: Request) -> Response:
            await run_key_checks(request, checks)
            return await handler(request)

        return key_first
