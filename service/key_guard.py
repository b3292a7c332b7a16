"""Keys checked before any of the body is read, and wrong keys counted per client.

* :func:`key_problem` finds the route a request is for and runs its header-only key checks
  (:class:`hypemeter.service.routing.KeyFirstRoute`); the body-limit middleware calls it before
  it reads a byte of the body, so a request without the right key gets 401 (or 403, 429)
  whatever its body: oversized, chunked or slow.
* :class:`KeyFailures` counts wrong keys per client address over a sliding window: past
  ``HYPEMETER_MAX_KEY_FAILURES`` within ``HYPEMETER_KEY_FAILURE_WINDOW`` seconds every keyed
  request from that client gets 429 with ``Retry-After`` until the window has room again
  (the right key too: otherwise guessing would go on at full speed). A missing key is not
  counted (nothing was guessed).

The counts live in each worker's memory (``app.state.key_failures``): with N workers a client
gets up to N times the allowance, and a restart forgets them. Behind a proxy every client has
the proxy's address; put the limit on the proxy then (or set 0 to turn it off here).
"""

from __future__ import annotations

import inspect
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fastapi import Request
from hypemeter.service.auth import keys_from_headers
from hypemeter.service.errors import ForbiddenError, TooManyRequestsError, UnauthorizedError
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from hypemeter.errors import HypemeterError

MAX_CLIENTS = 10_000  # client addresses remembered at once (the oldest are forgotten)

KeyCheck = Callable[[Request], Any]  # returns None or an awaitable (profile-key lookups)


class KeyFailures:
    """Wrong keys per client address over the last ``window`` seconds (thread-safe)."""

    def __init__(self, limit: int, window: float, max_clients: int = MAX_CLIENTS) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, client: str, now: float) -> deque[float] | None:
        times = self._seen.get(client)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._seen[client]
            return None
        return times

    def retry_after(self, client: str) -> float | None:
        """Seconds until ``client`` may try again, or None when it may now."""
        if self.limit <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
            if times is None or len(times) < self.limit:
                return None
            return times[0] + self.window - now

    def fail(self, client: str) -> None:
        if self.limit <= 0:
            return
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
            if times is None:
                times = self._seen[client] = deque(maxlen=self.limit)
                while len(self._seen) > self.max_clients:
                    self._seen.popitem(last=False)
            else:
                self._seen.move_to_end(client)
            times.append(now)


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


async def run_key_checks(request: Request, checks: Sequence[KeyCheck]) -> None:
    """Run a route's key checks for ``request``, counting wrong keys (429 past the limit)."""
    failures: KeyFailures | None = getattr(request.app.state, "key_failures", None)
    client = client_address(request)
    if failures is not None:
        wait = failures.retry_after(client)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            raise TooManyRequestsError(
                f"too many wrong keys from this address; try again in {seconds} s",
                retry_after=seconds,
            )
    try:
        for check in checks:
            outcome = check(request)
            if inspect.isawaitable(outcome):
                await outcome
    except UnauthorizedError:
        if failures is not None and keys_from_headers(request):
            failures.fail(client)
        raise


def route_key_checks(scope: Scope, routes: Iterable[BaseRoute]) -> Sequence[KeyCheck]:
    """The key checks of the route ``scope`` is for (none for routes without keys)."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            checks: Sequence[KeyCheck] = getattr(route, "key_checks", ())
            return checks
    return ()


async def key_problem(scope: Scope, routes: Iterable[BaseRoute]) -> HypemeterError | None:
    """The 401/403/429 a request gets from its headers alone, or None (reads no body)."""
    checks = route_key_checks(scope, routes)
    if not checks:
        return None
    request = Request(scope)
    try:
        await run_key_checks(request, checks)
    except (UnauthorizedError, ForbiddenError, TooManyRequestsError) as exc:
        return exc
    return None


def problem_headers(exc: HypemeterError) -> list[tuple[bytes, bytes]]:
    if isinstance(exc, UnauthorizedError):
        return [(b"www-authenticate", b"Bearer")]
    if isinstance(exc, TooManyRequestsError):
        return [(b"retry-after", str(exc.retry_after).encode("latin-1"))]
    return []


__all__: list[Any] = ["KeyFailures", "key_problem", "problem_headers", "run_key_checks"]
