"""``hypemeter serve``: run the app factory under uvicorn.

Settings come from ``HYPEMETER_*`` environment variables; command-line arguments override them
by being written back into the environment, so every uvicorn worker process (which builds its
own app with :func:`hypemeter.service.app.create_app`) sees the same configuration.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType

import uvicorn
from hypemeter.service.protocol import GuardedHttpToolsProtocol
from hypemeter.service.settings import Settings
from pydantic import ValidationError

APP_FACTORY = "hypemeter.service.app:create_app"
RUN_DIR_ENV = "HYPEMETER_RUN_DIR"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus_client itself


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
    except (RuntimeError, OSError) as exc:  # --model a symlink loop (RuntimeError < 3.13)
        print(f"hypemeter serve: error: --model {model}: {exc}", file=sys.stderr)
        return 2
    problem = broken_current(settings)
    if problem is not None:
        print(f"hypemeter serve: error: {problem}", file=sys.stderr)
        return 2
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal; turn that second
    # delivery into a clean exit so `hypemeter serve` exits 0 after a graceful stop.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_cleanly) if in_main else None
    saved = {name: os.environ.get(name) for name in (RUN_DIR_ENV, MULTIPROC_ENV)}
    run_dir = make_run_dir(settings)
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
            http=GuardedHttpToolsProtocol,
            timeout_keep_alive=settings.keepalive_timeout,
        )
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    finally:
        if in_main and previous is not None:
            signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(run_dir, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return 0


def broken_current(settings: Settings) -> str | None:
    """Why the models folder's ``current`` link cannot be followed (a symlink loop), or None.
    Every worker would fail on it, so serve stops before starting any."""
    from hypemeter.bundles.bundle import CURRENT, follow_link
    from hypemeter.errors import ModelLoadError

    current = Path(settings.models_dir) / CURRENT
    if settings.model_version is not None or not current.is_symlink():
        return None
    try:
        follow_link(current)
    except ModelLoadError as exc:
        return exc.message
    return None


def make_run_dir(settings: Settings) -> Path:
    """A fresh folder the workers share (:mod:`hypemeter.service.rollout` and the Prometheus
    multiprocess files), passed to them through the environment; removed when serve ends."""
    base = settings.run_dir
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="hypemeter-run-", dir=base))
    os.environ[RUN_DIR_ENV] = str(run_dir)
    # The multiprocess mode is chosen when prometheus_client is first imported: with one
    # worker uvicorn runs the app in this process, where it may already be imported.
    if settings.workers > 1 or "prometheus_client" not in sys.modules:
        metrics_dir = run_dir / "metrics"
        metrics_dir.mkdir()
        os.environ[MULTIPROC_ENV] = str(metrics_dir)
    return run_dir
