"""How the benchmark scripts run ``hypemeter serve``: the tests' implementation
(``tests/support/servers.py``), with the defaults the scripts want. :func:`start_serve`
starts it on a free loopback port with a clean environment (no ``HYPEMETER_*`` variable of the
caller's but those given), its output in a log file, as the leader of its own process group,
and waits until it is ready; :class:`ServeError` says why it did not get there.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.servers import (
    ServeError,
    free_port,
    readyz,
    start_server,
)
from support.servers import Server as Served
from support.servers import hypemeter_command as serve_command


def start_serve(model: Path, workdir: Path, env: Mapping[str, str] | None = None, *,
                workers: int | None = None, log_name: str = "server.log",
                timeout: float = 120.0, ready: Callable[[str], bool] | None = None,
                new_session: bool = True) -> Served:
    """``hypemeter serve --model MODEL`` in ``workdir``; returns once it is ready."""
    return start_server(model, workdir, env, timeout=timeout, workers=workers,
                        log_name=log_name, ready=ready, new_session=new_session)


__all__ = ["ServeError", "Served", "free_port", "readyz", "serve_command", "start_serve"]
