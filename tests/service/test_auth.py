"""``HYPEMETER_API_KEY``: the routes it guards, the probes it does not, and keys never logged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings
from support.apps import assert_error
from support.texts import ADMIN_KEY, API_KEY, BODY

from hypemeter.scoring.scorer import Scorer

# every test here starts without HYPEMETER_* settings (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.mark.parametrize(
    "route", [("POST", "/v1/score", 200), ("POST", "/v1/score/batch", 200),
              ("GET", "/v1/model", 200),
              # the injected scorer's bundle has no such report file: a 404 `not_found` (not a
              # 401) shows the key was accepted
              ("GET", "/v1/model/report/calibration.png", 404)]
)
def test_api_key_required(keyed_client: TestClient, route: tuple[str, str, int]) -> None:
    method, path, expected = route
    payload = {"items": [{"body": BODY}]} if path.endswith("batch") else {"body": BODY}
    kwargs: dict[str, Any] = {"json": payload} if method == "POST" else {}
    r = keyed_client.request(method, path, **kwargs)
    assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    for bad in ({"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"},
                {"Authorization": f"Basic {API_KEY}"}, {"X-API-Key": API_KEY + "x"},
                {"X-API-Key": ""}):
        r = keyed_client.request(method, path, headers=bad, **kwargs)
        assert_error(r, 401, "unauthorized")
        assert API_KEY not in r.text
    for good in ({"X-API-Key": API_KEY}, {"Authorization": f"Bearer {API_KEY}"}):
        r = keyed_client.request(method, path, headers=good, **kwargs)
        if expected == 404:
            assert_error(r, 404, "not_found", "name")
        else:
            assert r.status_code == 200, r.text


def test_api_key_not_needed_for_probes(keyed_client: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert keyed_client.get(path).status_code == 200


def test_keys_never_logged(
    service_models_dir: Path, scorer: Scorer, access_log: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(models_dir=service_models_dir, api_key=API_KEY, admin_key=ADMIN_KEY)
    with TestClient(create_app(settings, scorer=scorer)) as c:
        c.post("/v1/score", json={"body": BODY}, headers={"Authorization": f"Bearer {API_KEY}"})
        c.post("/v1/score", json={"body": BODY}, headers={"X-API-Key": "wrong-key-abc"})
        c.post("/v1/admin/reload", headers={"X-API-Key": ADMIN_KEY})
    captured = capsys.readouterr()
    everything = "\n".join(access_log) + captured.out + captured.err
    for secret in (API_KEY, ADMIN_KEY, "wrong-key-abc"):
        assert secret not in everything
    assert API_KEY not in repr(settings) and ADMIN_KEY not in str(settings.model_dump())
