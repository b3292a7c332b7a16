"""The web page (``GET /``): route tests in-process, and end-to-end tests in a real headless
Chromium (Debian's ``/usr/bin/chromium`` driven by Playwright) against a real server process.

The browser tests need ``apt-get install -y chromium`` and ``pip install playwright`` (no
``playwright install``: the system Chromium is used). Without them they are skipped locally and
fail under CI (``CI`` set). Screenshots go to ``artifacts/``; ``docs/screenshot.png`` (the one in
the README) is written when missing or when ``HYPEMETER_UPDATE_SCREENSHOT=1``.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypemeter.service.web import STATIC_DIR, router
from support.apps import app_client
from support.browser import ARTIFACTS, api_score, score_and_wait
from support.fixtures import KEYED_MAX_FIELD_CHARS
from support.paths import REPO
from support.servers import Server, start_server
from support.texts import API_KEY
from support.texts import EMOJI_BODY as BODY
from support.texts import EMOJI_HEADLINE as HEADLINE

if TYPE_CHECKING:
    from playwright.sync_api import Page

DOCS_SCREENSHOT = REPO / "docs" / "screenshot.png"


# --------------------------------------------------------------------------- helpers


# JS run in the page: each highlight of a rendered field, with its offset in that field's text
# measured from the DOM (UTF-16 prefix length, and code points as the API counts them).
MARKS_JS = """(id) => {
  const root = document.getElementById(id);
  return [...root.querySelectorAll("mark")].map((m) => {
    const range = document.createRange();
    range.setStart(root, 0);
    range.setEndBefore(m);
    const prefix = range.toString();
    const desc = document.getElementById(m.getAttribute("aria-describedby") || "");
    return {
      text: m.textContent,
      start: [...prefix].length,
      end: [...prefix].length + [...m.textContent].length,
      units: prefix.length,
      category: m.dataset.category,
      tabindex: m.tabIndex,
      description: desc ? desc.textContent : null,
    };
  });
}"""


def rendered_marks(page: Page, element_id: str) -> list[dict[str, Any]]:
    return list(page.evaluate(MARKS_JS, element_id))


def active_id(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement ? document.activeElement.id : ''"))


def tab_until(page: Page, predicate_js: str, limit: int = 25) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(predicate_js):
            return
    raise AssertionError(f"Tab never reached an element matching {predicate_js}")


def check_rendered_spans(page: Page, field: str, text: str, spans: list[dict[str, Any]]) -> int:
    """The rendered field reads exactly as the input, and every API span is highlighted at
    its offsets with its text. Returns how many highlights sit after an astral character."""
    element_id = f"out-{field}"
    assert page.locator(f"#{element_id}").text_content() == text
    marks = rendered_marks(page, element_id)
    expected = sorted((s for s in spans if s["field"] == field), key=lambda s: s["start"])
    assert [(m["start"], m["end"], m["text"], m["category"]) for m in marks] == [
        (s["start"], s["end"], s["text"], s["category"]) for s in expected
    ]
    for mark, span in zip(marks, expected, strict=True):
        assert mark["text"] == text[span["start"]:span["end"]]
        assert mark["tabindex"] == 0
        assert mark["description"] and f"{span['weight']:.2f}" in mark["description"]
    return sum(1 for m in marks if m["units"] != m["start"])


# --------------------------------------------------------------------------- route tests


def test_page_is_html_with_embedded_config_and_security_headers(bare_client: TestClient) -> None:
    resp = bare_client.get("/")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    assert resp.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    assert resp.headers["x-content-type-options"] == "nosniff"
    match = re.search(r'<script id="page-config" type="application/json">(.*?)</script>', resp.text)
    assert match is not None
    assert json.loads(match.group(1))["api_key_required"] is False
    assert re.search(r'src="static/app\.js\?v=[0-9a-f]{16}"', resp.text)
    assert re.search(r'href="static/style\.css\?v=[0-9a-f]{16}"', resp.text)
    again = bare_client.get("/", headers={"If-None-Match": resp.headers["etag"]})
    assert again.status_code == 304
    assert bare_client.head("/").status_code == 200


def test_page_config_says_a_key_is_needed_but_never_shows_it(tmp_path: Path) -> None:
    secret = "do-not-leak-this-key-123"
    client = app_client(tmp_path, api_key=secret)  # the page router comes from create_app
    page = client.get("/")
    config = client.get("/v1/page-config")
    assert config.status_code == 200
    assert config.json()["api_key_required"] is True
    assert config.headers["cache-control"] == "no-store"
    assert secret not in page.text and secret not in config.text
    assert '"api_key_required":true' in page.text


def test_page_config_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    app = FastAPI()
    app.include_router(router)
    client = TestClient(app)
    monkeypatch.delenv("HYPEMETER_API_KEY", raising=False)
    assert client.get("/v1/page-config").json()["api_key_required"] is False
    monkeypatch.setenv("HYPEMETER_API_KEY", "from-env-0123456789")
    resp = client.get("/v1/page-config")
    assert resp.json()["api_key_required"] is True
    assert "from-env-0123456789" not in resp.text


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("index.html", "text/html; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ],
)
def test_static_assets_have_content_types_and_cache_headers(
    bare_client: TestClient, name: str, content_type: str
) -> None:
    resp = bare_client.get(f"/static/{name}")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == content_type
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.content == (STATIC_DIR / name).read_bytes()
    etag = resp.headers["etag"]
    assert "max-age=300" in resp.headers["cache-control"]
    versioned = bare_client.get(f"/static/{name}?v={etag.strip(chr(34))}")
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert bare_client.get(f"/static/{name}", headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/static/../routes.py",
        "/static/..%2Froutes.py",
        "/static/%2e%2e/routes.py",
        "/static/..%5Croutes.py",
        "/static/%2E%2E%2F%2E%2E%2Fapp.py",
        "/static/routes.py",
        "/static/.hidden",
        "/static/",
        "/static/nope.js",
        "/static/app.js%00.css",
        "/static//etc/passwd",
        "/static/%2Fetc%2Fpasswd",
    ],
)
def test_static_route_serves_nothing_outside_its_folder(bare_client: TestClient, path: str) -> None:
    resp = bare_client.get(path)
    assert resp.status_code == 404
    assert "import" not in resp.text  # no Python source leaked
    if resp.headers.get("content-type", "").startswith("application/json"):
        assert resp.json()["error"]["code"] == "not_found"


def test_static_allowlist_skips_symlinks_and_unknown_types(tmp_path: Path) -> None:
    from hypemeter.service.web.routes import load_asset, static_names

    (tmp_path / "ok.css").write_text("a{}")
    (tmp_path / "secret.py").write_text("x = 1")
    (tmp_path / ".env.js").write_text("x")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.js"
    outside.write_text("leak")
    (tmp_path / "link.js").symlink_to(outside)
    assert static_names(tmp_path) == {"ok.css"}
    assert load_asset("link.js", tmp_path) is None
    assert load_asset("../" + outside.name, tmp_path) is None
    asset = load_asset("ok.css", tmp_path)
    assert asset is not None and asset.content_type == "text/css; charset=utf-8"


def test_static_files_are_package_data() -> None:
    import tomllib

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["hypemeter.service"]
    assert "web/static/*" in patterns
    for name in ("index.html", "app.js", "style.css"):
        assert (STATIC_DIR / name).is_file()


def test_page_never_injects_html() -> None:
    """User text reaches the DOM only through textContent / text nodes."""
    js = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in js


# --------------------------------------------------------------------------- browser tests


def shot(page: Page, name: str, docs: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True, animations="disabled")
    if docs and (not DOCS_SCREENSHOT.exists() or os.environ.get("HYPEMETER_UPDATE_SCREENSHOT")):
        # The README picture: from the top of the page to the end of the result panel.
        box = page.locator("#results").bounding_box()
        assert box is not None
        height = int(box["y"] + box["height"] + 20)
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(
            path=str(DOCS_SCREENSHOT), full_page=True, animations="disabled",
            clip={"x": 0, "y": 0, "width": 1280, "height": height},
        )
        assert DOCS_SCREENSHOT.stat().st_size < 300_000


@pytest.mark.slow
def test_paste_score_and_see_highlights_at_the_right_characters(
    page: Page, server: Server
) -> None:
    page.goto(server.url + "/")
    assert page.title().startswith("hypemeter")
    assert page.locator("#key-row").is_hidden()  # this server needs no key
    page.fill("#headline", HEADLINE)
    page.fill("#body", BODY)
    score_and_wait(page)

    status, result = api_score(server, HEADLINE, BODY)
    assert status == 200
    scores = result["scores"]
    assert page.locator("#sens-value").text_content() == f"{scores['sensationalism']:.2f}"
    assert page.locator("#mis-value").text_content() == f"{scores['misinformation_risk']:.2f}"
    sens_meaning = page.locator("#sens-meaning").text_content() or ""
    assert sens_meaning.startswith(f"{scores['sensationalism']:.2f} — ")
    assert "not a fact-check" in (page.locator("#mis-meaning").text_content() or "")
    assert page.locator("#sens-bar").get_attribute("aria-valuenow") is not None
    assert page.locator("#model-version").text_content() == result["model"]["version"]

    spans = result["spans"]
    assert any(s["field"] == "headline" for s in spans)
    assert any(s["field"] == "body" for s in spans)
    shifted = check_rendered_spans(page, "headline", HEADLINE, spans)
    shifted += check_rendered_spans(page, "body", BODY, spans)
    assert shifted > 0, "no highlight sits after an emoji: the astral-offset path went untested"

    legend = page.locator("#legend li").all_text_contents()
    assert len(legend) == len({s["category"] for s in spans})
    assert page.locator("#error").text_content() == ""

    # Hovering a highlight shows its category and weight.
    first = page.locator("#out-body mark").first
    first.hover()
    tooltip = page.locator("#tooltip")
    assert tooltip.is_visible()
    assert "weight" in (tooltip.text_content() or "")
    shot(page, "page.png")


@pytest.mark.slow
def test_example_button_fills_the_fields_and_scores(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    page.click("#example-btn")
    headline = page.input_value("#headline")
    body = page.input_value("#body")
    assert headline and body and len(body) > 200
    assert "fictional" in (page.locator("#status").text_content() or "")
    score_and_wait(page)
    status, result = api_score(server, headline, body)
    assert status == 200
    assert result["scores"]["sensationalism"] >= 0.5  # the example is meant to be sensational
    check_rendered_spans(page, "headline", headline, result["spans"])
    check_rendered_spans(page, "body", body, result["spans"])
    assert page.locator("mark").count() >= 3
    page.locator("#out-body mark").nth(1).focus()  # show a tooltip in the README picture
    assert page.locator("#tooltip").is_visible()
    shot(page, "page-example.png", docs=True)


@pytest.mark.slow
def test_empty_submission_shows_the_422_message(page: Page, server: Server) -> None:
    status, payload = api_score(server, "", "")
    assert status == 422
    page.goto(server.url + "/")
    page.click("#score-btn")
    error = page.locator("#error")
    error.wait_for(state="visible")
    page.wait_for_function("() => document.getElementById('error').textContent.length > 0")
    text = error.text_content() or ""
    assert "Nothing to score yet" in text
    assert payload["error"]["message"] in text
    assert page.locator("#error").get_attribute("role") == "alert"
    field = payload["error"].get("field") or "body"
    assert page.locator(f"#{field}").get_attribute("aria-invalid") == "true"
    assert active_id(page) == field  # focus moved to the field to fix
    assert page.locator("#results-body").is_hidden()
    shot(page, "page-error-422.png")
    page.type(f"#{field}", "x")  # typing clears the error
    assert page.locator(f"#{field}").get_attribute("aria-invalid") is None
    assert error.text_content() == ""


@pytest.mark.slow
def test_keyboard_only_flow(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    tab_until(page, "() => document.activeElement.id === 'headline'")
    page.keyboard.type("Outrageous scandal SHOCKS the nation")
    page.keyboard.press("Tab")
    assert active_id(page) == "body"
    page.keyboard.type("Experts are terrified. You won't believe what happened next.")
    page.keyboard.press("Tab")
    assert active_id(page) == "score-btn"
    page.keyboard.press("Enter")
    page.wait_for_selector("#results-body", state="visible", timeout=30_000)
    assert active_id(page) == "score-btn"  # focus stays where the user is
    first_sens = page.locator("#sens-value").text_content()

    # Change the text from the keyboard and score again with Space.
    page.keyboard.press("Shift+Tab")
    assert active_id(page) == "body"
    page.keyboard.press("Control+A")
    page.keyboard.type("The council met on Tuesday and approved the budget for next year.")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.wait_for_function(
        "(before) => document.getElementById('out-body').textContent.startsWith('The council')",
        arg=first_sens,
    )

    # Score the sensational text again, then Tab into the highlights: each is focusable and
    # shows its category and weight on focus, like on hover.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("You won't believe what happened next. Act now before it's too late!")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelectorAll('#out-body mark').length > 0", timeout=30_000
    )
    tab_until(page, "() => document.activeElement.tagName === 'MARK'")
    tooltip = page.locator("#tooltip")
    assert tooltip.is_visible()
    focused_desc = page.evaluate(
        "() => document.getElementById("
        "document.activeElement.getAttribute('aria-describedby')).textContent"
    )
    assert "weight" in focused_desc
    assert tooltip.text_content() == focused_desc
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")  # visible focus
    page.keyboard.press("Escape")
    assert tooltip.is_hidden()
    shot(page, "page-keyboard.png")


@pytest.mark.slow
def test_api_key_field_401_and_413(page: Page, keyed_server: Server) -> None:
    page.goto(keyed_server.url + "/")
    html = page.content()
    assert API_KEY not in html
    assert page.locator("#key-row").is_visible()
    page.fill("#headline", HEADLINE)
    page.fill("#body", BODY)
    page.click("#score-btn")
    page.wait_for_function("() => document.getElementById('error').textContent.length > 0")
    assert "API key" in (page.locator("#error").text_content() or "")
    assert active_id(page) == "api-key"
    shot(page, "page-error-401.png")

    page.fill("#api-key", "wrong-key")
    page.click("#score-btn")
    page.wait_for_function(
        "() => document.getElementById('error').textContent.includes('not accepted')"
    )

    page.fill("#api-key", API_KEY)
    score_and_wait(page)
    assert page.locator("#error").text_content() == ""
    status, result = api_score(keyed_server, HEADLINE, BODY, key=API_KEY)
    assert status == 200
    check_rendered_spans(page, "body", BODY, result["spans"])
    stored = page.evaluate("() => sessionStorage.getItem('hypemeter.apiKey')")
    assert stored is None  # not remembered unless asked

    page.fill("#body", "word " * (KEYED_MAX_FIELD_CHARS // 5 + 10))
    page.click("#score-btn")
    page.wait_for_function(
        "() => document.getElementById('error').textContent.includes('too long')"
    )
    assert str(KEYED_MAX_FIELD_CHARS) in (page.locator("#error").text_content() or "")
    shot(page, "page-error-413.png")


@pytest.mark.slow
def test_no_model_503_and_network_errors_are_readable(
    page: Page, tmp_path: Path
) -> None:
    empty = tmp_path / "no-models"
    empty.mkdir()
    # the folder comes from $HYPEMETER_MODELS_DIR (an explicit --model must hold a model)
    srv = start_server(empty, tmp_path, ready_path="/healthz", model_flag=False)
    try:
        page.goto(srv.url + "/")
        page.fill("#body", BODY)
        page.click("#score-btn")
        page.wait_for_function("() => document.getElementById('error').textContent.length > 0")
        assert "not ready" in (page.locator("#error").text_content() or "")
        shot(page, "page-error-503.png")
    finally:
        srv.stop()
    # The server is gone now: the same click is a network error.
    page.click("#score-btn")
    page.wait_for_function(
        "() => document.getElementById('error').textContent.includes('Could not reach')"
    )
    assert page.locator("body").is_visible()


@pytest.mark.slow
def test_spans_in_any_order_overlapping_or_misplaced_are_handled(
    page: Page, server: Server
) -> None:
    """The page's guards, with a crafted API answer (the real API never sends such spans)."""
    headline = '<img src=x onerror="window.pwned=1"> 👍🏽 big news'
    body = "a😀b SHOCK c 👍🏽 the end"

    def span(field: str, text: str, piece: str, category: str, weight: float,
             start: int | None = None) -> dict[str, Any]:
        s = text.index(piece) if start is None else start
        return {"field": field, "start": s, "end": s + len(piece), "text": piece,
                "category": category, "weight": weight}

    spans = [
        span("body", body, "end", "slogan", 0.5, start=1),  # wrong offsets: found by text
        span("body", body, "👍🏽", "mystery_kind", 0.7),  # astral, unknown category
        span("body", body, "SHOCK c", "exaggeration", 0.6),  # overlaps the next one
        span("body", body, "SHOCK", "loaded_language", 0.9),
        {"field": "body", "start": 400, "end": 410, "text": "gone", "category": "doubt",
         "weight": 0.3},  # out of range, text absent: skipped
        span("headline", headline, "big news", "clickbait", 0.8),
        {"field": "caption", "start": 0, "end": 1, "text": "x", "category": "doubt",
         "weight": 0.1},  # unknown field: ignored
    ]
    answer = {"id": None, "scores": {"sensationalism": 0.42, "misinformation_risk": 0.05},
              "spans": spans, "model": {"name": "hypemeter", "version": "crafted"}}
    page.route("**/v1/score", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(answer)))
    page.goto(server.url + "/")
    page.fill("#headline", headline)
    page.fill("#body", body)
    score_and_wait(page)

    assert page.locator("#out-headline").text_content() == headline
    assert page.locator("#out-headline img").count() == 0
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("#out-body").text_content() == body
    marks = rendered_marks(page, "out-body")
    assert [(m["text"], m["category"]) for m in marks] == [
        ("SHOCK", "loaded_language"), ("👍🏽", "mystery_kind"), ("end", "slogan")]
    for m in marks:
        assert body[m["start"]:m["end"]] == m["text"]
    assert [m["text"] for m in rendered_marks(page, "out-headline")] == ["big news"]
    assert "Mystery kind" in " ".join(page.locator("#legend li").all_text_contents())
    assert "3 phrase(s) could not be placed" in (page.locator("#phrases-summary").text_content()
                                                   or "")
    assert page.locator("#model-version").text_content() == "crafted"
    assert "somewhat sensational" in (page.locator("#sens-meaning").text_content() or "")


SHADES_JS = """(id) => [...document.getElementById(id).querySelectorAll("span.sent")].map((s) => ({
  text: s.textContent, score: s.dataset.score, marks: s.querySelectorAll("mark").length,
  alpha: Number((getComputedStyle(s).backgroundColor.match(/[\\d.]+(?=\\))/) || ["0"])[0]),
}))"""


@pytest.mark.slow
def test_sentences_are_shaded_under_the_highlights(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    page.fill("#headline", HEADLINE)
    page.fill("#body", BODY)
    score_and_wait(page)
    data = json.dumps({"headline": HEADLINE, "body": BODY, "sentences": True}).encode("utf-8")
    req = urllib.request.Request(server.url + "/v1/score", data=data,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        result = json.loads(resp.read())
    for field, text in (("headline", HEADLINE), ("body", BODY)):
        expected = [s for s in result["sentences"] if s["field"] == field]
        shades = page.evaluate(SHADES_JS, f"out-{field}")
        assert [s["text"] for s in shades] == [text[s["start"]:s["end"]] for s in expected]
        assert [s["score"] for s in shades] == [f"{s['sensationalism']:.2f}" for s in expected]
        # every highlight sits inside its sentence's shade, and the text still reads as typed
        assert sum(s["marks"] for s in shades) == len(rendered_marks(page, f"out-{field}"))
        check_rendered_spans(page, field, text, result["spans"])
    body = page.evaluate(SHADES_JS, "out-body")
    hottest = max(range(len(body)), key=lambda k: float(body[k]["score"]))
    coolest = min(range(len(body)), key=lambda k: float(body[k]["score"]))
    assert float(body[hottest]["score"]) > float(body[coolest]["score"])
    assert body[hottest]["alpha"] > body[coolest]["alpha"]
    shot(page, "sentences.png")
