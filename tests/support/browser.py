"""Debian's Chromium driven by Playwright for Python (no ``playwright install``): missing, the
browser tests are skipped locally and fail under CI (``CI`` set). Screenshots go to
``artifacts/``."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support.paths import REPO

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from support.servers import Server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "artifacts"


def playwright_problem() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    return None


def api_score(server: Server, headline: str, body: str,
              key: str | None = None) -> tuple[int, dict[str, Any]]:
    """What ``POST /v1/score`` answers for the request the page sends."""
    data = json.dumps({"headline": headline, "body": body, "explain": True}).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(server.url + "/v1/score", data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def score_and_wait(page: Page) -> None:
    """Click the page's score button and wait for the result panel."""
    page.click("#score-btn")
    page.wait_for_selector("#results-body", state="visible", timeout=30_000)
