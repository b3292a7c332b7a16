"""One way for the benchmark scripts to run ``hypemeter serve``: :func:`start_serve` starts it
on a free loopback port with a clean environment (no ``HYPEMETER_*`` variable of the caller's
but those given), its output in a log file, and waits until it is ready: ``/readyz`` answers
200 (or the script's own ``ready`` check passes). A server that exits, reports a failed model
load or is not ready in time is stopped and raises :class:`ServeError` with the log's tail.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx


class ServeError(RuntimeError):
    """``hypemeter serve`` exited, failed to load its model, or was not ready in time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_command() -> list[str]:
    """The ``hypemeter`` of this interpreter's environment (``python -m hypemeter`` without)."""
    exe = Path(sys.executable).parent / "hypemeter"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "hypemeter"]


def readyz(url: str) -> bool:
    """Ready once ``/readyz`` answers 200; a 503 that is not "loading" is a failed model load."""
    try:
        answer = httpx.get(url + "/readyz", timeout=1)
    except httpx.TransportError:
        return False
    if answer.status_code == 200:
        return True
    if "(loading)" not in answer.text:
        raise ServeError(f"/readyz: {answer.status_code} {answer.text[:300]}")
    return False


@dataclass
class Served:
    """A running ``hypemeter serve``: its process (the leader of its own process group when
    started with ``new_session``), base URL and log file."""

    proc: subprocess.Popen[bytes]
    url: str
    log: Path
    new_session: bool = True

    def signal(self, sig: int) -> None:
        """``sig`` to the server and its workers (its group), or to the server alone."""
        if self.proc.poll() is not None:
            return
        if self.new_session:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
        self.signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            return self.proc.wait()

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def start_serve(
    model: Path,
    workdir: Path,
    env: Mapping[str, str] | None = None,
    *,
    workers: int | None = None,
    log_name: str = "server.log",
    timeout: float = 120.0,
    ready: Callable[[str], bool] = readyz,
    new_session: bool = True,
) -> Served:
    """``hypemeter serve --model MODEL`` on a free loopback port, run in ``workdir`` with
    ``env`` as its only ``HYPEMETER_*`` settings, its output in ``workdir/log_name`` (which
    may hold ``{port}``); returns once ``ready(url)`` is true."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HYPEMETER_")}
    environ.update(env or {})
    argv = [*serve_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--model", str(model)]
    if workers is not None:
        argv += ["--workers", str(workers)]
    log = Path(workdir) / log_name.format(port=port)
    with log.open("wb") as fh:
        proc = subprocess.Popen(argv, cwd=workdir, env=environ, stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=new_session)
    served = Served(proc, f"http://127.0.0.1:{port}", log, new_session)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ServeError(f"hypemeter serve exited ({proc.returncode})")
            if ready(served.url):
                return served
            time.sleep(0.1)
        raise ServeError(f"hypemeter serve was not ready within {timeout:.0f}s")
    except BaseException as exc:
        served.stop(timeout=10)
        if isinstance(exc, ServeError):
            raise ServeError(f"{exc}; {log}:\n{served.log_tail()}") from None
        raise


__all__ = ["ServeError", "Served", "free_port", "readyz", "serve_command", "start_serve"]
