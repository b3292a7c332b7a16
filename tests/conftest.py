"""Shared fixtures: the shipped model bundle to test against, a scorer over it, the test models
dir and the feedback databases; the apps, servers and browser are in ``support/fixtures.py``.

``bundle_dir`` is the shipped default model, ``models/current``. If it does not load (through
the same path as the CLI and the server, smoke test included) every test that uses it fails:
a broken shipped model must never pass the suite on a stand-in.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.models import copy_bundle
from support.paths import SHIPPED

from hypemeter.bundles.bundle import load_bundle
from hypemeter.errors import HypemeterError
from hypemeter.scoring.scorer import Scorer, load_scorer

pytest_plugins = ["support.fixtures"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test sees no ``HYPEMETER_*`` variable of the caller's environment and leaves none
    behind, not even those set straight in ``os.environ`` (``hypemeter serve`` does, for its
    workers); the caller's come back afterwards. Use it with
    ``pytestmark = pytest.mark.usefixtures("clean_env")``."""
    for name in list(os.environ):
        if name.startswith("HYPEMETER_"):
            monkeypatch.delenv(name)
    yield
    for name in [n for n in os.environ if n.startswith("HYPEMETER_")]:
        del os.environ[name]  # then monkeypatch restores the caller's


@pytest.fixture(scope="session")
def bundle_dir() -> Path:
    try:
        load_scorer(SHIPPED)
    except HypemeterError as exc:
        pytest.fail(f"the shipped model {SHIPPED} does not load: {exc.message}", pytrace=False)
    return SHIPPED.resolve()


@pytest.fixture(scope="session")
def scorer(bundle_dir: Path) -> Scorer:
    return Scorer(load_bundle(bundle_dir))


@pytest.fixture(scope="session")
def service_models_dir(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models dir for the service tests (treat as read-only).

    ``v1`` (``current``, with a ``report/`` folder and a recorded measurement), ``v2``, and
    ``tampered`` (a model file that no longer matches its card's sha256).
    """
    from hypemeter.bundles.bundle import publish_current, record_measurement

    models = tmp_path_factory.mktemp("service-models")
    v1 = copy_bundle(bundle_dir, models, "v1")
    record_measurement(v1, "scoring", "python benchmarks/bench_scoring.py --record",
                       {"with_explanations": {"articles_per_cpu_second": 1234.5}})
    copy_bundle(bundle_dir, models, "v2")
    tampered = copy_bundle(bundle_dir, models, "tampered")
    with (tampered / "model.pkl.gz").open("ab") as fh:
        fh.write(b"\0tampered")
    report = v1 / "report"
    (report / "figures").mkdir(parents=True)
    (report / "calibration.png").write_bytes(b"\x89PNG\r\n\x1a\nnot-really-a-png")
    (report / "figures" / "roc.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (report / "summary.json").write_text('{"ok": true}')
    (report / ".hidden").write_text("secret")
    (report / "escape.json").symlink_to(v1 / "card.json")
    publish_current(models, "v1")
    return models


def pytest_configure(config: pytest.Config) -> None:
    """Point the user data folder (where the default feedback database and trained models
    live) at a temporary folder before anything is collected, so apps built at import time and
    servers started by the tests never read or write the real home folder (a database migrated
    by another checkout there broke collection)."""
    import os
    import tempfile

    config._hypemeter_xdg = tempfile.mkdtemp(prefix="hypemeter-tests-xdg-")  # type: ignore[attr-defined]
    os.environ["XDG_DATA_HOME"] = config._hypemeter_xdg  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    shutil.rmtree(getattr(config, "_hypemeter_xdg", ""), ignore_errors=True)


# --------------------------------------------------------------------------- feedback databases

DATABASE_BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """A real PostgreSQL server for the session (skipped locally, failed under CI, when the
    binaries are missing; see tests/support/postgres.py)."""
    from support.postgres import require_postgres, running_postgres

    with running_postgres(require_postgres()) as server:
        yield server


@pytest.fixture(params=DATABASE_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty feedback database: a SQLite file, then a database on the real
    PostgreSQL server (the same tests run against both)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feedback.db'}"
    import uuid

    server = request.getfixturevalue("postgres")
    return server.create_database(f"t_{uuid.uuid4().hex[:16]}")  # type: ignore[attr-defined]
