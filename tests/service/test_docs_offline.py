"""``/docs`` and ``/redoc`` work with no network: their assets come from the server itself.

Route tests in-process, and a real Chromium (Playwright) against a real server process with
every request that is not for that loopback server blocked.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.docs import ASSETS, asset_dir
from hypemeter.service.settings import Settings
from support.browser import ARTIFACTS
from support.servers import Server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route


def asset_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_doc_pages_reference_only_local_assets(bare_client: TestClient, page: str) -> None:
    resp = bare_client.get(page)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    urls = asset_urls(resp.text)
    assert urls and all(u.startswith("/") for u in urls), urls
    assert "cdn" not in resp.text and "fonts.googleapis" not in resp.text
    for url in urls:
        if url.startswith("/docs/assets/"):
            asset = bare_client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 1000, url


def test_assets_are_the_packaged_files_and_nothing_else(bare_client: TestClient) -> None:
    for name, media_type in ASSETS.items():
        resp = bare_client.get(f"/docs/assets/{name}")
        assert resp.status_code == 200
        assert resp.headers["content-type"] == media_type
        packaged = (asset_dir() / name).read_bytes()
        if name == "redoc.standalone.js":  # its one CDN URL (a logo) is cut out
            assert b"cdn.redoc.ly" in packaged and b"cdn.redoc.ly" not in resp.content
            cut = len("https://cdn.redoc.ly/redoc/logo-mini.svg") - len("data:,")
            assert len(resp.content) == len(packaged) - cut
        else:
            assert resp.content == packaged
    for name in ("core.py", "..%2Fcore.py", "swagger-ui.css.map"):
        resp = bare_client.get(f"/docs/assets/{name}")
        assert resp.status_code == 404
        assert resp.json()["error"]["code"] == "not_found"


def test_pages_follow_the_root_path_behind_a_proxy(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(models_dir=tmp_path)), root_path="/hm")
    html = client.get("/docs").text
    assert "'/hm/docs/assets/swagger-ui-bundle.js'" in html or \
        '"/hm/docs/assets/swagger-ui-bundle.js"' in html
    assert "/hm/openapi.json" in html


# --------------------------------------------------------------------------- in Chromium


@pytest.mark.slow
def test_docs_render_in_chromium_with_the_network_cut_off(browser: Browser, server: Server) -> None:
    context = browser.new_context()
    blocked: list[str] = []

    def only_loopback(route: Route) -> None:
        if route.request.url.startswith(server.url + "/"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(server.url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock-summary-path", timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_text_contents()
    assert any("/v1/score" in p for p in paths), paths
    assert page.locator(".swagger-ui .info .title").first.text_content().startswith("hypemeter")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "docs-offline.png"))

    page.goto(server.url + "/redoc")
    page.wait_for_selector(".redoc-wrap .api-content h1", timeout=30_000)
    assert page.locator(".api-content h1").first.text_content().startswith("hypemeter")
    page.screenshot(path=str(ARTIFACTS / "redoc-offline.png"))
    assert "/v1/score/batch" in (page.locator(".api-content").text_content() or "")

    context.close()
    assert not blocked, f"the doc pages asked for outside resources: {blocked}"
    assert not errors, errors
