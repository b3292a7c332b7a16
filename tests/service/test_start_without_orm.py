"""The service's start leaves SQLAlchemy's ORM and the table declarations unimported (issue 21,
cold start): building the app and checking a database already at the newest schema need Core
alone. The first query that reads or writes a table imports them, and answers as before.

A fresh interpreter per case (what a start imports is the question), the real app factory
and a real SQLite database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import REPO

from hypemeter.storage import FeedbackStore

SCRIPT = """
import json, sys
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings

settings = Settings(models_dir=sys.argv[2], database_url=sys.argv[1])
app = create_app(settings)
store = app.state.feedback
revision = store.upgrade(patient=True)  # what the lifespan does before ready
out = {"revision": revision, "orm_at_ready": "sqlalchemy.orm" in sys.modules,
       "tables_at_ready": "hypemeter.storage.tables" in sys.modules}
out["listed"] = len(store.list(limit=5)[0])
out["counted"] = app.state.key_failures.shared.count("192.0.2.1").count
out["orm_after_queries"] = "sqlalchemy.orm" in sys.modules
print(json.dumps(out))
"""

pytestmark = pytest.mark.usefixtures("clean_env")


def start(url: str, models: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, url, str(models)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_start_on_a_database_at_head_imports_no_orm(tmp_path: Path,
                                                     service_models_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'feedback.db'}"
    store = FeedbackStore(url)
    head = store.upgrade()
    store.close()
    out = start(url, service_models_dir)
    assert out["revision"] == head
    assert out["orm_at_ready"] is False
    assert out["tables_at_ready"] is False
    assert out["listed"] == 0 and out["counted"] == 0  # the tables answer once asked
    assert out["orm_after_queries"] is True
