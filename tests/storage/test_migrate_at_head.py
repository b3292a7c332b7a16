"""The schema check at start: a database at the newest revision is recognised with one query and
Alembic is neither imported nor run; anything else (empty, behind, ahead) still goes through
Alembic with its lock, as before."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import text

from hypemeter.errors import StorageUnavailableError
from hypemeter.storage import FeedbackStore, NewFeedback
from hypemeter.storage.migrate import _config, current_revision, head_revision

UPGRADE_AND_REPORT = (
    "import sys; from hypemeter.storage import FeedbackStore; "
    "s = FeedbackStore(sys.argv[1]); r = s.upgrade(patient=True); "
    "print(r, 'alembic' in sys.modules)"
)


def test_the_head_read_from_the_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    assert head_revision() == ScriptDirectory.from_config(_config()).get_current_head()


def upgrade_in_a_new_process(database_url: str) -> tuple[str, bool]:
    out = subprocess.run([sys.executable, "-c", UPGRADE_AND_REPORT, database_url],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    revision, imported = out.split()
    return revision, imported == "True"


def test_alembic_runs_only_when_there_is_something_to_migrate(database_url: str) -> None:
    assert upgrade_in_a_new_process(database_url) == (head_revision(), True)  # empty: migrated
    assert upgrade_in_a_new_process(database_url) == (head_revision(), False)  # at head
    store = FeedbackStore(database_url)
    assert current_revision(store.engine()) == head_revision()
    assert store.add(NewFeedback(headline="a", body="b", sensational=1)).id
    store.close()


def test_a_database_behind_the_head_is_still_migrated(database_url: str) -> None:
    from alembic import command

    store = FeedbackStore(database_url)
    cfg = _config()
    with store.engine().connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003_feedback_language")
        conn.commit()
    store.close()
    assert upgrade_in_a_new_process(database_url) == (head_revision(), True)
    store = FeedbackStore(database_url)
    assert current_revision(store.engine()) == head_revision()
    store.close()


def test_a_database_from_a_newer_hypemeter_is_refused_as_before(database_url: str) -> None:
    store = FeedbackStore(database_url)
    store.upgrade()
    with store.engine().begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    store.close()
    store = FeedbackStore(database_url)
    with pytest.raises(StorageUnavailableError) as caught:
        store.upgrade()
    assert "schema migration" in (caught.value.reason or "")
    store.close()
