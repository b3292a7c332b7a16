"""Score results as JSON text: the one encoder of the result contract, for the REST API's
response bodies and for ``hypemeter score``'s JSONL output. Byte for byte what
``json.dumps(result.to_dict(), ensure_ascii=False, separators=(",", ":"))`` writes (and so
what Starlette's ``JSONResponse`` sends), in about half the time.

The standard encoder walks a fresh dict per span; here each span is formatted directly with
the same primitives the encoder uses (its C string escaper, ``float.__repr__``,
``int.__repr__``), skipping ``to_dict`` as well. A value of any other type, or a non-finite
float, falls back to the standard encoder for the whole result, which then renders it (or
raises) exactly as before.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring  # the escaper of json.dumps(ensure_ascii=False)

from hypemeter.records.results import ScoreResult, Span


class _Unusual(Exception):
    """A value the fast path does not format: use the standard encoder."""


def dumps(content: object) -> str:
    """What Starlette's ``JSONResponse`` renders (the reference reproduced below)."""
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    )


def _str(value: object) -> str:
    if type(value) is not str:
        raise _Unusual
    return encode_basestring(value)


def _num(value: object) -> str:
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is float and math.isfinite(value):
        return float.__repr__(value)
    raise _Unusual


_FIELDS = {"headline": '"headline"', "body": '"body"'}
_BOOL = {True: "true", False: "false"}


def _span(s: Span) -> str:
    # one combined type check, then plain formatting: str() of an int and repr() of a finite
    # float are what the encoder writes
    text, category, weight = s.text, s.category, s.weight
    if not (
        type(s.start) is int and type(s.end) is int and type(text) is str
        and type(category) is str and type(weight) is float and math.isfinite(weight)
        and type(s.field) is str and s.field in _FIELDS
    ):
        raise _Unusual
    return (
        f'{{"field":{_FIELDS[s.field]},"start":{s.start},"end":{s.end},'
        f'"text":{encode_basestring(text)},"category":{encode_basestring(category)},'
        f'"weight":{weight!r}}}'
    )


def _fast(result: ScoreResult) -> str:
    if result.sentences is not None or result.model.profile is not None \
            or result.scores is None or result.error is not None:
        raise _Unusual  # sentence scores, a profile, an item not scored: the standard encoder
    asserted = result.language_asserted
    if type(asserted) is not bool:
        raise _Unusual
    rid = "null" if result.id is None else _str(result.id)
    scores = ",".join([f"{_str(k)}:{_num(v)}" for k, v in result.scores.items()])
    spans = ",".join([_span(s) for s in result.spans])
    model = f'{{"name":{_str(result.model.name)},"version":{_str(result.model.version)}}}'
    language = f'"language":{_str(result.language)},"language_asserted":{_BOOL[asserted]}'
    return f'{{"id":{rid},"scores":{{{scores}}},"spans":[{spans}],"model":{model},{language}}}'


def result_json(result: ScoreResult) -> str:
    """``dumps(result.to_dict())``."""
    try:
        return _fast(result)
    except _Unusual:
        return dumps(result.to_dict())
