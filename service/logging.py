"""Structured logs: one JSON object per line, and one access-log line per request.

The access log (logger ``hypemeter.access``) carries the request id, method, route template,
path, status and latency; never headers (so never keys) and never the request text unless
``HYPEMETER_LOG_REQUESTS_TEXT`` is on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

ACCESS_LOGGER = "hypemeter.access"
ROOT_LOGGER = "hypemeter"
MAX_LOGGED_TEXT = 4096

access_logger = logging.getLogger(ACCESS_LOGGER)


# one encoder for every line (``json.dumps`` with options builds a new one per call)
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON line; ``extra={"fields": {...}}`` adds top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            line.update(fields)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return _encode(line)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that always writes to the *current* ``sys.stderr``.

    Lines logged on a thread running an event loop are written together at the end of the
    loop's turn (one write for all the requests a turn answered, not a write and a flush for
    each: under load that write was a third of the event loop's time per request); lines
    logged on other threads are written at once, after any still waiting, so the order holds.
    ``flush`` (also at exit, by ``logging.shutdown``) writes what waits.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self._waiting: list[str] = []
        self._flush_on: asyncio.AbstractEventLoop | None = None  # where a flush is due

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:  # StreamHandler.__init__ assigns it
        pass

    def emit(self, record: logging.LogRecord) -> None:  # called holding the handler's lock
        try:
            self._waiting.append(self.format(record) + self.terminator)
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self._write()
                return
            if self._flush_on is not loop:  # (a loop that ended before its flush: this one)
                self._flush_on = loop
                loop.call_soon(self.flush)
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._flush_on = None
            with contextlib.suppress(OSError, ValueError):  # a closed or broken stderr
                self._write()

    def _write(self) -> None:
        waiting, self._waiting = self._waiting, []
        stream = self.stream
        if waiting:
            stream.write(waiting[0] if len(waiting) == 1 else "".join(waiting))
        stream.flush()


def configure_logging(level: str = "info") -> None:
    """Send ``hypemeter.*`` logs to stderr as JSON lines (idempotent)."""
    logger = logging.getLogger(ROOT_LOGGER)
    logger.setLevel(level.upper())
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    # Records still propagate: uvicorn configures no root handler, so nothing prints twice,
    # and an embedding application (or pytest's caplog) still sees them.


def log_access(fields: dict[str, Any]) -> None:
    """One access-log line: the record ``access_logger.info("request", extra={"fields":
    fields})`` makes, without looking up the caller's frame (this function is the caller);
    ``fields`` is the caller's own dict, handed over."""
    if access_logger.isEnabledFor(logging.INFO):
        access_logger.handle(access_logger.makeRecord(
            ACCESS_LOGGER, logging.INFO, __file__, _LOG_ACCESS_LINE, "request", (), None,
            "log_access", {"fields": fields}))


_LOG_ACCESS_LINE = log_access.__code__.co_firstlineno


def loggable_text(body: bytes) -> str:
    text = body[: MAX_LOGGED_TEXT * 4].decode("utf-8", errors="replace")
    return text[:MAX_LOGGED_TEXT]
