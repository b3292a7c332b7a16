"""The worker takes what it holds for its whole life (modules, the app) out of the cyclic
collector's passes at startup, but not the model: a reload frees the old one, cycles included.

Without the freeze every full collection under load walked about 150,000 long-lived objects
(75 ms each, a pause of the event loop: docs/benchmarks.md)."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings


def _collectable(obj: object) -> bool:
    """Whether the cyclic collector still looks at ``obj`` (frozen objects are in none of its
    generations)."""
    return any(o is obj for o in gc.get_objects())


def test_startup_freezes_the_long_lived_objects_but_not_the_model(
        service_models_dir: Path, tmp_path: Path) -> None:
    gc.unfreeze()  # what earlier tests in this process froze
    app = create_app(Settings(models_dir=service_models_dir,
                              database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"))
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        assert gc.get_freeze_count() > 10_000  # the imported modules at least
        assert not _collectable(app.state.settings)
        loaded = app.state.holder.current
        assert loaded is not None
        assert _collectable(loaded)
        assert _collectable(loaded.scorer)
