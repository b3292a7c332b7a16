"""PostgreSQL connections that cannot hang: a psycopg connection whose every wait for the
server (statements, commits, the pool's ping) ends after the time left
(:func:`hypemeter.storage.deadline.seconds_left`), and connect arguments that bound the rest
on the server side (``statement_timeout``, ``lock_timeout``,
``idle_in_transaction_session_timeout``) and the connection itself (``connect_timeout``).

A wait that runs out closes the connection (its state is unknown) and raises
``psycopg.OperationalError``, which SQLAlchemy takes as a disconnect: the pool drops it and the
store answers 503 ``database_unavailable``.
"""

from __future__ import annotations

import math
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from hypemeter.storage.deadline import seconds_left

MIN_CONNECT_SECONDS = 2  # libpq's (and psycopg's) smallest connect_timeout
NO_TIME_LEFT = 0.05  # seconds: less than this left, a new connection is not even tried
# What psycopg's wait raises when its timeout expires (not exported under a public name).
_WAIT_TIMEOUT: type[BaseException] = getattr(pg_errors, "_WaitTimeout", pg_errors.OperationalError)


def server_options(timeout: float) -> str:
    """``options`` for libpq: the server ends statements and lock waits after ``timeout`` and
    sessions idle in a transaction (a client that hung) after four times that."""
    ms = max(1, int(timeout * 1000))
    return (f"-c statement_timeout={ms} -c lock_timeout={ms} "
            f"-c idle_in_transaction_session_timeout={4 * ms}")


def connect_args(timeout: float, url_options: str | None = None) -> dict[str, Any]:
    options = server_options(timeout)
    return {
        "connect_timeout": max(MIN_CONNECT_SECONDS, math.ceil(timeout)),
        "options": f"{url_options} {options}" if url_options else options,
    }


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose waits for the server end after :attr:`io_timeout` seconds,
    or sooner when the store operation's deadline comes first."""

    io_timeout: float = 5.0

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        left = seconds_left(self.io_timeout)
        if timeout is not None:
            left = min(left, timeout)
        if left <= 0:
            gen.close()
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database call ran out of time ({self.io_timeout:g} s per operation)"
            )
        try:
            return super().wait(gen, interval=interval, timeout=left)
        except _WAIT_TIMEOUT:
            self.pgconn.finish()  # mid-exchange: the connection's state is unknown
            raise psycopg.OperationalError(
                f"the database did not answer within {left:.1f} s "
                f"(HYPEMETER_DATABASE_TIMEOUT={self.io_timeout:g})"
            ) from None


def bounded_connect(timeout: float, cargs: Any, cparams: dict[str, Any]) -> BoundedConnection:
    """Open a :class:`BoundedConnection`; ``connect_timeout`` is cut to the time left (libpq
    waits at least 2 s) and the attempt refused when no time is left (a frozen server: the
    pool's ping used it all)."""
    left = seconds_left(timeout)
    if left < NO_TIME_LEFT:
        raise psycopg.OperationalError(
            f"no time left to connect to the database ({max(left, 0):.1f} s of the "
            f"{timeout:g} s per operation)"
        )
    params = {**cparams, "connect_timeout": max(MIN_CONNECT_SECONDS, math.ceil(left))}
    conn = BoundedConnection.connect(*cargs, **params)
    conn.io_timeout = timeout
    return conn
