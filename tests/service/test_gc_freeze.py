"""The worker takes what it holds for its whole life (modules, the app) out of the cyclic
collector's passes at startup, but not the model: a reload frees the old one, cycles included.

Without the freeze every full collection under load walked about 150,000 long-lived objects
(79 ms each, a pause of the event loop: docs/benchmarks.md). Checked in a process of its own,
as a worker starts (the freeze is made once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

STARTUP = """
import gc, json, sys
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings

app = create_app(Settings(models_dir=sys.argv[1], database_url=sys.argv[2]))
before = gc.get_freeze_count()
with TestClient(app) as client:
    status = client.get("/readyz").status_code
    loaded = app.state.holder.current
    seen = {id(o) for o in gc.get_objects()}  # frozen objects are in no generation
    print(json.dumps({"status": status, "before": before, "after": gc.get_freeze_count(),
                      "settings": id(app.state.settings) in seen,
                      "model": id(loaded) in seen, "scorer": id(loaded.scorer) in seen}))
"""


def test_startup_freezes_the_long_lived_objects_but_not_the_model(
        service_models_dir: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPEMETER_")}
    proc = subprocess.run(
        [sys.executable, "-c", STARTUP, str(service_models_dir),
         f"sqlite:///{tmp_path / 'db.sqlite'}"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["status"] == 200
    assert seen["before"] == 0
    assert seen["after"] > 10_000  # the imported modules at least
    assert not seen["settings"]  # the app's, frozen
    assert seen["model"] and seen["scorer"]  # the model's, still collectable
