"""The page (issue 24) in a real headless Chromium against a real server: text in a language
the model does not read shows a clear message instead of scores; English still scores and the
message goes away. Uses the browser, page and server fixtures of tests/support."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from support.browser import api_score, score_and_wait
from support.servers import Server

from hypemeter.paths import REPO_ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Page

ITEMS = {json.loads(line)["id"]: json.loads(line) for line in
         (REPO_ROOT / "tests" / "fixtures" / "languages.jsonl").read_text("utf-8").splitlines()}


@pytest.mark.slow
def test_text_in_another_language_says_so_instead_of_scores(
        page: Page, server: Server) -> None:
    german = ITEMS["de-sober-1"]
    status, payload = api_score(server, german["headline"], german["body"])
    assert status == 422 and payload["error"]["code"] == "unsupported_language"
    page.goto(server.url + "/")
    page.fill("#headline", german["headline"])
    page.fill("#body", german["body"])
    page.click("#score-btn")
    page.wait_for_function("() => document.getElementById('error').textContent.length > 0")
    text = page.locator("#error").text_content() or ""
    assert "not in a language the model reads" in text
    assert "German (de)" in text and payload["error"]["message"] in text
    assert page.locator("#results-body").is_hidden()

    english = ITEMS["en-sensational-1"]
    page.fill("#headline", english["headline"])
    page.fill("#body", english["body"])
    score_and_wait(page)
    assert page.locator("#error").text_content() == ""
    status, result = api_score(server, english["headline"], english["body"])
    assert status == 200 and result["language"] == "en"
    assert page.locator("#sens-value").text_content() == \
        f"{result['scores']['sensationalism']:.2f}"
