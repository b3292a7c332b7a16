"""``hypemeter serve``: run the app factory under uvicorn.

Settings come from ``HYPEMETER_*`` environment variables; command-line arguments override them
by being written back into the environment, so every uvicorn worker process (which builds its
own app with :func:`hypemeter.service.app.create_app`) sees the same configuration.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import uvicorn
from hypemeter.service.settings import Settings
from pydantic import ValidationError

APP_FACTORY = "hypemeter.service.app:create_app"


def apply_overrides(
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    model: Path | str | None = None,
) -> Settings:
    """Write CLI overrides into the environment and return the resulting settings."""
    if host is not None:
        os.environ["HYPEMETER_HOST"] = host
    if port is not None:
        os.environ["HYPEMETER_PORT"] = str(port)
    if workers is not None:
        os.environ["HYPEMETER_WORKERS"] = str(workers)
    if model is not None:
        os.environ["HYPEMETER_MODELS_DIR"] = str(Path(model).expanduser().resolve())
    return Settings()  # validates everything now, before any worker starts


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    model: Path | str | None = None,
) -> int:
    """Run the server until SIGINT/SIGTERM; returns 0 after a graceful shutdown on SIGTERM."""
    try:
        settings = apply_overrides(host, port, workers, model)
    except ValidationError as exc:
        problems = "; ".join(
            f"HYPEMETER_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        print(f"hypemeter serve: error: invalid settings: {problems}", file=sys.stderr)
        return 2
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal; turn that second
    # delivery into a clean exit so `hypemeter serve` exits 0 after a graceful stop.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_cleanly) if in_main else None
    try:
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
            access_log=False,  # the app writes its own structured access log
            server_header=False,
            proxy_headers=False,
        )
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    finally:
        if in_main and previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0
