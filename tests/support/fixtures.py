"""The fixtures the test folders share (loaded by ``tests/conftest.py`` as a plugin).

In-process apps, as ``create_app`` builds them on the test models dir (``service_models_dir``:
``current`` = ``v1``, ``v2``, ``tampered``):

- ``client``: the session's scorer served, no keys;
- ``keyed_client``: the same, ``HYPEMETER_API_KEY`` set;
- ``loaded_client``: loads ``current`` at startup like the real server, API and admin keys set;
- ``bare_client``: no model, the lifespan not run (routes that need no model).

Real ``hypemeter serve`` processes (:mod:`support.servers`):

- ``server``: one worker on the shipped model, no keys (session-wide: do not change its state);
- ``keyed_server``: the same with ``API_KEY`` and ``max_field_chars`` ``KEYED_MAX_FIELD_CHARS``;
- ``admin_server``: one worker on the test models dir with ``ADMIN_KEY`` (one per test);
- ``two_workers``: the same with ``HYPEMETER_WORKERS=2`` (one per test).

And ``access_log`` (the JSON access log lines of in-process apps), ``browser`` and ``page``
(Chromium, :mod:`support.browser`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from hypemeter.service.logging import ACCESS_LOGGER, JsonFormatter

from hypemeter.scoring.scorer import Scorer
from support.apps import app_client
from support.browser import CHROMIUM, CHROMIUM_ARGS, playwright_problem
from support.servers import Server, start_server
from support.texts import ADMIN_KEY, API_KEY

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

KEYED_MAX_FIELD_CHARS = 5000  # so a real 413 is cheap to provoke


# --------------------------------------------------------------------------- in-process apps


@pytest.fixture
def client(service_models_dir: Path, scorer: Scorer) -> Iterator[TestClient]:
    with app_client(service_models_dir, scorer) as c:
        yield c


@pytest.fixture
def keyed_client(service_models_dir: Path, scorer: Scorer) -> Iterator[TestClient]:
    with app_client(service_models_dir, scorer, api_key=API_KEY) as c:
        yield c


@pytest.fixture
def loaded_client(service_models_dir: Path) -> Iterator[TestClient]:
    with app_client(service_models_dir, admin_key=ADMIN_KEY, api_key=API_KEY) as c:
        yield c


@pytest.fixture
def bare_client(tmp_path: Path) -> TestClient:
    # No ``with``: the lifespan (model loading) does not run.
    return app_client(tmp_path)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(JsonFormatter().format(record))


@pytest.fixture
def access_log() -> Iterator[list[str]]:
    handler = _Collect()
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


# --------------------------------------------------------------------------- live servers


@pytest.fixture(scope="session")
def server(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(bundle_dir, tmp_path_factory.mktemp("server"))
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def keyed_server(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(bundle_dir, tmp_path_factory.mktemp("keyed-server"), {
        "HYPEMETER_API_KEY": API_KEY, "HYPEMETER_MAX_FIELD_CHARS": str(KEYED_MAX_FIELD_CHARS)})
    yield srv
    srv.stop()


@pytest.fixture
def admin_server(service_models_dir: Path, tmp_path: Path) -> Iterator[Server]:
    srv = start_server(service_models_dir, tmp_path, {"HYPEMETER_ADMIN_KEY": ADMIN_KEY})
    yield srv
    srv.stop()


@pytest.fixture
def two_workers(service_models_dir: Path, tmp_path: Path) -> Iterator[Server]:
    # HYPEMETER_WORKERS (not --workers): the documented setting does start two workers
    srv = start_server(service_models_dir, tmp_path,
                       {"HYPEMETER_ADMIN_KEY": ADMIN_KEY, "HYPEMETER_WORKERS": "2"},
                       timeout=120.0)
    yield srv
    srv.stop()


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module. Not longer: while Playwright's sync API is running, its
    event loop owns the thread, and every later test that calls ``asyncio.run`` fails with
    "Already running asyncio in this thread"."""
    problem = playwright_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page; JavaScript errors and CSP violations on it fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on(
        "console",
        lambda msg: errors.append(msg.text)
        if msg.type == "error" and "Content Security Policy" in msg.text else None,
    )
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
