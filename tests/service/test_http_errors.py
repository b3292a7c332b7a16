"""The errors only HTTP has live in ``hypemeter.service.errors``; each keeps its code, status
and message, the service answers it in the one error shape, and the client raises the very
class back from that answer."""

from __future__ import annotations

import httpx
import pytest
from hypemeter.service import errors as http_errors
from hypemeter.service.error_handlers import hypemeter_error_response

import hypemeter.errors as core_errors
from hypemeter.client import error_from_response
from hypemeter.errors import HypemeterError, InvalidInputError, ModelNotReadyError

HTTP_ONLY = {
    "UnauthorizedError": (401, "unauthorized"),
    "ForbiddenError": (403, "forbidden"),
    "PayloadTooLargeError": (413, "payload_too_large"),
    "UnsupportedMediaTypeError": (415, "unsupported_media_type"),
}


@pytest.mark.parametrize("name", sorted(HTTP_ONLY))
def test_http_only_errors_live_in_the_service(name: str) -> None:
    cls = getattr(http_errors, name)
    assert issubclass(cls, HypemeterError)
    assert not hasattr(core_errors, name), f"{name} is HTTP-only: it belongs to the service"
    assert (cls.status, cls.code) == HTTP_ONLY[name]
    assert http_errors.HTTP_CODES[cls.status] == cls.code
    exc = cls("no key here", field="body")
    assert exc.message == str(exc) == "no key here"
    assert exc.to_dict() == {"error": {"code": cls.code, "message": "no key here",
                                       "field": "body"}}


@pytest.mark.parametrize("exc", [
    http_errors.UnauthorizedError("missing API key"),
    http_errors.ForbiddenError("wrong API key"),
    http_errors.PayloadTooLargeError("items.2.body: over 5000 characters", field="items.2.body"),
    http_errors.UnsupportedMediaTypeError("send the body as JSON"),
    InvalidInputError("headline and body are both empty"),
    ModelNotReadyError("no model loaded yet"),
], ids=lambda e: type(e).__name__)
def test_the_client_raises_the_class_the_server_answered(exc: HypemeterError) -> None:
    response = hypemeter_error_response(exc)
    assert response.status_code == exc.status
    if isinstance(exc, http_errors.UnauthorizedError):
        assert response.headers["WWW-Authenticate"] == "Bearer"
    answer = httpx.Response(response.status_code, content=bytes(response.body),
                            headers={"content-type": "application/json"})
    back = error_from_response(answer)
    assert type(back) is type(exc)
    assert (back.status, back.code, back.message, back.field) == (
        exc.status, exc.code, exc.message, exc.field)
