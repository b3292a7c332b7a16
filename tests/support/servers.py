"""A real ``hypemeter serve`` process for the tests: on a free loopback port, started from the
test's folder with none of the caller's ``HYPEMETER_*`` variables, its log in that folder.

The shared servers (one worker and two) are fixtures in :mod:`support.fixtures`; a test that
needs its own settings calls :func:`start_server`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hypemeter_command() -> list[str]:
    """The ``hypemeter`` console script, as a user runs it."""
    exe = Path(sys.executable).parent / "hypemeter"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("hypemeter")
    return [found] if found else [sys.executable, "-m", "hypemeter"]


def server_command(port: int, model: Path, model_flag: bool = True) -> list[str]:
    """``hypemeter serve``, as a user starts it (``model_flag``: with ``--model``; without,
    the model comes from ``$HYPEMETER_MODELS_DIR`` alone)."""
    flag = ["--model", str(model)] if model_flag else []
    return [*hypemeter_command(), "serve", "--host", "127.0.0.1", "--port", str(port), *flag]


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path
    stopped: bool = field(default=False)

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then the exit status (killed if it does not stop in ``timeout``)."""
        if not self.stopped:
            self.stopped = True
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return int(self.proc.returncode)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()


def start_server(model: Path, workdir: Path, env_extra: dict[str, str] | None = None,
                 ready_path: str = "/readyz", timeout: float = 90.0,
                 model_flag: bool = True) -> Server:
    """Start ``hypemeter serve --model model`` (``HYPEMETER_WORKERS`` in ``env_extra`` for
    several workers) and wait until ``ready_path`` answers 200; a server that exits, or whose
    model fails to load, fails the test with its log. A ``--model`` without a model bundle is
    an error: ``model_flag=False`` serves the folder through ``$HYPEMETER_MODELS_DIR`` (503
    until a model arrives)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPEMETER_")}
    env["HYPEMETER_MODELS_DIR"] = str(model)
    env.update(env_extra or {})
    log_path = workdir / f"server-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(server_command(port, model, model_flag), cwd=workdir, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    server = Server(proc, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url + ready_path, timeout=2) as resp:
                if resp.status == 200:
                    return server
        except urllib.error.HTTPError as exc:
            answer = exc.read().decode("utf-8", "replace")
            if exc.code == 503 and "(loading)" not in answer:  # the model failed to load
                server.stop()
                raise AssertionError(f"{ready_path}: {answer}\n{server.log()}") from None
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise AssertionError(f"server not ready after {timeout}s:\n{server.log()}")
