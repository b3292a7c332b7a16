"""The errors only HTTP has live in ``hypemeter.service.errors``; each keeps its code, status
and message, the service answers it in the one error shape, and the client raises the very
class back from that answer; a route that does not exist and an unexpected failure answer in
that shape too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypemeter.service import errors as http_errors
from hypemeter.service.error_handlers import hypemeter_error_response
from support.apps import app_client, assert_error
from support.texts import BODY

import hypemeter.errors as core_errors
from hypemeter.bundles.bundle import load_bundle
from hypemeter.client import error_from_response
from hypemeter.errors import HypemeterError, InvalidInputError, ModelNotReadyError
from hypemeter.scoring.scorer import Scorer

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


# ------------------------------------------------------------- unmatched routes, unexpected errors


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_error(client.get("/nope"), 404, "not_found")
    assert_error(client.post("/v2/score", json={}), 404, "not_found")
    r = client.get("/v1/score")
    assert_error(r, 405, "method_not_allowed")
    assert "POST" in r.headers["allow"]
    assert_error(client.delete("/healthz"), 405, "method_not_allowed")


class BoomScorer(Scorer):
    def score(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail")


def test_unexpected_error_is_500_without_trace(
    service_models_dir: Path, bundle_dir: Path, access_log: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    boom = BoomScorer(load_bundle(bundle_dir))
    with app_client(service_models_dir, boom) as c:
        r = c.post("/v1/score", json={"body": BODY}, headers={"X-Request-ID": "boom-1"})
    assert_error(r, 500, "internal_error")
    assert "secret internal detail" not in r.text
    assert r.headers["x-request-id"] == "boom-1"
    line = json.loads(access_log[-1])
    assert line["status"] == 500 and line["request_id"] == "boom-1"
