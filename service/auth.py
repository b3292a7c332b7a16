"""API keys: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``, compared in constant time.

* ``HYPEMETER_API_KEY`` unset: the ``/v1`` routes are open; set: they need that key (else 401).
* ``HYPEMETER_ADMIN_KEY`` unset: ``POST /v1/admin/reload`` and reading/deleting feedback
  (``GET``/``DELETE /v1/feedback``) are disabled (403); set: they need that
  key (else 401). The API key does not open admin routes.
* Keys are printable ASCII (checked at start, :mod:`hypemeter.service.settings`).
* The key is checked before the body is read (:func:`check_before_body`, used by
  :class:`hypemeter.service.routing.KeyFirstRoute`), so a request without a key gets 401 even
  when its body is malformed.

Keys are never logged and never echoed back.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from hypemeter.service.errors import ForbiddenError, UnauthorizedError
from pydantic import SecretStr

# These only feed the OpenAPI document (the "Authorize" button in /docs); auto_error=False
# leaves the decision, and the error shape, to the functions below.
bearer_scheme = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="`X-API-Key: <key>`"
)


def keys_match(given: str, expected: SecretStr) -> bool:
    """Constant-time comparison (for equal lengths; the length itself may leak, as usual)."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"),
        expected.get_secret_value().encode("utf-8", "surrogateescape"),
    )


def presented_keys(
    bearer: HTTPAuthorizationCredentials | None, x_api_key: str | None
) -> list[str]:
    keys: list[str] = []
    if bearer is not None and bearer.credentials:
        keys.append(bearer.credentials)
    if x_api_key:
        keys.append(x_api_key)
    return keys


def _check(keys: list[str], expected: SecretStr, what: str) -> None:
    if not keys:
        raise UnauthorizedError(
            f"this route needs the {what}: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
        )
    # Compare every presented key (no short-circuit on the first) so timing does not tell
    # which header was checked.
    ok = False
    for key in keys:
        ok |= keys_match(key, expected)
    if not ok:
        raise UnauthorizedError(f"invalid {what}")


async def require_api_key(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    x_api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> None:
    expected: SecretStr | None = request.app.state.settings.api_key
    if expected is None:
        return
    _check(presented_keys(bearer, x_api_key), expected, "API key")


async def require_admin_key(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    x_api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> None:
    expected: SecretStr | None = request.app.state.settings.admin_key
    if expected is None:
        raise ForbiddenError(
            "admin routes are disabled: set HYPEMETER_ADMIN_KEY on the server to enable "
            "them (POST /v1/admin/reload, reading and deleting /v1/feedback)"
        )
    _check(presented_keys(bearer, x_api_key), expected, "admin key")


def keys_from_headers(request: Request) -> list[str]:
    """The keys a request presents, read from its headers the way the two schemes above do."""
    keys: list[str] = []
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        keys.append(credentials.strip())
    x_api_key = request.headers.get("x-api-key")
    if x_api_key:
        keys.append(x_api_key)
    return keys


def check_api_key(request: Request) -> None:
    expected: SecretStr | None = request.app.state.settings.api_key
    if expected is not None:
        _check(keys_from_headers(request), expected, "API key")


def check_admin_key(request: Request) -> None:
    expected: SecretStr | None = request.app.state.settings.admin_key
    if expected is None:
        raise ForbiddenError(
            "admin routes are disabled: set HYPEMETER_ADMIN_KEY on the server to enable "
            "them (POST /v1/admin/reload, reading and deleting /v1/feedback)"
        )
    _check(keys_from_headers(request), expected, "admin key")


# The header-only check that stands for each key dependency, run before the body is read.
CHECK_BEFORE_BODY = {require_api_key: check_api_key, require_admin_key: check_admin_key}
