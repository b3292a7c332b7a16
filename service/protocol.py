"""uvicorn's httptools protocol with the limits a public server needs, answered in the
service's JSON error shape.

* **Header timeout** (``HYPEMETER_HEADER_TIMEOUT``): a connection must send a complete request
  head within this many seconds of opening, or of the first byte of each later request; else it
  gets 408 and is closed (a connection that sends nothing, or headers a byte at a time, no
  longer holds a slot forever). Idle keep-alive connections are closed after
  ``HYPEMETER_KEEPALIVE_TIMEOUT`` (uvicorn's ``timeout_keep_alive``); slow bodies are cut by
  ``HYPEMETER_BODY_TIMEOUT`` in :class:`~hypemeter.service.middleware.BodyLimitMiddleware`.
* **Connection cap** (``HYPEMETER_MAX_CONNECTIONS`` per worker): a connection over it gets 503
  with ``Retry-After`` and is closed at once.
* **Malformed requests** (a bad ``Content-Length``, a broken request line) get 400 in the JSON
  error shape instead of uvicorn's ``text/plain``.
* **One send per response**: uvicorn writes a response's head and its body separately, two
  system calls and two TCP segments; :class:`CoalescingTransport` hands the socket what one
  turn of the event loop wrote in one piece (one ``send``, measured in docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import json
from functools import cache
from typing import Any

from hypemeter.service.errors import error_body
from hypemeter.service.settings import Settings
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

RETRY_AFTER_SECONDS = 1
COALESCE_BYTES = 64 * 1024  # written at once past this, without waiting for the turn's end
_REASONS = {400: b"Bad Request", 408: b"Request Timeout", 503: b"Service Unavailable"}


@cache
def _limits() -> tuple[float, int]:
    settings = Settings()
    return settings.header_timeout, settings.max_connections


def raw_json_response(status: int, body: dict[str, object], retry_after: bool = False) -> bytes:
    """A complete ``Connection: close`` HTTP/1.1 response (written before any ASGI cycle)."""
    payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
    head = [
        b"HTTP/1.1 %d %s" % (status, _REASONS[status]),
        b"content-type: application/json",
        b"content-length: %d" % len(payload),
        b"connection: close",
    ]
    if retry_after:
        head.append(b"retry-after: %d" % RETRY_AFTER_SECONDS)
    return b"\r\n".join(head) + b"\r\n\r\n" + payload


class CoalescingTransport:
    """The connection's transport, but what is written during one turn of the event loop goes
    to the socket in one write at the end of it (``close`` writes what is pending first).
    Everything else is the transport's own."""

    __slots__ = ("_loop", "_pending", "_size", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)
        self._size += len(data)
        if self._size >= COALESCE_BYTES:  # a long stream written in one turn: no hoarding
            self.flush()

    def flush(self) -> None:
        pending = self._pending
        if pending:
            self._pending = []
            self._size = 0
            if not self._transport.is_closing():
                self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
        header_timeout, max_connections = _limits()
        if len(self.connections) > max_connections:
            self.transport.write(raw_json_response(503, error_body(
                "overloaded",
                f"the server holds {max_connections} connections already; retry shortly",
            ), retry_after=True))
            self.transport.close()
            return
        self._arm_header_timer(header_timeout)

    def _arm_header_timer(self, timeout: float | None = None) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(
            _limits()[0] if timeout is None else timeout, self._on_header_timeout
        )

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _on_header_timeout(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        self.transport.write(raw_json_response(408, error_body(
            "request_timeout",
            f"the request headers did not arrive within {_limits()[0]:g} s",
        )))
        self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        self._disarm_header_timer()
        self.transport.write(raw_json_response(400, error_body(
            "bad_request",
            "invalid HTTP request (a malformed request line, header or Content-Length)",
        )))
        self.transport.close()
