"""Pure-ASGI middleware: request context (id, timing, access log, metrics, the rollout check,
the concurrency limit, last-resort 500) and the request body size limit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from hypemeter.service.errors import REQUEST_ID_HEADER, error_body, internal_error_body
from hypemeter.service.key_guard import key_problem, problem_headers, route_key_checks
from hypemeter.service.logging import log_access, loggable_text
from hypemeter.service.metrics import ServiceMetrics
from hypemeter.service.rollout import Rollout
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("hypemeter.service")

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_REQUEST_ID_BYTES = REQUEST_ID_HEADER.lower().encode("latin-1")
STATE_REQUEST_ID = "request_id"
STATE_BODY_BYTES = "body_bytes"
STATE_BODY_TEXT = "body_text"
UNMATCHED = "<unmatched>"
CLIENT_CLOSED = 499  # nginx's convention for "client closed the request", logged only
CLOSE = [(b"connection", b"close")]
EXEMPT_FROM_LIMIT = frozenset({"/healthz", "/readyz", "/metrics"})
ROUTE_MEMORY = 1024  # (method, path) pairs whose route the body-limit middleware remembers


_UUID4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))  # uuid.UUID(..., version=4): variant, version
_UUID4_SET = (0x8000 << 48) | (4 << 76)


def new_request_id() -> str:
    """``uuid.uuid4().hex``, made from the same 16 random bytes with less work."""
    n = int.from_bytes(os.urandom(16), "big") & _UUID4_CLEAR | _UUID4_SET
    return f"{n:032x}"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


async def send_json(send: Send, status: int, body: dict[str, Any],
                    headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode("latin-1")),
            *headers,
        ],
    })
    await send({"type": "http.response.body", "body": payload, "more_body": False})


class RequestContextMiddleware:
    """Outermost layer: request id, Server-Timing, one access-log line, request metrics; the
    rollout check (:meth:`Rollout.poke`) and the per-worker concurrency limit (``limit``)
    of every HTTP request, in this one layer (each layer costs every request a hop).

    Concurrency: 503 ``overloaded`` with ``Retry-After`` once ``limit`` requests are in
    progress in this worker (the probes and ``/metrics`` are never turned away). Shedding load
    at the door keeps the latency of the admitted requests bounded instead of queueing without
    end; the 503 gets a request id and an access-log line like any other answer.

    It is also the last resort for exceptions nothing else handled: the client gets a 500
    ``internal_error`` JSON body (no trace), the log gets the trace.
    """

    def __init__(
        self,
        app: ASGIApp,
        metrics: ServiceMetrics,
        routes: Callable[[], Iterable[BaseRoute]],
        log_text: bool = False,
        rollout: Rollout | None = None,
        limit: int | None = None,
        retry_after: int = 1,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes
        self.log_text = log_text
        self.rollout = rollout
        self.limit = limit
        self.retry_after = str(retry_after).encode("latin-1")
        self.active = 0  # requests admitted under the limit and not finished

    def _route_label(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:  # rejected before routing (e.g. 413): find the route ourselves
            for candidate in self.routes():
                match, _ = candidate.matches(scope)
                if match is not Match.NONE:
                    route = candidate
                    break
        path = getattr(route, "path", None)
        return path if isinstance(path, str) else UNMATCHED

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        incoming = _header(scope, _REQUEST_ID_BYTES)
        rid = incoming.decode("latin-1") if incoming is not None else ""
        if not _REQUEST_ID_OK.match(rid):
            rid = new_request_id()
        state = scope.setdefault("state", {})
        state[STATE_REQUEST_ID] = rid
        rid_bytes = rid.encode("latin-1")
        status = 500
        response_started = False
        first_byte = 0.0

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started, first_byte
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                first_byte = time.perf_counter() - start
                headers = [
                    (k, v) for k, v in message.get("headers", ()) if k != _REQUEST_ID_BYTES
                ]
                headers.append((_REQUEST_ID_BYTES, rid_bytes))
                headers.append((b"server-timing", f"app;dur={first_byte * 1000:.3f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        self.metrics.in_progress.inc()
        try:
            if self.rollout is not None:
                self.rollout.poke()
            await self._admit(scope, receive, send_wrapper)
            if not response_started:
                status = CLIENT_CLOSED  # the client went away before we could answer
        except Exception:
            logger.exception(
                "unhandled error", extra={"fields": {"request_id": rid, "path": scope["path"]}}
            )
            if response_started:
                raise
            status = 500
            await send_json(send, 500, internal_error_body(), [(_REQUEST_ID_BYTES, rid_bytes)])
        finally:
            self.metrics.in_progress.dec()
            total = time.perf_counter() - start
            route = self._route_label(scope)
            self.metrics.observe_request(route, scope["method"], status, first_byte or total)
            fields: dict[str, Any] = {
                "request_id": rid,
                "method": scope["method"],
                "route": route,
                "path": scope["path"][:256],
                "status": status,
                "latency_ms": round(total * 1000.0, 3),
                "bytes_in": state.get(STATE_BODY_BYTES, 0),
            }
            client = scope.get("client")
            if client:
                fields["client"] = client[0]
            if self.log_text and STATE_BODY_TEXT in state:
                fields["request_text"] = state[STATE_BODY_TEXT]
            log_access(fields)

    async def _admit(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app, or 503 ``overloaded`` past the concurrency limit."""
        if self.limit is None or scope["path"] in EXEMPT_FROM_LIMIT:
            await self.app(scope, receive, send)
            return
        if self.active >= self.limit:
            body = error_body(
                "overloaded",
                f"the server is handling {self.limit} requests already; retry shortly",
            )
            await send_json(send, 503, body, [(b"retry-after", self.retry_after)])
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


class _Deadline:
    """Cancels the current task after ``seconds`` (and says so in ``expired``): what
    ``asyncio.timeout`` or an anyio cancel scope does around the body's reads, for a quarter
    of their cost on every request (a timer, cancelled when the body is in)."""

    __slots__ = ("expired", "handle", "task")

    def __init__(self, seconds: float) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.task = task
        self.expired = False
        self.handle = asyncio.get_running_loop().call_later(seconds, self._expire)

    def _expire(self) -> None:
        self.expired = True
        self.task.cancel()


class BodyLimitMiddleware:
    """413 for request bodies over ``max_bytes``; before that (given ``routes``), the route's
    key checks on the headers alone (:func:`hypemeter.service.key_guard.key_problem`), so a
    request without its key gets 401 before a byte of its body is read.

    Checks ``Content-Length`` before reading anything, then counts the bytes actually received
    (chunked uploads, lying headers) while buffering the body, and hands the app the buffered
    body in one message. All routes read whole JSON bodies, so buffering costs nothing extra.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, keep_text: bool = False,
                 timeout: float | None = None,
                 routes: Callable[[], Iterable[BaseRoute]] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.keep_text = keep_text
        self.timeout = timeout
        self.routes = routes  # given: keys are checked before the body is read
        self._routes_seen: dict[tuple[str, str, str], BaseRoute | None] = {}

    def _route_of(self, scope: Scope) -> BaseRoute | None:
        """The route ``scope`` is for (the first that matches it fully), or None; remembered
        per method and path (at most ``ROUTE_MEMORY`` of them)."""
        key = (scope["method"], scope["path"], scope.get("root_path", ""))
        try:
            return self._routes_seen[key]
        except KeyError:
            pass
        assert self.routes is not None
        found = None
        for route in self.routes():
            if route.matches(scope)[0] is Match.FULL:
                found = route
                break
        if len(self._routes_seen) >= ROUTE_MEMORY:
            self._routes_seen.clear()
        self._routes_seen[key] = found
        return found

    def _too_large(self) -> dict[str, Any]:
        return error_body(
            "payload_too_large",
            f"request body is larger than the limit of {self.max_bytes} bytes",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        declared = _header(scope, b"content-length")
        has_body = declared not in (None, b"0") or _header(scope, b"transfer-encoding")
        if self.routes is not None and has_body:  # (bodiless requests: the route checks)
            problem = await key_problem(scope, route_key_checks(self._route_of(scope)))
            if problem is not None:  # 401/403/429 from the headers alone: the body is not read
                await send_json(send, problem.status, problem.to_dict(),
                                [*problem_headers(problem), *CLOSE])
                return
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await send_json(send, 400, error_body("bad_request", "invalid Content-Length"))
                return
            if length > self.max_bytes:
                await send_json(send, 413, self._too_large())
                return
        chunks: list[bytes] = []
        total = 0
        more = True
        deadline = _Deadline(self.timeout) if self.timeout is not None else None
        try:
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client went away; nobody is listening for a response
                chunk = message.get("body", b"")
                total += len(chunk)
                if total > self.max_bytes:
                    break
                if chunk:
                    chunks.append(chunk)
                more = bool(message.get("more_body", False))
        except asyncio.CancelledError:
            if deadline is None or not deadline.expired:
                raise
            deadline.task.uncancel()
            await send_json(send, 408, error_body(
                "request_timeout",
                f"the request body did not arrive within {self.timeout:g} s",
            ), CLOSE)
            return
        finally:
            if deadline is not None:
                deadline.handle.cancel()
        if total > self.max_bytes:
            await send_json(send, 413, self._too_large(), CLOSE)
            return
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        state[STATE_BODY_BYTES] = total
        if self.keep_text and body:
            state[STATE_BODY_TEXT] = loggable_text(body)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
