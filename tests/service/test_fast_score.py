"""``POST /v1/score``'s fast path (:mod:`hypemeter.service.fast_score`) answers exactly what the
route answers: the same status, body and headers for every kind of request, and it is the one
that answers well-formed ones (the route never sees them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings
from support.fast_path import spy_route, without_fast_path
from support.texts import BODY, HEADLINE

from hypemeter.scoring.scorer import Scorer

pytestmark = pytest.mark.usefixtures("clean_env")

KEY = "k" * 32
FRENCH = ("Le conseil municipal a adopté le budget mardi soir après un long débat sur les "
          "écoles, les routes et les transports publics de la ville.")
# (body bytes, content type); json.dumps keeps non-ASCII escaped or not as given
CASES: list[tuple[bytes, str | None]] = [
    (json.dumps({"id": "a", "headline": HEADLINE, "body": BODY}).encode(), "application/json"),
    (json.dumps({"headline": HEADLINE, "body": BODY, "explain": False}).encode(),
     "application/json; charset=utf-8"),
    (json.dumps({"headline": HEADLINE, "body": BODY, "sentences": True, "max_spans": 2}).encode(),
     "application/vnd.api+json"),
    (json.dumps({"headline": "Wow! " + HEADLINE, "max_spans": None}, ensure_ascii=False).encode(),
     "application/json"),
    (json.dumps({"headline": HEADLINE, "body": BODY, "language": "en"}).encode(),
     "application/json"),
    (json.dumps({"headline": "", "body": FRENCH}).encode(), "application/json"),  # 422 language
    (json.dumps({"headline": "", "body": FRENCH, "language": "fr"}).encode(), "application/json"),
    (json.dumps({"headline": " ", "body": ""}).encode(), "application/json"),  # both empty
    (json.dumps({"headline": 3, "body": BODY}).encode(), "application/json"),  # wrong type
    (json.dumps({"headline": HEADLINE, "extra": 1}).encode(), "application/json"),
    (json.dumps({"headline": HEADLINE, "max_spans": -1}).encode(), "application/json"),
    (json.dumps({"headline": HEADLINE, "profile": "nope"}).encode(), "application/json"),
    (json.dumps([{"headline": HEADLINE}]).encode(), "application/json"),
    (b'{"headline": "\\ud800 lone surrogate", "body": "x y z"}', "application/json"),
    (b'{"headline": ', "application/json"),
    (b"\xff\xfe not utf-8", "application/json"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
    (json.dumps({"headline": HEADLINE}).encode(), "text/plain"),
    (json.dumps({"headline": HEADLINE}).encode(), None),
    (json.dumps({"headline": "x" * 30, "body": "y " * 40}).encode(), "application/json"),
]
FAST = {0, 1, 2, 3, 4, 5, 6, 7, 11, 19}  # the cases the fast path answers itself (11: a profile)
STATUSES = [200, 200, 200, 200, 200, 422, 422, 422, 404, 422]  # their answers
VOLATILE = {"x-request-id", "server-timing", "date"}


def _app(models_dir: Path, scorer: Scorer, fast: bool, **settings: Any) -> FastAPI:
    app = create_app(Settings(models_dir=models_dir, **settings), scorer=scorer)
    return app if fast else without_fast_path(app)


def _answers(client: TestClient, headers: dict[str, str] | None = None,
             seen: list[str] | None = None) -> list[tuple[int, bytes, list[tuple[str, str]]]]:
    out = []
    for k, (body, ctype) in enumerate(CASES):
        sent = {**(headers or {}), **({"content-type": ctype} if ctype else {})}
        before = len(seen) if seen is not None else 0
        r = client.post("/v1/score", content=body, headers=sent)
        if seen is not None and len(seen) > before:
            seen[before:] = [k]  # type: ignore[list-item]
        kept = sorted((k, v) for k, v in r.headers.items() if k not in VOLATILE)
        out.append((r.status_code, r.content, kept))
    return out


@pytest.mark.parametrize("settings", [{}, {"api_key": KEY}])
def test_fast_path_answers_what_the_route_answers(
        service_models_dir: Path, scorer: Scorer, settings: dict[str, Any]) -> None:
    headers = {"x-api-key": KEY} if settings else None
    with TestClient(_app(service_models_dir, scorer, fast=False, **settings)) as slow:
        want = _answers(slow, headers)
    with TestClient(_app(service_models_dir, scorer, fast=True, **settings)) as fast:
        seen: list[str] = []
        spy_route(fast.app, seen)  # type: ignore[arg-type]
        got = _answers(fast, headers, seen)
        if settings:  # a wrong key: 401 before the body is read, by either path
            r = fast.post("/v1/score", json={"headline": HEADLINE}, headers={"x-api-key": "no"})
            assert r.status_code == 401
    assert [g[0] for g in got] == [w[0] for w in want]
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == w, CASES[k]
    # the well-formed requests, scored or refused by the model, never reached the route
    assert seen == [k for k in range(len(CASES)) if k not in FAST], seen
    assert [want[k][0] for k in sorted(FAST)] == STATUSES
    assert b"unsupported_language" in want[5][1] and b"invalid_input" in want[7][1]
