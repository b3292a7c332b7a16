"""The service app in-process, exactly as ``create_app`` builds it, and the error shape every
route answers with."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import EllipsisType
from typing import Any

import httpx
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings

from hypemeter.scoring.scorer import Scorer


def app_client(models_dir: Path, scorer: Scorer | None = None, **settings: Any) -> TestClient:
    """A client of a new app on ``models_dir`` with these settings; with ``scorer`` that model
    is served, without it the app loads ``current`` at startup like the real server. Use it in
    ``with`` (the lifespan runs on entry and exit). Without ``database_url`` the app gets a
    database of its own: what one test stores (corrections, wrong keys counted per client
    address, which every in-process client shares) must not reach the next test's app."""
    if "database_url" not in settings:
        folder = tempfile.mkdtemp(prefix="hypemeter-app-")
        settings["database_url"] = f"sqlite:///{folder}/hypemeter.db"
    return TestClient(create_app(Settings(models_dir=models_dir, **settings), scorer=scorer))


def assert_error(resp: httpx.Response, status: int, code: str,
                 field: str | EllipsisType | None = None) -> dict[str, Any]:
    """The answer is the API's JSON error: this status and code, a message, no traceback, and
    the field named (``None``: no field; ``...``: not checked). Returns the error object."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in resp.text
    if field is ...:
        pass
    elif field is None:
        assert "field" not in body["error"] or body["error"]["field"] is None
    else:
        assert body["error"].get("field") == field
    return dict(body["error"])
