"""The one place where anything that goes wrong becomes an HTTP response.

Every error body has the shape of :func:`hypemeter.service.errors.error_body`:

* :class:`~hypemeter.errors.HypemeterError` -> its ``.status`` and ``.to_dict()``;
* request validation errors -> 422 ``invalid_input`` naming the field as a dotted path
  (``items.3.body``) without FastAPI's leading ``body``;
* Starlette HTTP errors (unknown route, wrong method) -> their status with a JSON body;
* anything else -> 500 ``internal_error`` with no stack trace (the trace goes to the log).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from hypemeter.service.errors import (
    HTTP_CODES,
    HTTP_MESSAGES,
    REQUEST_ID_HEADER,
    TooManyRequestsError,
    UnauthorizedError,
    body_parse_error,
    error_body,
    internal_error_body,
    validation_error_body,
)
from hypemeter.service.outage import RETRY_AFTER_SECONDS, OutageLog
from starlette.exceptions import HTTPException as StarletteHTTPException

from hypemeter.errors import HypemeterError, StorageUnavailableError

logger = logging.getLogger("hypemeter.service")


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
    if isinstance(exc, TooManyRequestsError):
        headers = {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, StorageUnavailableError):
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        outages = getattr(request.app.state, "outages", None) if request is not None else None
        if isinstance(outages, OutageLog):
            outages.record(exc, request.url.path if request is not None else "")
    return json_error(exc.status, exc.to_dict(), request, headers)


async def _on_hypemeter_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HypemeterError)
    return hypemeter_error_response(exc, request)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return json_error(422, validation_error_body(exc.errors()), request)


# FastAPI's own wording when reading the JSON body fails with something other than a
# JSONDecodeError (bytes that are not UTF-8, nesting deeper than the parser's recursion limit).
_FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"


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
    app.state.outages = OutageLog()
    app.add_exception_handler(HypemeterError, _on_hypemeter_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unhandled)
