"""The fast path's one-pass parse (``ScoreRequest.model_validate_json``) takes exactly the
bodies that ``json.loads`` then ``ScoreRequest.model_validate`` (the reference below, what the
route's parse amounts to) take, and reads them alike. It may send a body the reference reads
to the route (which then answers it as before), never the other way round."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypemeter.service.fast_score import FastScoreMiddleware
from hypemeter.service.profile_auth import Principal
from hypemeter.service.schemas import ScoreRequest

OK = b'{"headline": "Council adopts budget", "body": "The council met on Tuesday."}'
BODIES: list[bytes] = [
    OK,
    OK + b" \r\n\t",
    b" \n" + OK,
    b'{"headline": "a", "headline": "b"}',  # a repeated key: the last one
    b'{}',
    b'{"headline": null, "body": "x", "max_spans": null, "profile": null}',
    b'{"headline": "x", "max_spans": 100}',
    b'{"headline": "x", "max_spans": -0}',
    b'{"headline": "x", "max_spans": 100.0}',
    b'{"headline": "x", "max_spans": 1e2}',
    b'{"headline": "x", "max_spans": 00}',
    b'{"headline": "x", "max_spans": NaN}',
    b'{"headline": "x", "max_spans": Infinity}',
    b'{"headline": "x", "max_spans": 99999999999999999999999999}',
    b'{"headline": "x", "max_spans": true}',
    b'{"headline": "x", "explain": 1}',
    b'{"headline": "x", "sentences": "true"}',
    b'{"id": 5, "headline": "x"}',
    b'{"headline": "x", "language": "en"}',
    b'{"headline": "x", "language": "EN"}',
    b'{"headline": "x", "language": "en\\n"}',
    b'{"headline": "x", "profile": "a\\n"}',
    b'{"headline": "x", "extra": 1}',
    b'{"headline": "\\u0000 \\u00e9 \\ud83d\\ude00"}',
    b'{"headline": "x\\ud800"}',  # lone surrogates
    b'{"headline": "x\\udc00y"}',
    b'{"headline": "\xed\xa0\x80"}',  # an encoded surrogate
    b'{"headline": "\xff"}',  # not UTF-8
    b'{"headline": "a\nb"}',  # a raw control character in a string
    b'{"headline": "x"}x',
    b'{"headline": "x",}',
    b'{"headline": "x"}\x00',
    b"{'headline': 'x'}",
    b'[]', b'"x"', b'null', b'1',
    b'\xef\xbb\xbf' + OK,  # a byte order mark: json.loads reads it
    '{"headline": "x"}'.encode("utf-16"),  # json.loads reads UTF-16 too
    b'{"headline": "x", "id": "' + b"a" * 256 + b'"}',
    b'{"headline": "x", "id": "' + b"a" * 257 + b'"}',
    b'{"headline": "x", "id": "' + "\U0001F600".encode() * 256 + b'"}',
    b'{"headline": "x", "id": "' + b"\\ud83d\\ude00" * 256 + b'"}',
    b'{"headline": "x", "id": "' + b"\\ud83d\\ude00" * 257 + b'"}',
    b'{"body": "' + b"[" * 300 + b'"}',
    b'{"x": ' + b"[" * 3000 + b"]" * 3000 + b'}',
]


def reference(body: bytes) -> ScoreRequest | None:
    try:
        data: Any = json.loads(body)
    except Exception:
        return None
    if type(data) is not dict:
        return None
    try:
        return ScoreRequest.model_validate(data)
    except Exception:
        return None


def fast(body: bytes) -> ScoreRequest | None:
    scope = {"type": "http", "headers": [(b"content-type", b"application/json")],
             "state": {"principal": Principal(kind="open")}}
    return FastScoreMiddleware._payload(scope, {"type": "http.request", "body": body}, body)


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_the_fast_parse_takes_no_body_the_reference_refuses(body: bytes) -> None:
    want, got = reference(body), fast(body)
    if got is not None:
        assert want is not None
        assert got.model_dump() == want.model_dump()
        assert all(type(getattr(got, f)) is type(getattr(want, f))
                   for f in ScoreRequest.model_fields)


def test_the_fast_parse_takes_the_well_formed_bodies() -> None:
    taken = [k for k, body in enumerate(BODIES) if fast(body) is not None]
    assert taken == [k for k, body in enumerate(BODIES)
                     if reference(body) is not None and not body.startswith((b"\xef", b"\xff"))]
    assert 0 in taken and len(taken) >= 10
