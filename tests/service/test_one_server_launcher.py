"""One way to start ``hypemeter serve`` for tests and benchmarks (tests/support/servers.py);
``benchmarks/serve_support.py`` only re-exports it with the scripts' defaults. Two copies had
drifted apart (one set ``HYPEMETER_MODELS_DIR``, one did not; they read ``/readyz``
differently)."""

from __future__ import annotations

import ast
import importlib.util
import signal
from pathlib import Path

import pytest
import support.servers as servers
from support.paths import REPO


def load_serve_support():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "serve_support", REPO / "benchmarks" / "serve_support.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmarks_use_the_tests_implementation() -> None:
    serve_support = load_serve_support()
    assert serve_support.Served is servers.Server
    assert serve_support.ServeError is servers.ServeError
    assert serve_support.free_port is servers.free_port
    tree = ast.parse((REPO / "benchmarks" / "serve_support.py").read_text(encoding="utf-8"))
    calls = {node.func.attr for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    assert "Popen" not in calls  # it starts no process of its own


@pytest.mark.slow
def test_a_benchmark_server_leads_its_group_and_stops_with_its_workers(
    bundle_dir: Path, tmp_path: Path
) -> None:
    import psutil

    serve_support = load_serve_support()
    served = serve_support.start_serve(bundle_dir, tmp_path, workers=2, timeout=180)
    try:
        workers = psutil.Process(served.proc.pid).children(recursive=True)
        assert workers and served.new_session
        served.signal(signal.SIGTERM)  # the group: the server and its workers
        assert served.stop(timeout=60) is not None
        _gone, alive = psutil.wait_procs(workers, timeout=30)
        assert not alive
    finally:
        served.stop(timeout=10)
