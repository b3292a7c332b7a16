"""Keys checked before any of the body is read, and wrong keys counted per client.

* :func:`key_problem` runs the header-only key checks of the route a request is for
  (:class:`hypemeter.service.routing.KeyFirstRoute`); the body-limit middleware calls it before
  it reads a byte of the body, so a request without the right key gets 401 (or 403, 429)
  whatever its body: oversized, chunked or slow.
* :class:`SharedKeyFailures` counts wrong keys per client address in the database (the
  ``key_failures`` table, :mod:`hypemeter.storage.key_failures`), so that every worker and
  replica on that database counts the same failures: past ``HYPEMETER_MAX_KEY_FAILURES``
  within ``HYPEMETER_KEY_FAILURE_WINDOW`` seconds every keyed request from that client gets 429
  with ``Retry-After`` until the window has room again (the right key too: otherwise guessing
  would go on at full speed). A missing key is not counted (nothing was guessed).

Only failures are written (one row each). A keyed request reads its client's count, except
that a client found with no failure is trusted for :data:`CLEAN_SECONDS` by this worker (so a
client that starts guessing on another worker is blocked here within that time; its own
wrong keys here are counted at once; requests of one client that arrive while its count is
being read share that read). Requests to routes without keys never touch it. While
the database is unavailable the worker counts in its own memory (:class:`KeyFailures`) and
logs why, rate-limited; the read waits at most 0.5 s, and after a failure the database is left
alone for :data:`BACKOFF_SECONDS`, so a hung database costs keyed requests little on top of
what their own route waits. Behind a proxy every client has the proxy's address; put the limit on
the proxy then (or set 0 to turn it off here).
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import Request
from hypemeter.service.auth import keys_from_headers
from hypemeter.service.errors import ForbiddenError, TooManyRequestsError, UnauthorizedError
from starlette.routing import BaseRoute
from starlette.types import Scope

from hypemeter.errors import HypemeterError, StorageUnavailableError
from hypemeter.storage import FeedbackStore
from hypemeter.storage.key_failures import FailureCount, KeyFailureStore

logger = logging.getLogger("hypemeter.service")

MAX_CLIENTS = 10_000  # client addresses remembered at once (the oldest are forgotten)
CLEAN_SECONDS = 1.0  # how long a worker trusts "no failures" for a client
WARN_SECONDS = 60.0  # at most one warning per this many seconds about the database
BACKOFF_SECONDS = 5.0  # after the database failed, count in memory this long before retrying
CHECKED = "hypemeter_keys_checked"  # request state: the key checks passed (run them once)

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


@dataclass(eq=False)
class _Read:
    """A count being read for one client, and its outcome once ``done`` is set."""

    done: anyio.Event
    counted: FailureCount | None = None
    error: StorageUnavailableError | None = None


class SharedKeyFailures:
    """Wrong keys per client in the database (shared by every worker and replica), with this
    worker's :class:`KeyFailures` standing in while the database is unavailable."""

    def __init__(self, store: FeedbackStore | None, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.local = KeyFailures(limit, window)
        self.shared = KeyFailureStore(store, window) if store is not None else None
        self._clean: OrderedDict[str, float] = OrderedDict()  # client -> trusted until
        self._lock = threading.Lock()
        self._warned = -WARN_SECONDS
        self._down_until = 0.0  # monotonic time until which the database is not asked
        self._reading: dict[str, _Read] = {}  # client -> the count being read for it

    def _trusted(self, client: str) -> bool:
        with self._lock:
            until = self._clean.get(client)
            return until is not None and until > time.monotonic()

    def _trust(self, client: str) -> None:
        with self._lock:
            self._clean[client] = time.monotonic() + CLEAN_SECONDS
            self._clean.move_to_end(client)
            while len(self._clean) > MAX_CLIENTS:
                self._clean.popitem(last=False)

    def _distrust(self, client: str) -> None:
        with self._lock:
            self._clean.pop(client, None)

    def _shared_up(self) -> bool:
        return self.shared is not None and time.monotonic() >= self._down_until

    def _unavailable(self, exc: StorageUnavailableError) -> None:
        now = time.monotonic()
        self._down_until = now + BACKOFF_SECONDS
        if now - self._warned >= WARN_SECONDS:
            self._warned = now
            logger.warning("key failures counted in this worker only: the database is "
                           "unavailable", extra={"fields": {"reason": exc.reason or exc.message}})

    async def retry_after(self, client: str) -> float | None:
        """Seconds until ``client`` may send a keyed request again, or None when it may now."""
        if self.limit <= 0:
            return None
        wait = self.local.retry_after(client)  # failures counted while the database was down
        if wait is not None or not self._shared_up() or self._trusted(client):
            return wait
        try:
            counted = await self._count(client)
        except StorageUnavailableError as exc:
            self._unavailable(exc)
            return None
        if counted.count == 0:
            self._trust(client)
        return counted.retry_after(self.limit, self.window, time.time())

    async def _count(self, client: str) -> FailureCount:
        """``client``'s count from the database; requests that ask while a read for the same
        client is under way wait for that read instead of making their own."""
        pending = self._reading.get(client)
        if pending is not None:
            await pending.done.wait()
            if pending.counted is not None:
                return pending.counted
            if pending.error is not None:
                raise pending.error
            return await self._count(client)  # that read was cancelled: read again
        assert self.shared is not None
        pending = self._reading[client] = _Read(anyio.Event())
        try:
            pending.counted = await anyio.to_thread.run_sync(self.shared.count, client)
            return pending.counted
        except StorageUnavailableError as exc:
            pending.error = exc
            raise
        finally:
            del self._reading[client]
            pending.done.set()

    async def fail(self, client: str) -> None:
        """Count one wrong key from ``client``."""
        if self.limit <= 0:
            return
        self._distrust(client)
        if not self._shared_up():
            self.local.fail(client)
            return
        assert self.shared is not None
        try:
            await anyio.to_thread.run_sync(self.shared.fail, client)
        except StorageUnavailableError as exc:
            self._unavailable(exc)
            self.local.fail(client)


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


async def run_key_checks(request: Request, checks: Sequence[KeyCheck]) -> None:
    """Run a route's key checks for ``request``, counting wrong keys (429 past the limit).
    Once they have passed (in the body-limit middleware), the route does not run them again."""
    state = request.scope.setdefault("state", {})  # request.state's own dict (no exceptions)
    if state.get(CHECKED, False):
        return
    failures: SharedKeyFailures | None = getattr(request.app.state, "key_failures", None)
    client = client_address(request)
    if failures is not None:
        wait = await failures.retry_after(client)
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
            await failures.fail(client)
        raise
    state[CHECKED] = True


def route_key_checks(route: BaseRoute | None) -> Sequence[KeyCheck]:
    """The key checks of ``route`` (none for routes without keys, or no route)."""
    checks: Sequence[KeyCheck] = getattr(route, "key_checks", ())
    return checks


async def key_problem(scope: Scope, checks: Sequence[KeyCheck]) -> HypemeterError | None:
    """The 401/403/429 a request gets from its headers alone under the key checks of its
    route (:func:`route_key_checks`), or None (reads no body)."""
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


__all__: list[Any] = ["KeyFailures", "SharedKeyFailures", "key_problem", "problem_headers",
                     "run_key_checks"]
