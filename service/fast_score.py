"""The common case of ``POST /v1/score`` without FastAPI's per-request machinery.

A well-formed request (a JSON object that :class:`ScoreRequest` accepts, sent as
``application/json``, by a caller whose key checks passed before the body was read, not scored
as a profile or as one whose adapter :class:`ProfileRuntime` resolves) is parsed, scored
(and adapted) and answered here: the same :class:`ScoreHandler` call and the
same response bytes and headers as the route's, without the router's matching, the dependency
solver, the exception middleware and the exit stack (about a third of the event loop's work per
request, measured with ``benchmarks/bench_peers.py``). Anything else (a body that does not
parse or validate, another content type, a request whose key checks did not run)
goes on, unchanged, to the app, whose route gives the answer it always gave: errors keep their
one path (:mod:`hypemeter.service.error_handlers`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from hypemeter.service.error_handlers import hypemeter_error_response
from hypemeter.service.handling import ROUTE_SCORE, ScoreHandler
from hypemeter.service.profile_auth import Principal
from hypemeter.service.profile_runtime import ProfileRuntime
from hypemeter.service.schemas import ScoreRequest
from hypemeter.service.state import ModelHolder
from pydantic import ValidationError
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hypemeter.errors import HypemeterError

_CONTENT_TYPE = b"content-type"


def _json_media(value: bytes) -> bool:
    """What :func:`hypemeter.service.routing.require_json` accepts (``application/json`` or
    ``application/...+json``) and FastAPI then reads as JSON."""
    try:
        media = value.decode("latin-1").split(";", 1)[0].strip().lower()
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
        return False
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json"))


class FastScoreMiddleware:
    """Answers well-formed ``POST /v1/score`` requests itself (see the module docstring); sits
    inside :class:`hypemeter.service.middleware.BodyLimitMiddleware`, which has buffered the
    body and run the route's key checks by then."""

    def __init__(self, app: ASGIApp, handler: ScoreHandler, holder: ModelHolder,
                 routes: Callable[[], Iterable[BaseRoute]],
                 profiles: ProfileRuntime | None = None) -> None:
        self.app = app
        self.profiles = profiles
        self.handler = handler
        self.holder = holder
        self.routes = routes
        self._route: BaseRoute | None = None

    def _score_route(self) -> BaseRoute | None:
        """The app's ``/v1/score`` route (the request metrics and access log name it)."""
        if self._route is None:
            for route in self.routes():
                if getattr(route, "path", None) == ROUTE_SCORE:
                    self._route = route
                    break
        return self._route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["path"] != ROUTE_SCORE
                or scope["method"] != "POST"):
            await self.app(scope, receive, send)
            return
        message = await receive()
        body: bytes = message.get("body", b"") if message["type"] == "http.request" else b""
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return message
            return await receive()

        payload = self._payload(scope, message, body)
        route = self._score_route()
        principal = scope.get("state", {}).get("principal")
        profiled = payload is not None and (payload.profile is not None
                                            or principal.kind == "profile")
        if payload is None or route is None or (profiled and self.profiles is None):
            await self.app(scope, replay, send)
            return
        scope["route"] = route
        try:
            loaded = self.holder.require()
            post = (await self.profiles.post_process(principal, payload.profile)
                    if profiled and self.profiles is not None else None)
            response = await self.handler.score_one(loaded, payload, post)
        except HypemeterError as exc:
            response = hypemeter_error_response(exc, Request(scope))
        await response(scope, replay, send)

    @staticmethod
    def _payload(scope: Scope, message: Message, body: bytes) -> ScoreRequest | None:
        """The request's validated item when this path may answer it, else None."""
        if message["type"] != "http.request" or message.get("more_body", False) or not body:
            return None
        principal = scope.get("state", {}).get("principal")
        if type(principal) is not Principal:
            return None  # key checks did not run here: the route decides
        ctype = None
        for key, value in scope["headers"]:
            if key == _CONTENT_TYPE:
                ctype = value
                break
        if ctype is None or not _json_media(ctype):
            return None
        # pydantic parses and validates in one pass (a third of ``json.loads`` then
        # ``model_validate``); it accepts no body the route would refuse, and reads any body
        # both accept alike (tests/service/test_fast_score_json.py). The few bodies only
        # ``json.loads`` reads (a byte order mark, UTF-16) go to the route, as errors do.
        try:
            return ScoreRequest.model_validate_json(body)
        except (ValidationError, ValueError, TypeError):
            return None
