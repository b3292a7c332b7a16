"""The one place where anything that goes wrong becomes an HTTP response.

Every error body has the shape ``{"error": {"code": str, "message": str, "field"?: str}}``:

* :class:`~hypemeter.errors.HypemeterError` -> its ``.status`` and ``.to_dict()``;
* request validation errors -> 422 ``invalid_input`` naming the field as a dotted path
  (``items.3.body``) without FastAPI's leading ``body``;
* Starlette HTTP errors (unknown route, wrong method) -> their status with a JSON body;
* anything else -> 500 ``internal_error`` with no stack trace (the trace goes to the log).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hypemeter.errors import HypemeterError, UnauthorizedError

logger = logging.getLogger("hypemeter.service")

REQUEST_ID_HEADER = "X-Request-ID"

HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}

HTTP_MESSAGES: dict[int, str] = {
    404: "no such route",
    405: "method not allowed on this route",
}

def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    inner: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        inner["field"] = field
    return {"error": inner}


def _request_id_headers(request: Request | None) -> dict[str, str]:
    if request is None:
        return {}
    rid = request.scope.get("state", {}).get("request_id")
    return {REQUEST_ID_HEADER: rid} if isinstance(rid, str) else {}


def json_error(
    status: int,
    body: Mapping[str, Any],
    request: Request | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    all_headers = {**_request_id_headers(request), **(headers or {})}
    return JSONResponse(status_code=status, content=dict(body), headers=all_headers)


def hypemeter_error_response(exc: HypemeterError, request: Request | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, UnauthorizedError) else None
    return json_error(exc.status, exc.to_dict(), request, headers)


def internal_error_body() -> dict[str, Any]:
    return error_body("internal_error", "internal server error; see the server log")


def dotted_field(loc: Sequence[Any]) -> str | None:
    """``("body", "items", 3, "body")`` -> ``"items.3.body"``; ``("body",)`` -> ``None``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    text = ".".join(str(p) for p in parts)
    return text or None


def validation_error_body(errors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    if not errors:
        return error_body("invalid_input", "invalid request")
    first = errors[0]
    kind = str(first.get("type", ""))
    loc = tuple(first.get("loc", ()))
    if kind == "json_invalid":
        pos = loc[1] if len(loc) > 1 else None
        # json's own messages end in "at" ("Invalid control character at") before the position
        detail = str((first.get("ctx") or {}).get("error", "JSON decode error"))
        detail = detail.removesuffix(" at").strip() or "JSON decode error"
        where = f" at character {pos}" if isinstance(pos, int) else ""
        return error_body("invalid_input", f"request body is not valid JSON: {detail}{where}")
    field = dotted_field(loc)
    if kind == "missing" and field is None:
        return error_body("invalid_input", "request body is required: send a JSON object")
    message = str(first.get("msg", "invalid value"))
    if field is not None:
        message = f"{field}: {message}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem(s))"
    return error_body("invalid_input", message, field)


async def _on_hypemeter_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HypemeterError)
    return hypemeter_error_response(exc, request)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return json_error(422, validation_error_body(exc.errors()), request)


# FastAPI's own wording when reading the JSON body fails with something other than a
# JSONDecodeError (bytes that are not UTF-8, nesting deeper than the parser's recursion limit).
_FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"


def body_parse_error(cause: BaseException | None) -> dict[str, Any]:
    """Why a body that is not a JSONDecodeError could not be read, in words."""
    if isinstance(cause, UnicodeDecodeError):
        message = "request body is not valid JSON: it is not UTF-8 text"
    elif isinstance(cause, RecursionError):
        message = "request body is nested too deeply to read"
    elif isinstance(cause, ValueError) and "digits" in str(cause):
        message = "request body holds a number with too many digits"
    else:
        message = "request body is not valid JSON (UTF-8 JSON expected)"
    return error_body("invalid_input", message)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 400 and exc.detail == _FASTAPI_BODY_PARSE_ERROR:
        return json_error(422, body_parse_error(exc.__cause__), request)
    code = HTTP_CODES.get(status, "internal_error" if status >= 500 else "bad_request")
    detail = exc.detail if isinstance(exc.detail, str) else None
    message = HTTP_MESSAGES.get(status) or detail or code.replace("_", " ")
    headers = dict(exc.headers) if exc.headers else None
    return json_error(status, error_body(code, message), request, headers)


async def _on_unhandled(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return json_error(500, internal_error_body(), request)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HypemeterError, _on_hypemeter_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unhandled)
