"""Profiles on real servers (slow): ``hypemeter serve --workers 2`` on SQLite and on the real
PostgreSQL the tests start, and a second server on the same database.

* concurrent corrections: debounced (a few fits, not one per correction), one fit at a time
  (the lease: no two fits of the profile overlap, across workers), none lost;
* propagation: a new adapter reaches every worker and the second server within seconds;
* a base-model reload: base scores (``adapter_version`` null) until the profile is refitted
  on the new model.
"""

from __future__ import annotations

import itertools
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from profile_texts import newsroom
from support.servers import Server, start_profile_server

from hypemeter.storage import FeedbackStore
from hypemeter.storage.profiles import ProfileStore

ADMIN_KEY = "live-profiles-admin-42"
ADMIN = {"X-API-Key": ADMIN_KEY}

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("clean_env")]


def state(url: str, name: str) -> dict[str, Any]:
    r = httpx.get(f"{url}/v1/profiles/{name}", headers=ADMIN, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def wait_until(check: Any, timeout: float = 90.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}: {last}")


def score_versions(url: str, name: str, art: dict[str, Any], n: int = 8) -> set[Any]:
    """The adapter versions ``n`` requests saw (spread over both workers by the kernel)."""
    seen = set()
    for _ in range(n):
        r = httpx.post(f"{url}/v1/score", json={"headline": art["headline"],
                                                "body": art["body"], "profile": name},
                       timeout=30)
        assert r.status_code == 200, r.text
        seen.add(r.json()["model"]["adapter_version"])
    return seen


def fit_intervals(*servers: Server) -> list[tuple[float, float]]:
    out = []
    for server in servers:
        for line in server.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if '"profile adapter fitted"' not in line:
                continue
            rec = json.loads(line)
            end = datetime.fromisoformat(rec["ts"]).timestamp()
            out.append((end - rec["seconds"], end))
    return sorted(out)


def test_profiles_across_workers_and_servers(service_models_dir: Path, database_url: str,
                                             tmp_path: Path) -> None:
    a = start_profile_server(service_models_dir, tmp_path, database_url, ADMIN_KEY)
    b = start_profile_server(service_models_dir, tmp_path, database_url, ADMIN_KEY)
    try:
        r = httpx.post(f"{a.url}/v1/profiles", json={"name": "acme"}, headers=ADMIN, timeout=30)
        assert r.status_code == 201, r.text
        probe = newsroom(3, seed=11)[1]
        assert score_versions(b.url, "acme", probe, 2) == {None}  # b caches the profile

        # 1. a burst of 60 concurrent corrections, half to each server
        arts = newsroom(60)

        def send(i: int) -> None:
            url = (a if i % 2 else b).url
            body = {"headline": arts[i]["headline"], "body": arts[i]["body"],
                    "labels": {"sensational": arts[i]["label"]}, "profile": "acme"}
            resp = httpx.post(f"{url}/v1/feedback", json=body, timeout=30)
            assert resp.status_code == 201, resp.text

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(send, range(60)))
        done = wait_until(lambda: (s := state(a.url, "acme"))["adapter"]
                          and s["adapter"]["heads"]["sensationalism"]["labels"] == 60
                          and not s["fit"]["pending"] and s, what="the fit on 60 labels")
        version = done["adapter"]["version"]
        assert done["adapter"]["heads"]["sensationalism"]["active"]
        fits = done["fit"]["fits"]
        assert 1 <= fits <= 12, f"{fits} fits for 60 corrections: not debounced"
        intervals = fit_intervals(a, b)
        assert len(intervals) == fits
        for (_, end), (start, _) in itertools.pairwise(intervals):
            assert start >= end - 0.05, f"two fits of one profile overlapped: {intervals}"

        # 2. every worker of both servers serves the new version within seconds
        t0 = time.monotonic()
        wait_until(lambda: score_versions(a.url, "acme", probe) == {version}
                   and score_versions(b.url, "acme", probe) == {version},
                   timeout=10, what="the new adapter on every worker")
        assert time.monotonic() - t0 <= 5.0

        # 3. a new base model: base scores until the refit on it
        r = httpx.post(f"{a.url}/v1/admin/reload", json={"version": "v2"}, headers=ADMIN,
                       timeout=60)
        assert r.status_code in (200, 202), r.text
        refit = wait_until(lambda: (s := state(a.url, "acme"))["adapter"]["base_model_version"]
                           == "v2" and s["adapter"]["active"] and s, what="the refit on v2")
        assert refit["adapter"]["version"] > version
        assert refit["adapter"]["heads"]["sensationalism"]["labels"] == 60
        wait_until(lambda: score_versions(a.url, "acme", probe) == {refit["adapter"]["version"]},
                   timeout=10, what="the refitted adapter on server a")
    finally:
        a.stop()
        b.stop()
    store = FeedbackStore(database_url)
    fit_state = ProfileStore(store).fit_state("acme")
    store.close()
    assert fit_state is not None and fit_state["requested"] == fit_state["fitted"]
    assert fit_state["holder"] is None
