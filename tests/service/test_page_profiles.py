"""The page with ``?profile=NAME`` in a real headless Chromium against a real server (two
workers, a SQLite feedback database): it asks for a key, scores as the profile with a key of
it, sends the page's corrections to that profile, shows the profile's state, and shows the
adapted scores once the profile's adapter is fitted."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from profile_texts import newsroom
from support.browser import score_and_wait
from support.servers import Server, start_server
from support.texts import ADMIN, ADMIN_KEY

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def profile_server(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("page-profiles")
    srv = start_server(bundle_dir, workdir, {
        "HYPEMETER_WORKERS": "2",
        "HYPEMETER_DATABASE_URL": f"sqlite:///{workdir / 'feedback.db'}",
        "HYPEMETER_ADMIN_KEY": ADMIN_KEY, "HYPEMETER_PROFILE_POLL_SECONDS": "0.5",
        "HYPEMETER_PROFILE_DEBOUNCE_SECONDS": "0.3", "HYPEMETER_PROFILE_MAX_WAIT_SECONDS": "2",
    })
    yield srv
    srv.stop()


def api(server: Server, method: str, path: str, body: Any = None,
        headers: dict[str, str] | None = None) -> Any:
    r = httpx.request(method, server.url + path, json=body, headers=headers or ADMIN, timeout=30)
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


def corrections_of(server: Server, profile: str) -> list[dict[str, Any]]:
    req = urllib.request.Request(f"{server.url}/v1/feedback?profile={profile}&limit=500",
                                 headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return list(json.load(resp)["items"])


def test_the_page_scores_corrects_and_shows_a_profile(page: Page, profile_server: Server
                                                      ) -> None:
    srv = profile_server
    api(srv, "POST", "/v1/profiles", {"name": "kestrel"})
    key = api(srv, "POST", "/v1/keys", {"profile": "kestrel", "role": "correct"})["key"]
    art = newsroom(2, seed=7)[1]  # an "alarm desk" article (label 1)

    page.goto(srv.url + "/?profile=kestrel")
    assert page.locator("#key-row").is_visible()  # a profile needs its key on this server
    page.fill("#api-key", key)
    page.fill("#headline", art["headline"])
    page.fill("#body", art["body"])
    score_and_wait(page)
    page.locator("#status", has_text="Profile kestrel").wait_for(timeout=15_000)
    assert "not adapted yet (0 correction(s))" in (page.locator("#status").text_content() or "")

    # the page's correction goes to the profile (the key's own), and says so
    page.click("#fb-sens-yes")
    page.click("#fb-send-btn")
    page.locator("#fb-status", has_text="saved").wait_for(timeout=15_000)
    assert "The profile kestrel adapts" in (page.locator("#fb-status").text_content() or "")
    (item,) = corrections_of(srv, "kestrel")
    assert item["profile"] == "kestrel" and item["labels"] == {"sensational": 1}
    assert item["headline"] == art["headline"]

    # 39 more corrections from the newsroom: the adapter is fitted on all 40
    for other in newsroom(40, seed=3)[1:]:
        api(srv, "POST", "/v1/feedback", {"headline": other["headline"], "body": other["body"],
                                          "labels": {"sensational": other["label"]},
                                          "profile": "kestrel"})
    deadline = time.monotonic() + 90
    while True:
        state = api(srv, "GET", "/v1/profiles/kestrel")
        adapter = state["adapter"]
        if adapter and adapter["active"] and not state["fit"]["pending"] \
                and adapter["heads"]["sensationalism"]["labels"] == 40:
            break
        assert time.monotonic() < deadline, f"no adapter on 40 labels: {state}"
        time.sleep(0.3)
    time.sleep(1.5)  # > the poll: every worker has swapped the new adapter in

    score_and_wait(page)
    page.locator("#status", has_text="adapted on 40 corrections").wait_for(timeout=15_000)
    adapted = api(srv, "POST", "/v1/score", {"headline": art["headline"], "body": art["body"]},
                  headers={"Authorization": f"Bearer {key}"})
    base = api(srv, "POST", "/v1/score", {"headline": art["headline"], "body": art["body"]})
    assert adapted["model"]["adapter_version"] == adapter["version"]
    assert abs(adapted["scores"]["sensationalism"] - base["scores"]["sensationalism"]) > 0.01
    # the page shows the profile's adapted score, not the base model's
    assert page.locator("#sens-value").text_content() == \
        f"{adapted['scores']['sensationalism']:.2f}"
