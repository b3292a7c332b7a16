"""Time limits on database work: every call waits at most the database timeout
(``HYPEMETER_DATABASE_TIMEOUT``, default 5 s), and one store operation as a whole (pool
checkout, ping, reconnect, statements, commit) at most that long too.

:func:`deadline` sets the end of the current operation for this thread;
:func:`seconds_left` is what the PostgreSQL connection (:mod:`hypemeter.storage.postgres`)
waits at most for its next answer. A frozen server (``SIGSTOP``, a hung host) thus costs a
request the timeout, not minutes: the server's own ``statement_timeout`` cannot help when the
server itself does not run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_TIMEOUT_SECONDS = 5.0

_local = threading.local()


@contextmanager
def deadline(seconds: float, *, fresh: bool = False) -> Iterator[None]:
    """Everything the current thread does with the database inside ends within ``seconds``
    (an enclosing deadline that ends sooner stays in force, unless ``fresh``: the schema
    migration on a store's first use gets its own time)."""
    outer: float | None = getattr(_local, "at", None)
    at = time.monotonic() + seconds
    _local.at = at if outer is None or fresh else min(outer, at)
    try:
        yield
    finally:
        _local.at = outer


def seconds_left(limit: float) -> float:
    """The time the next database wait may take: ``limit``, or less when the current
    operation's deadline comes sooner (0 or below: it has passed)."""
    at: float | None = getattr(_local, "at", None)
    return limit if at is None else min(limit, at - time.monotonic())
