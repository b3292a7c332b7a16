"""The service's errors and the one error body shape, with no web framework imported.

Every error body has the shape ``{"error": {"code": str, "message": str, "field"?: str}}``.
The errors only HTTP has (a missing API key, a body too large, ...) live here rather than in
:mod:`hypemeter.errors`: the core never raises them. :mod:`hypemeter.client` imports this module
so that it raises the same classes the server maps to HTTP, which is why it stays free of
FastAPI; :mod:`hypemeter.service.error_handlers` turns errors into responses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hypemeter.errors import HypemeterError

REQUEST_ID_HEADER = "X-Request-ID"


class PayloadTooLargeError(HypemeterError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaTypeError(HypemeterError):
    status = 415
    code = "unsupported_media_type"


class UnauthorizedError(HypemeterError):
    status = 401
    code = "unauthorized"


class ForbiddenError(HypemeterError):
    status = 403
    code = "forbidden"


class TooManyRequestsError(HypemeterError):
    """Too many wrong keys from one client (:mod:`hypemeter.service.key_guard`)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int = 1, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


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
