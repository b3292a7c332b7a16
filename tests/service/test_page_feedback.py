"""The page's correction controls (service/web/static/feedback.js) in a real headless Chromium
against a real server with a SQLite feedback database: what the page sends is what the
database keeps, at the right code-point offsets (the texts hold emoji before the phrases)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypemeter.service.web import STATIC_DIR
from support.browser import api_score, score_and_wait
from support.servers import Server, start_server
from support.texts import ADMIN_KEY
from support.texts import EMOJI_BODY as BODY
from support.texts import EMOJI_HEADLINE as HEADLINE

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fb_server(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("page-feedback")
    srv = start_server(bundle_dir, workdir, {
        "HYPEMETER_DATABASE_URL": f"sqlite:///{workdir / 'feedback.db'}",
        "HYPEMETER_ADMIN_KEY": ADMIN_KEY,
    })
    yield srv
    srv.stop()


def stored(server: Server) -> list[dict[str, Any]]:
    req = urllib.request.Request(server.url + "/v1/feedback",
                                 headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return list(json.load(resp)["items"])


def select_text(page: Page, element_id: str, needle: str) -> None:
    """Select the first occurrence of needle (in one text node) inside the element."""
    page.evaluate(
        """([id, needle]) => {
            const root = document.getElementById(id);
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                const i = n.data.indexOf(needle);
                if (i >= 0) {
                    const r = document.createRange();
                    r.setStart(n, i); r.setEnd(n, i + needle.length);
                    const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
                    return;
                }
            }
            throw new Error("not found: " + needle);
        }""",
        [element_id, needle],
    )


def test_corrections_from_the_page_reach_the_database(page: Page, fb_server: Server) -> None:
    page.goto(fb_server.url + "/")
    assert page.locator("#feedback").is_hidden()  # nothing to correct before scoring
    page.fill("#headline", HEADLINE)
    page.fill("#body", BODY)
    score_and_wait(page)
    assert page.locator("#feedback").is_visible()
    _, result = api_score(fb_server, HEADLINE, BODY)
    head_spans = [s for s in result["spans"] if s["field"] == "headline"]
    assert head_spans

    # keyboard: answer "Sensational? no" and mark the first headline highlight "not loaded"
    page.focus("#fb-sens-yes")
    page.keyboard.press("ArrowRight")  # radio group: moves to and checks "No"
    assert page.locator("#fb-sens-no").is_checked()
    first = page.locator("#out-headline mark.hl").first
    first.focus()
    page.keyboard.press("Enter")
    assert "fb-not-loaded" in (first.get_attribute("class") or "")
    # mouse: select a phrase after an emoji in the body that the model did not flag
    flagged_body = {BODY[s["start"]:s["end"]] for s in result["spans"] if s["field"] == "body"}
    missed = next(w for w in ("happened", "Experts", "scheme") if w in BODY
                  and not any(w in f for f in flagged_body))
    select_text(page, "out-body", missed)
    page.click("#fb-mark-btn")
    assert page.locator("#fb-list li").count() == 2
    page.click("#fb-send-btn")
    page.locator("#fb-status", has_text="saved").wait_for(timeout=15_000)
    assert "Thank you" in (page.locator("#fb-status").text_content() or "")

    (item,) = stored(fb_server)
    assert item["headline"] == HEADLINE and item["body"] == BODY
    assert item["labels"] == {"sensational": 0}
    assert item["model_version"] == result["model"]["version"]
    spans = {(s["field"], s["verdict"]): s for s in item["spans"]}
    flagged = spans[("headline", "not_loaded")]
    mark_text = first.text_content() or ""
    assert HEADLINE[flagged["start"]:flagged["end"]] == mark_text.strip()  # code points
    loaded = spans[("body", "loaded")]
    assert BODY[loaded["start"]:loaded["end"]] == missed

    # Undo by keyboard
    page.locator("#fb-list li button").first.focus()
    page.keyboard.press("Enter")
    assert page.locator("#fb-list li").count() == 1


def test_keyboard_only_correction_with_a_typed_phrase(page: Page, fb_server: Server) -> None:
    page.goto(fb_server.url + "/")
    page.fill("#headline", HEADLINE)
    page.fill("#body", BODY)
    score_and_wait(page)
    before = len(stored(fb_server))
    page.focus("#fb-mis-yes")
    page.keyboard.press("Space")
    page.focus("#fb-missed")
    page.keyboard.type("no such words here")
    page.keyboard.press("Enter")
    assert "not in the headline" in (page.locator("#fb-status").text_content() or "")
    page.fill("#fb-missed", "")
    page.keyboard.type("Experts are terrified")
    page.keyboard.press("Enter")
    assert page.locator("#fb-list li").count() == 1
    page.focus("#fb-send-btn")
    page.keyboard.press("Enter")
    page.locator("#fb-status", has_text="saved").wait_for(timeout=15_000)
    items = stored(fb_server)
    assert len(items) == before + 1
    item = items[0]  # newest first
    assert item["labels"] == {"misinformation": 1}
    (span,) = item["spans"]
    assert span["verdict"] == "loaded" and span["field"] == "body"
    assert BODY[span["start"]:span["end"]] == "Experts are terrified"


def test_nothing_to_send_is_said_on_screen(page: Page, fb_server: Server) -> None:
    page.goto(fb_server.url + "/")
    page.fill("#headline", HEADLINE)
    score_and_wait(page)
    page.click("#fb-send-btn")
    assert "Nothing to send" in (page.locator("#fb-status").text_content() or "")
    assert all(i["body"] for i in stored(fb_server))  # this headline-only article never sent


def test_page_feedback_script_never_injects_html() -> None:
    js = (STATIC_DIR / "feedback.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in js
