"""A real ``hypemeter serve`` process on a free loopback port, started from a given folder with
none of the caller's ``HYPEMETER_*`` variables, its log in that folder: the one implementation
the tests and the benchmark scripts share (``benchmarks/serve_support.py`` re-exports it).

The tests' shared servers (one worker and two) are fixtures in :mod:`support.fixtures`; a test
that needs its own settings calls :func:`start_server`. A server that exits, reports a failed
model load or is not ready in time is stopped and raises :class:`ServeError` with its log's
tail.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx


class ServeError(AssertionError):
    """``hypemeter serve`` exited, failed to load its model, or was not ready in time (an
    AssertionError: in a test it is a failure)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hypemeter_command() -> list[str]:
    """The ``hypemeter`` console script of this interpreter's environment, as a user runs it
    (``python -m hypemeter`` without one)."""
    exe = Path(sys.executable).parent / "hypemeter"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("hypemeter")
    return [found] if found else [sys.executable, "-m", "hypemeter"]


def server_command(port: int, model: Path, model_flag: bool = True,
                   workers: int | None = None) -> list[str]:
    """``hypemeter serve``, as a user starts it (``model_flag``: with ``--model``; without,
    the model comes from ``$HYPEMETER_MODELS_DIR`` alone)."""
    flag = ["--model", str(model)] if model_flag else []
    argv = [*hypemeter_command(), "serve", "--host", "127.0.0.1", "--port", str(port), *flag]
    return argv + (["--workers", str(workers)] if workers is not None else [])


def readyz(url: str, path: str = "/readyz") -> bool:
    """Ready once ``path`` answers 200; a 503 that is not "loading" is a failed model load."""
    try:
        answer = httpx.get(url + path, timeout=2)
    except httpx.TransportError:
        return False
    if answer.status_code == 200:
        return True
    if answer.status_code == 503 and "(loading)" not in answer.text:
        raise ServeError(f"{path}: {answer.status_code} {answer.text[:300]}")
    return False


@dataclass
class Server:
    """A running ``hypemeter serve``: its process (the leader of its own process group when
    started with ``new_session``), base URL and log file."""

    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path
    new_session: bool = False
    stopped: bool = field(default=False)

    def signal(self, sig: int) -> None:
        """``sig`` to the server and its workers (its group), or to the server alone."""
        if self.proc.poll() is not None:
            return
        if self.new_session:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then the exit status (SIGKILL if it has not exited within ``timeout``)."""
        if not self.stopped:
            self.stopped = True
            self.signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                return self.proc.wait()
        return int(self.proc.returncode)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_lines()[-lines:])
        except OSError:
            return ""


def start_server(model: Path, workdir: Path, env_extra: Mapping[str, str] | None = None,
                 ready_path: str = "/readyz", timeout: float = 90.0,
                 model_flag: bool = True, *, workers: int | None = None,
                 log_name: str = "server-{port}.log",
                 ready: Callable[[str], bool] | None = None,
                 new_session: bool = False) -> Server:
    """Start ``hypemeter serve --model model`` (``workers``, or ``HYPEMETER_WORKERS`` in
    ``env_extra``, for several workers) in ``workdir`` with ``env_extra`` as its only
    ``HYPEMETER_*`` settings besides ``HYPEMETER_MODELS_DIR``, its output in
    ``workdir/log_name`` (which may hold ``{port}``), and wait until ``ready_path`` answers
    200 (or ``ready(url)`` is true). A ``--model`` without a model bundle is an error:
    ``model_flag=False`` serves the folder through ``$HYPEMETER_MODELS_DIR`` (503 until a
    model arrives). ``new_session``: the server leads its own process group, so that
    :meth:`Server.signal` reaches its workers too."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPEMETER_")}
    env["HYPEMETER_MODELS_DIR"] = str(model)
    env.update(env_extra or {})
    log_path = Path(workdir) / log_name.format(port=port)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(server_command(port, model, model_flag, workers), cwd=workdir,
                                env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=new_session)
    server = Server(proc, f"http://127.0.0.1:{port}", log_path, new_session)
    is_ready = ready or (lambda url: readyz(url, ready_path))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ServeError(f"hypemeter serve exited with {proc.returncode}")
            if is_ready(server.url):
                return server
            time.sleep(0.1)
        raise ServeError(f"hypemeter serve was not ready after {timeout:.0f}s")
    except BaseException as exc:
        server.stop(timeout=10)
        if isinstance(exc, ServeError):
            raise ServeError(f"{exc}; {log_path}:\n{server.log_tail()}") from None
        raise


__all__ = ["ServeError", "Server", "free_port", "hypemeter_command", "readyz",
           "server_command", "start_server"]


def start_profile_server(models: Path, workdir: Path, database_url: str,
                         admin_key: str) -> Server:
    """``serve --workers 2`` on ``database_url`` with the profile timings shortened (poll and
    debounce 0.5 s, at most 3 s before a refit), as the live profile tests need them."""
    return start_server(models, workdir, {
        "HYPEMETER_WORKERS": "2", "HYPEMETER_DATABASE_URL": database_url,
        "HYPEMETER_ADMIN_KEY": admin_key, "HYPEMETER_PROFILE_POLL_SECONDS": "0.5",
        "HYPEMETER_PROFILE_DEBOUNCE_SECONDS": "0.5", "HYPEMETER_PROFILE_MAX_WAIT_SECONDS": "3"})
