"""API documentation pages that work offline: ``GET /docs`` (Swagger UI), ``GET /redoc`` and
their assets under ``GET /docs/assets/{file}``, all served from installed packages.

FastAPI's own ``/docs`` and ``/redoc`` load their JavaScript and CSS from a CDN, so they are
blank on an air-gapped deployment. Following FastAPI's self-hosting recipe, the app is built
with ``docs_url=None, redoc_url=None`` and this router serves the same pages with local asset
URLs. The asset files (Swagger UI's bundle and CSS, ReDoc's standalone bundle) ship in the
``fastapi-offline`` package; only its static files are used. Add the router with
``app.include_router(router)``.

Asset URLs are relative to the request's ``root_path``, so the pages also work behind a proxy
that mounts the service under a path prefix.

The pages carry the web page's security headers (``nosniff``, ``X-Frame-Options: DENY``,
``Referrer-Policy``) and a Content-Security-Policy (:data:`DOCS_CSP`): scripts only from this
origin plus the page's own inline start-up script (a fresh nonce per response), no framing.
Styles may be inline (Swagger UI and ReDoc set ``style`` attributes and ReDoc injects
``<style>`` elements), images from this origin and ``data:`` URLs, and ReDoc's search runs in
a ``blob:`` worker.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response
from hypemeter.service.web.routes import SECURITY_HEADERS

from hypemeter.errors import NotFoundError

ASSETS_PATH = "/docs/assets"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# The only files ever served, each with its content type.
ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
CACHE = "public, max-age=86400"

router = APIRouter(include_in_schema=False)

# {nonce}: a fresh random value per response, carried by the page's inline <script> elements.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def secured(page: HTMLResponse) -> HTMLResponse:
    """``page`` with the security headers and its inline scripts bearing this CSP's nonce."""
    nonce = secrets.token_urlsafe(18)
    body = bytes(page.body).replace(b"<script>", f'<script nonce="{nonce}">'.encode("ascii"))
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": DOCS_CSP.format(nonce=nonce),
               "Cache-Control": "no-store"}
    return HTMLResponse(body, status_code=page.status_code, headers=headers)


def asset_dir() -> Traversable:
    """The folder holding the Swagger UI and ReDoc files (package data of fastapi-offline)."""
    return files("fastapi_offline") / "static"


def _urls(request: Request) -> tuple[str, str]:
    root = request.scope.get("root_path", "").rstrip("/")
    return root, f"{root}{request.app.openapi_url}"


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root, openapi_url = _urls(request)
    return secured(get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT}",
        swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        swagger_ui_parameters=request.app.swagger_ui_parameters,
    ))


@router.get(OAUTH2_REDIRECT)
async def swagger_ui_redirect() -> HTMLResponse:
    return secured(get_swagger_ui_oauth2_redirect_html())


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    root, openapi_url = _urls(request)
    return secured(get_redoc_html(
        openapi_url=openapi_url,
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        with_google_fonts=False,
    ))


# ReDoc's menu footer shows a logo from ReDoc's CDN (and hides it when it fails to load): point
# it at an empty data: URL so an air-gapped page makes no outside request at all.
_OUTSIDE = {"redoc.standalone.js": [(b'"https://cdn.redoc.ly/redoc/logo-mini.svg"', b'"data:,"')]}


@lru_cache(maxsize=len(ASSETS))
def _read(name: str) -> bytes:
    data = (asset_dir() / name).read_bytes()
    for old, new in _OUTSIDE.get(name, []):
        data = data.replace(old, new)
    return data


@router.get(ASSETS_PATH + "/{name}")
async def asset(name: str) -> Response:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFoundError(f"no documentation asset named {name!r}")
    return Response(_read(name), media_type=media_type,
                    headers={"Cache-Control": CACHE, **SECURITY_HEADERS})
