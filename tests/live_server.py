"""A real ``hypemeter serve`` process for the tests (on a free loopback port, its log in the
test's folder): the page, docs and client tests start theirs with :func:`start_server`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from hypemeter.paths import REPO_ROOT


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(port: int, model: Path, model_flag: bool = True) -> list[str]:
    """``hypemeter serve``, as a user starts it (``model_flag``: with ``--model``; without,
    the model comes from ``$HYPEMETER_MODELS_DIR`` alone)."""
    exe = Path(sys.executable).parent / "hypemeter"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "hypemeter"]
    flag = ["--model", str(model)] if model_flag else []
    return [*cmd, "serve", "--host", "127.0.0.1", "--port", str(port), *flag]


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]


def start_server(model: Path, workdir: Path, env_extra: dict[str, str] | None = None,
                 ready_path: str = "/readyz", timeout: float = 90.0,
                 model_flag: bool = True) -> Server:
    """``hypemeter serve`` on a free port, ready. A ``--model`` without a model bundle is an
    error; pass ``model_flag=False`` to serve an empty models folder (503 until a model)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPEMETER_")}
    env["HYPEMETER_MODELS_DIR"] = str(model)
    env.update(env_extra or {})
    log_path = workdir / f"server-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            server_command(port, model, model_flag), cwd=REPO_ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT,
        )
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
        time.sleep(0.2)
    server.stop()
    raise AssertionError(f"server not ready after {timeout}s:\n{server.log()}")
