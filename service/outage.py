"""What the service does when the feedback database fails a request: a warning in the log
with the driver's reason (at most one per ``interval`` seconds per worker, with the count of
the 503s it stands for) and a ``Retry-After`` header on the 503.

The limiter lives on ``app.state`` (one per app), not in a module global.
"""

from __future__ import annotations

import logging
import threading
import time

from hypemeter.errors import StorageUnavailableError

logger = logging.getLogger("hypemeter.service")

RETRY_AFTER_SECONDS = 5
LOG_INTERVAL_SECONDS = 10.0


class OutageLog:
    """Logs database outages, rate-limited: the first 503 is logged at once, later ones at
    most once per ``interval`` seconds (each line says how many 503s it covers)."""

    def __init__(self, interval: float = LOG_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._unlogged = 0

    def record(self, exc: StorageUnavailableError, path: str) -> bool:
        """Count one 503; True when this call wrote the log line."""
        now = time.monotonic()
        with self._lock:
            self._unlogged += 1
            if now - self._last < self.interval:
                return False
            count, self._unlogged, self._last = self._unlogged, 0, now
        logger.warning(
            "feedback database unavailable: answering 503",
            extra={"fields": {"reason": exc.reason or exc.message, "path": path[:256],
                              "responses_503": count,
                              "log_interval_s": self.interval}},
        )
        return True
