"""The page's Example button takes the previous article's result off the screen (issue 22,
item 7): scores, highlights and the correction controls belonged to the old text. In a real
headless Chromium against a real server (fixtures from tests/support)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from support.browser import score_and_wait
from support.servers import Server
from support.texts import BODY, HEADLINE

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

pytestmark = pytest.mark.slow


def test_example_clears_the_previous_result(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    page.fill("#headline", HEADLINE)
    page.fill("#body", BODY)
    score_and_wait(page)
    assert page.locator("#out-body mark").count() > 0
    assert page.locator("#feedback").is_visible()
    page.click("#example-btn")
    assert page.input_value("#headline") != HEADLINE
    assert page.locator("#results-body").is_hidden()
    assert page.locator("#results-empty").is_visible()
    assert page.locator("#feedback").is_hidden()
    assert page.locator("#out-body mark").count() == 0 or \
        not page.locator("#out-body").is_visible()
    score_and_wait(page)  # and the example scores as before
    assert page.locator("#feedback").is_visible()
    assert page.locator("#model-version").text_content()


def test_example_while_scoring_drops_the_late_answer(
    page: Page, server: Server,
) -> None:
    """A result that arrives after Example was pressed is for the old text: never shown."""
    page.goto(server.url + "/")
    page.fill("#body", BODY)
    held: list[Route] = []
    page.route("**/v1/score", lambda route: held.append(route))  # held until Example
    page.click("#score-btn")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page sent no score request"
    page.click("#example-btn")
    held[0].continue_()
    page.wait_for_timeout(2000)  # the answer arrives, for the old text
    assert page.locator("#results-body").is_hidden()
    assert "fictional" in (page.locator("#status").text_content() or "")
    assert page.locator("#score-btn").is_enabled()  # not left busy
