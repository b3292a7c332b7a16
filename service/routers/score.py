"""``POST /v1/score`` and ``POST /v1/score/batch``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from hypemeter.service.handling import ROUTE_BATCH, ROUTE_SCORE, PostProcess, ScoreHandler
from hypemeter.service.profile_auth import check_scoring, principal_of
from hypemeter.service.routing import (
    SCORE_ERRORS,
    KeyFirstRoute,
    caller_deps,
    error_doc,
    require_json,
)
from hypemeter.service.schemas import (
    ScoreBatchResponse,
    ScoreRequest,
    ScoreResponse,
    batch_request_model,
)
from hypemeter.service.settings import Settings

from hypemeter.errors import InvalidInputError


async def profile_post(request: Request, name: str | None) -> PostProcess | None:
    """What scoring as a profile does to the results (None: no profile); see
    :meth:`ProfileRuntime.post_process`."""
    return await request.app.state.profiles.post_process(principal_of(request), name)


def build_router(settings: Settings, handler: ScoreHandler) -> APIRouter:
    router = APIRouter(tags=["scoring"], route_class=KeyFirstRoute)
    batch_model = batch_request_model(settings.max_batch_items)
    common: dict[str, Any] = {
        "dependencies": [*caller_deps(settings, check_scoring), Depends(require_json)],
        "responses": {**SCORE_ERRORS,
                      403: error_doc("a profile key used for another profile"),
                      404: error_doc("`unknown_profile`: no profile of that name")},
    }

    async def score(payload: ScoreRequest, request: Request) -> Response:
        loaded = request.app.state.holder.require()  # the model this request uses, start to end
        post = await profile_post(request, payload.profile)
        return await handler.score_one(loaded, payload, post)

    async def score_batch(payload: Any, request: Request) -> Response:
        loaded = request.app.state.holder.require()
        for i, item in enumerate(payload.items):
            if item.profile is not None:
                raise InvalidInputError(
                    f"items.{i}.profile: give the profile once, at the top level of the batch",
                    field=f"items.{i}.profile")
        post = await profile_post(request, payload.profile)
        return await handler.score_many(loaded, payload.items, post)

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
