"""A real PostgreSQL server for the tests: ``initdb`` + ``pg_ctl`` in a temporary folder,
listening on a free loopback port (Debian's ``postgresql`` package, binaries under
``/usr/lib/postgresql/*/bin``; ``.ci/run`` installs it).

``initdb`` refuses to run as root, so under root the cluster is created and run as the
``postgres`` user (the Debian package creates it), else ``nobody``, through ``runuser``; the
temporary folder is created outside pytest's private (0700, root-owned) tree and handed to
that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

DB_USER = "hypemeter"


def postgres_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has initdb and pg_ctl."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit()
        else 0,
    )
    for initdb in reversed(found):
        folder = Path(initdb).parent
        if (folder / "pg_ctl").exists():
            return folder
    return None


def require_postgres() -> Path:
    """The binaries folder, or skip (locally) / fail (under CI) when PostgreSQL is absent."""
    folder = postgres_bin()
    if folder is None:
        problem = ("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin "
                   "(apt-get install postgresql)")
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    return folder


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> list[str]:
    """The prefix that runs a command as an unprivileged user (empty when we are not root)."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        if shutil.which("runuser"):
            return ["runuser", "-u", name, "--"]
        if shutil.which("setpriv"):
            entry = pwd.getpwnam(name)
            return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}",
                    "--clear-groups"]
    raise RuntimeError("running as root and no postgres/nobody user to run initdb as")


@dataclass
class PostgresServer:
    url: str
    port: int
    data_dir: Path
    bin_dir: Path
    prefix: list[str]

    def stop(self) -> None:
        subprocess.run(
            [*self.prefix, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m",
             "immediate", "-w", "stop"],
            capture_output=True, check=False, timeout=60,
        )

    def create_database(self, name: str) -> str:
        """A fresh, empty database on this server; returns its URL."""
        subprocess.run(
            [*self.prefix, str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p",
             str(self.port), "-U", DB_USER, name],
            capture_output=True, check=True, timeout=60,
        )
        return self.url.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def running_postgres(bin_dir: Path) -> Iterator[PostgresServer]:
    root = Path(tempfile.mkdtemp(prefix="hypemeter-pg-"))
    prefix = _run_as()
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if prefix:
        user = prefix[2] if prefix[0] == "runuser" else None
        entry = pwd.getpwnam(user) if user else pwd.getpwuid(
            int(prefix[1].split("=", 1)[1]))
        for path in (root, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    log = root / "server.log"
    try:
        subprocess.run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", DB_USER, "-A", "trust",
             "-E", "UTF8", "--no-sync", "--locale=C"],
            capture_output=True, check=True, timeout=120,
        )
        opts = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=50")
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts,
             "-w", "-t", "60", "start"],
            capture_output=True, check=True, timeout=90,
        )
        server = PostgresServer(
            url=f"postgresql+psycopg://{DB_USER}@127.0.0.1:{port}/postgres",
            port=port, data_dir=data, bin_dir=bin_dir, prefix=prefix,
        )
        _wait_ready(server)
        try:
            yield server
        finally:
            server.stop()
    except subprocess.CalledProcessError as exc:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(
            f"could not start PostgreSQL: {exc.cmd}: {exc.stderr!r}\n{tail}"
        ) from exc
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(server: PostgresServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", server.port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not start listening")


def postgres_processes(server: PostgresServer) -> list[psutil.Process]:
    """The postmaster and every process it started (backends, background workers)."""
    pid = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    master = psutil.Process(pid)
    return [master, *master.children(recursive=True)]


@contextmanager
def frozen(server: PostgresServer) -> Iterator[None]:
    """Every PostgreSQL process stopped (SIGSTOP) inside, resumed (SIGCONT) after: a hung
    host whose TCP still answers."""
    procs = postgres_processes(server)
    for p in procs:
        os.kill(p.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for p in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGCONT)
