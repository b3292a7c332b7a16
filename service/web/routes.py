"""Routes of the web page: ``GET /``, ``GET /static/{file}`` and ``GET /v1/page-config``.

* ``GET /`` serves ``static/index.html`` with the page configuration embedded as JSON (whether
  the ``/v1`` routes need an API key; never the key itself) and with each asset URL carrying a
  content hash (``static/app.js?v=<hash>``), so assets can be cached for a year while the page
  itself is revalidated on every load.
* ``GET /static/{file}`` serves only the regular files directly inside ``static/`` whose names
  and extensions are on an allowlist: anything else, including any attempt at path traversal,
  is a 404 in the service's error shape.
* ``GET /v1/page-config`` returns the same configuration as JSON (open: it holds no secret).

Asset URLs in the page are relative (``static/...``, ``v1/score``), so the page also works
behind a proxy that mounts the service under a path prefix.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from hypemeter.errors import NotFoundError

STATIC_DIR = Path(__file__).resolve().parent / "static"
INDEX_FILE = "index.html"

# Only these extensions are ever served, each with an explicit content type.
CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_ASSET_REF = re.compile(r"""(?<=["'])static/([A-Za-z0-9][A-Za-z0-9._-]{0,127})(?=["'])""")
_CONFIG_SCRIPT = re.compile(
    r'(<script id="page-config" type="application/json">)(.*?)(</script>)', re.DOTALL
)

CACHE_PAGE = "no-cache"  # always revalidate (the ETag makes that a cheap 304)
CACHE_VERSIONED = "public, max-age=31536000, immutable"  # URL carries the content hash
CACHE_UNVERSIONED = "public, max-age=300, must-revalidate"

# The page loads only its own script, styles and images and talks only to its own origin.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

router = APIRouter()


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    data: bytes
    content_type: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:16]

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


def static_names(static_dir: Path = STATIC_DIR) -> set[str]:
    """The names ``GET /static/{file}`` may serve: regular, non-hidden, non-symlink files
    directly inside ``static_dir`` with an allowed extension. This allowlist is the
    path-traversal protection: a requested name is only ever looked up in it."""
    if not static_dir.is_dir():
        return set()
    names: set[str] = set()
    for path in static_dir.iterdir():
        if path.is_symlink() or not path.is_file():
            continue
        if not _SAFE_NAME.match(path.name) or path.suffix.lower() not in CONTENT_TYPES:
            continue
        names.add(path.name)
    return names


def load_asset(name: str, static_dir: Path = STATIC_DIR) -> Asset | None:
    if not _SAFE_NAME.match(name) or name not in static_names(static_dir):
        return None
    path = static_dir / name
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return Asset(name, data, CONTENT_TYPES[path.suffix.lower()])


def api_key_required(request: Request) -> bool:
    """Whether the ``/v1`` routes need a key: from the app's settings, else (the router in
    another app) from the settings object's ``HYPEMETER_API_KEY`` being set to non-blanks."""
    settings = getattr(request.app.state, "settings", None)
    if settings is None or not hasattr(settings, "api_key"):
        from hypemeter.service.settings import Settings

        settings = Settings()
    key: Any = settings.api_key
    if key is None:
        return False
    secret = key.get_secret_value() if hasattr(key, "get_secret_value") else str(key)
    return bool(secret.strip())


def page_config(request: Request) -> dict[str, Any]:
    settings = getattr(request.app.state, "settings", None)
    max_chars = getattr(settings, "max_field_chars", None)
    return {
        "api_key_required": api_key_required(request),
        "max_field_chars": max_chars if isinstance(max_chars, int) else None,
        "score_path": "v1/score",
    }


def etag_matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return etag in tags


def _cached_response(
    request: Request, data: bytes, content_type: str, etag: str, cache: str,
    extra: dict[str, str] | None = None,
) -> Response:
    headers = {"ETag": etag, "Cache-Control": cache, **SECURITY_HEADERS, **(extra or {})}
    if etag_matches(request, etag):
        return Response(status_code=304, headers=headers)
    body = b"" if request.method == "HEAD" else data
    response = Response(content=body, media_type=content_type, headers=headers)
    if request.method == "HEAD":
        response.headers["content-length"] = str(len(data))
    return response


def render_index(config: dict[str, Any], static_dir: Path = STATIC_DIR) -> bytes:
    """``index.html`` with the config embedded and hashed asset URLs."""
    index = load_asset(INDEX_FILE, static_dir)
    if index is None:
        raise NotFoundError("the web page is not installed (service/web/static/index.html)")
    html = index.data.decode("utf-8")

    def versioned(match: re.Match[str]) -> str:
        asset = load_asset(match.group(1), static_dir)
        return match.group(0) if asset is None else f"{match.group(0)}?v={asset.digest}"

    html = _ASSET_REF.sub(versioned, html)
    # JSON inside <script>: escape "<" so no value can ever close the element.
    payload = json.dumps(config, separators=(",", ":")).replace("<", "\\u003c")
    html = _CONFIG_SCRIPT.sub(lambda m: m.group(1) + payload + m.group(3), html, count=1)
    return html.encode("utf-8")


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
def index_page(request: Request) -> Response:
    data = render_index(page_config(request))
    etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
    return _cached_response(
        request, data, CONTENT_TYPES[".html"], etag, CACHE_PAGE,
        {"Content-Security-Policy": PAGE_CSP},
    )


@router.api_route("/static/{file}", methods=["GET", "HEAD"], include_in_schema=False)
def static_file(file: str, request: Request) -> Response:
    asset = load_asset(file)
    if asset is None:
        raise NotFoundError(f"no static file {file[:128]!r}", field="file")
    versioned = request.query_params.get("v") == asset.digest
    cache = CACHE_VERSIONED if versioned else CACHE_UNVERSIONED
    return _cached_response(request, asset.data, asset.content_type, asset.etag, cache)


@router.get(
    "/v1/page-config",
    tags=["page"],
    summary="What the web page needs to know: whether an API key is required (never the key)",
    responses={200: {"content": {"application/json": {"example": {
        "api_key_required": False, "max_field_chars": 200000, "score_path": "v1/score"}}}}},
)
def get_page_config(request: Request) -> Response:
    return JSONResponse(page_config(request), headers={"Cache-Control": "no-store"})
