"""``POST /v1/score`` and ``POST /v1/score/batch``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from hypemeter.service.handling import ROUTE_BATCH, ROUTE_SCORE, ScoreHandler
from hypemeter.service.routing import SCORE_ERRORS, KeyFirstRoute, api_key_deps, require_json
from hypemeter.service.schemas import (
    ScoreBatchResponse,
    ScoreRequest,
    ScoreResponse,
    batch_request_model,
)
from hypemeter.service.settings import Settings


def build_router(settings: Settings, handler: ScoreHandler) -> APIRouter:
    router = APIRouter(tags=["scoring"], route_class=KeyFirstRoute)
    batch_model = batch_request_model(settings.max_batch_items)
    common: dict[str, Any] = {
        "dependencies": [*api_key_deps(settings), Depends(require_json)],
        "responses": SCORE_ERRORS,
    }

    async def score(payload: ScoreRequest, request: Request) -> Response:
        loaded = request.app.state.holder.require()  # the model this request uses, start to end
        return await handler.score_one(loaded, payload)

    async def score_batch(payload: Any, request: Request) -> Response:
        loaded = request.app.state.holder.require()
        return await handler.score_many(loaded, payload.items)

    # The batch model is built at runtime (its size limit is a setting), so its annotation
    # cannot be a string resolved from module globals.
    score_batch.__annotations__["payload"] = batch_model
    router.add_api_route(
        ROUTE_SCORE,
        score,
        methods=["POST"],
        response_model=ScoreResponse,
        summary="Score one article",
        description=(
            "Returns the core result object: `scores`, `spans` (the phrases behind the score; "
            "empty when `explain` is false), `model` and `language`. `id` is echoed back. "
            "Text confidently in a language the model does not read is refused: 422 "
            "`unsupported_language`, naming the language and the ones it reads; set "
            "`language` (e.g. `\"en\"`) to assert the language and score it anyway."
        ),
        **common,
    )
    router.add_api_route(
        ROUTE_BATCH,
        score_batch,
        methods=["POST"],
        response_model=ScoreBatchResponse,
        summary="Score up to 256 articles",
        description=(
            "Results come back in request order. One bad item fails the whole request with a "
            "422 whose `field` names it, e.g. `items.3.body`. An item in a language the model "
            "does not read is not scored and does not fail the others: its result has "
            "`scores: null`, `spans: []` and `error: {code: unsupported_language, message}`."
        ),
        **common,
    )
    return router
