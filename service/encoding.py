"""Score results as JSON response bodies, byte for byte what ``JSONResponse(result.to_dict())``
sends (the encoder is :mod:`hypemeter.records.json_output`, shared with ``hypemeter score``)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.responses import Response

from hypemeter.records.json_output import dumps, result_json
from hypemeter.records.results import ScoreResult


def result_response(result: ScoreResult) -> Response:
    """The same response as ``JSONResponse(result.to_dict())``."""
    return Response(result_json(result).encode("utf-8"), media_type="application/json")


def batch_response(results: Sequence[ScoreResult]) -> Response:
    """The same response as ``JSONResponse({"results": [r.to_dict() for r in results]})``."""
    body = '{"results":[' + ",".join([result_json(r) for r in results]) + "]}"
    return Response(body.encode("utf-8"), media_type="application/json")


__all__ = ["batch_response", "dumps", "result_json", "result_response"]
