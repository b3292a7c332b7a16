"""Two replicas on one database serving different base models (slow): each fits, activates
and serves the profile's adapter for its own base model, and neither refits, replaces or
switches off the other's (an adapter is only ever applied to the base model it was fitted
on). ``hypemeter serve --workers 2`` twice, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from profile_texts import newsroom
from support.servers import Server, start_profile_server

ADMIN_KEY = "replica-profiles-admin-42"
ADMIN = {"X-API-Key": ADMIN_KEY}

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("clean_env")]


def state(server: Server, name: str) -> dict[str, Any]:
    r = httpx.get(f"{server.url}/v1/profiles/{name}", headers=ADMIN, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def served_models(server: Server, name: str, art: dict[str, Any], n: int = 8
                  ) -> set[tuple[str, Any]]:
    """(base model version, adapter version) that ``n`` requests saw, over both workers."""
    seen = set()
    for _ in range(n):
        r = httpx.post(f"{server.url}/v1/score", json={
            "headline": art["headline"], "body": art["body"], "profile": name,
            "explain": False}, timeout=30)
        assert r.status_code == 200, r.text
        model = r.json()["model"]
        seen.add((model["version"], model["adapter_version"]))
    return seen


def adapted_on_own_model(server: Server, name: str, labels: int) -> dict[str, Any] | None:
    """The server's adapter once it is fitted on its own base model over ``labels`` labels."""
    s = state(server, name)
    adapter = s["adapter"]
    if (adapter and adapter["serving"] and not s["fit"]["pending"]
            and adapter["heads"]["sensationalism"]["labels"] == labels):
        return adapter  # type: ignore[no-any-return]
    return None


def wait_for(check: Any, timeout: float = 90.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {last}")


def test_replicas_on_different_base_models_keep_their_own_adapters(
    service_models_dir: Path, database_url: str, tmp_path: Path,
) -> None:
    # the fixture's two bundles: the same model under two versions (read from the bundles,
    # not written here)
    a = start_profile_server(service_models_dir / "v1", tmp_path, database_url, ADMIN_KEY)
    b = start_profile_server(service_models_dir / "v2", tmp_path, database_url, ADMIN_KEY)
    try:
        model_a = httpx.get(f"{a.url}/v1/model", timeout=30).json()["version"]
        model_b = httpx.get(f"{b.url}/v1/model", timeout=30).json()["version"]
        assert model_a != model_b
        assert httpx.post(f"{a.url}/v1/profiles", json={"name": "acme"}, headers=ADMIN,
                          timeout=30).status_code == 201
        probe = newsroom(3, seed=11)[1]
        arts = newsroom(30)
        for i, art in enumerate(arts):  # corrections through both replicas
            r = httpx.post(f"{(a, b)[i % 2].url}/v1/feedback", timeout=30, json={
                "headline": art["headline"], "body": art["body"], "profile": "acme",
                "labels": {"sensational": art["label"]}})
            assert r.status_code == 201, r.text

        # each replica fits the profile on its own base model and serves that adapter
        on_a = wait_for(lambda: adapted_on_own_model(a, "acme", 30), what="a's adapter")
        on_b = wait_for(lambda: adapted_on_own_model(b, "acme", 30), what="b's adapter")
        assert on_a["base_model_version"] == model_a and on_b["base_model_version"] == model_b
        assert on_a["version"] != on_b["version"]
        assert on_a["heads"]["sensationalism"]["active"]
        assert on_b["heads"]["sensationalism"]["active"]
        wait_for(lambda: served_models(a, "acme", probe) == {(model_a, on_a["version"])}
                 and served_models(b, "acme", probe) == {(model_b, on_b["version"])},
                 timeout=10, what="each replica scoring with its own model's adapter")

        # and it stays so: no replica re-requests or refits the other's (no ping-pong)
        # (a slow machine may fit during the burst, when it outlasts the longest wait)
        fits = state(a, "acme")["fit"]["fits"]
        assert 2 <= fits <= 10, f"{fits} fits for one burst on two base models"
        time.sleep(6)  # > the poll, debounce and longest wait together
        assert state(a, "acme")["fit"]["fits"] == fits
        assert served_models(a, "acme", probe) == {(model_a, on_a["version"])}
        assert served_models(b, "acme", probe) == {(model_b, on_b["version"])}

        # a new correction refits on both models, each replica moving to its own new version
        art = newsroom(1, seed=99)[0]
        assert httpx.post(f"{a.url}/v1/feedback", timeout=30, json={
            "headline": art["headline"], "body": art["body"], "profile": "acme",
            "labels": {"sensational": 1}}).status_code == 201
        new_a = wait_for(lambda: adapted_on_own_model(a, "acme", 31), what="a's refit")
        new_b = wait_for(lambda: adapted_on_own_model(b, "acme", 31), what="b's refit")
        assert new_a["base_model_version"] == model_a and new_b["base_model_version"] == model_b
        assert state(a, "acme")["fit"]["fits"] == fits + 2
    finally:
        a.stop()
        b.stop()
