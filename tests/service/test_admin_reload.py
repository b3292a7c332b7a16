"""``POST /v1/admin/reload``: the admin key, switching versions, and a bad reload that keeps
the old model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.apps import app_client, assert_error
from support.models import copy_bundle
from support.texts import ADMIN_KEY, API_KEY, BODY

# every test here starts without HYPEMETER_* settings (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("clean_env")


def test_reload_disabled_without_admin_key(client: TestClient) -> None:
    r = client.post("/v1/admin/reload", headers={"X-API-Key": "anything"})
    assert_error(r, 403, "forbidden")
    assert "HYPEMETER_ADMIN_KEY" in r.json()["error"]["message"]


def test_reload_needs_admin_key(loaded_client: TestClient) -> None:
    assert_error(loaded_client.post("/v1/admin/reload"), 401, "unauthorized")
    r = loaded_client.post("/v1/admin/reload", headers={"X-API-Key": API_KEY})
    assert_error(r, 401, "unauthorized")  # the API key does not open admin routes
    r = loaded_client.post("/v1/admin/reload", headers={"Authorization": "Bearer nope"})
    assert_error(r, 401, "unauthorized")


def test_reload_switches_versions(loaded_client: TestClient) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    api = {"X-API-Key": API_KEY}

    def served() -> str:
        r = loaded_client.post("/v1/score", json={"body": BODY}, headers=api)
        assert r.status_code == 200
        version = r.json()["model"]["version"]
        assert loaded_client.get("/readyz").json()["model"]["version"] == version
        assert loaded_client.get("/v1/model", headers=api).json()["version"] == version
        return str(version)

    assert served() == "v1"
    r = loaded_client.post("/v1/admin/reload", json={"version": "v2"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "reloaded", "model": {"name": "hypemeter", "version": "v2"},
                        "previous_version": "v1", "generation": 1,
                        "workers": {"total": 1, "on_version": 1, "failed": 0}}
    assert served() == "v2"
    assert 'hypemeter_model_info{name="hypemeter",version="v2"} 1.0' in (
        loaded_client.get("/metrics").text
    )
    assert 'version="v1"' not in loaded_client.get("/metrics").text
    # no body, and an empty object: back to `current`
    r = loaded_client.post("/v1/admin/reload", headers=admin)
    assert r.status_code == 200 and r.json()["model"]["version"] == "v1"
    r = loaded_client.post("/v1/admin/reload", json={}, headers=admin)
    assert r.status_code == 200 and r.json()["model"]["version"] == "v1"


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"version": "does-not-exist"}, 404, "model_version_not_found", "version"),
        ({"version": "tampered"}, 409, "model_checksum_mismatch", None),
        ({"version": "../v2"}, 422, "invalid_input", "version"),
        ({"version": ""}, 422, "invalid_input", "version"),
        ({"version": 2}, 422, "invalid_input", "version"),
        ({"version": "v2", "force": True}, 422, "invalid_input", "force"),
    ],
)
def test_bad_reload_keeps_old_model(
    loaded_client: TestClient, payload: dict[str, Any], status: int, code: str,
    field: str | None,
) -> None:
    admin = {"X-API-Key": ADMIN_KEY}
    r = loaded_client.post("/v1/admin/reload", json=payload, headers=admin)
    assert_error(r, status, code, field)
    assert loaded_client.get("/readyz").json()["model"]["version"] == "v1"
    r = loaded_client.post("/v1/score", json={"body": BODY}, headers={"X-API-Key": API_KEY})
    assert r.status_code == 200 and r.json()["model"]["version"] == "v1"
    if status in (404, 409):
        assert 'hypemeter_model_reloads_total{result="failed"} 1.0' in (
            loaded_client.get("/metrics").text
        )


def test_reload_fixes_a_failed_startup(tmp_path: Path, bundle_dir: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    with app_client(models, admin_key=ADMIN_KEY) as c:
        assert c.get("/readyz").status_code == 503
        copy_bundle(bundle_dir, models, "late")
        r = c.post("/v1/admin/reload", json={"version": "late"}, headers={"X-API-Key": ADMIN_KEY})
        assert r.status_code == 200 and r.json()["previous_version"] is None
        assert c.get("/readyz").status_code == 200
        assert c.post("/v1/score", json={"body": BODY}).json()["model"]["version"] == "late"


def test_reload_wrong_content_type(loaded_client: TestClient) -> None:
    r = loaded_client.post("/v1/admin/reload", content="version=v2",
                           headers={"X-API-Key": ADMIN_KEY, "Content-Type": "text/plain"})
    assert_error(r, 415, "unsupported_media_type")
