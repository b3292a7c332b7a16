"""The feedback API: corrections from the people who use the scores.

* ``POST /v1/feedback`` (API-key rule of ``/v1/score``): store one correction -> 201.
* ``GET /v1/feedback`` (admin key): newest first, ``limit``/``cursor``, filters.
* ``GET /v1/feedback/{feedback_id}``, ``DELETE /v1/feedback/{feedback_id}`` (admin key).

The storage is ``app.state.feedback`` (a :class:`hypemeter.storage.FeedbackStore`). When the
database cannot be reached these routes answer 503 ``database_unavailable``; scoring does not
touch the database at all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from hypemeter.service.errors import ForbiddenError, PayloadTooLargeError
from hypemeter.service.feedback_schemas import (
    FeedbackCreated,
    FeedbackItem,
    FeedbackPage,
    FeedbackRequest,
)
from hypemeter.service.profile_auth import (
    check_admin_or_corrector,
    check_correcting,
    principal_of,
)
from hypemeter.service.routing import (
    R401,
    R413,
    R415,
    KeyFirstRoute,
    caller_deps,
    error_doc,
    require_json,
)
from hypemeter.service.settings import Settings

from hypemeter.errors import (
    HypemeterError,
    NotFoundError,
    StorageUnavailableError,
)
from hypemeter.language import DEFAULT_LANGUAGES, detect
from hypemeter.storage import MAX_LIMIT, Feedback, FeedbackStore, NewFeedback, SpanVerdict
from hypemeter.storage.records import iso_utc

logger = logging.getLogger("hypemeter.service")

ROUTE = "/v1/feedback"


_err = error_doc
R503 = {503: _err("the feedback database is unavailable (scoring is unaffected)")}
ADMIN = {
    401: _err("admin key missing or wrong"),
    403: _err("admin routes disabled (HYPEMETER_ADMIN_KEY unset)"),
    **R503,
}
FeedbackId = Annotated[str, Path(max_length=64, description="the `feedback_id` from the POST")]


def _store(request: Request) -> FeedbackStore:
    return request.app.state.feedback  # type: ignore[no-any-return]


async def start_storage(store: FeedbackStore) -> None:
    """Apply the migrations at startup; a database that is down is logged, not fatal (the
    feedback routes answer 503 and retry on the next request; scoring is unaffected)."""
    try:
        revision = await anyio.to_thread.run_sync(lambda: store.upgrade(patient=True))
    except HypemeterError as exc:
        reason = exc.reason if isinstance(exc, StorageUnavailableError) else exc.message
        logger.error(
            "feedback database unavailable at startup; /v1/feedback answers 503 until it is "
            "back", extra={"fields": {"database": repr(store), "reason": reason}},
        )
    else:
        logger.info("feedback database ready",
                    extra={"fields": {"database": repr(store), "revision": revision}})


def to_new_feedback(payload: FeedbackRequest, max_chars: int, profile: str | None = None,
                    supported: tuple[str, ...] = DEFAULT_LANGUAGES) -> NewFeedback:
    for name in ("headline", "body"):
        text = getattr(payload, name)
        if len(text) > max_chars:
            raise PayloadTooLargeError(
                f"{name} has {len(text)} characters; the limit is {max_chars}", field=name
            )
    labels = payload.labels
    return NewFeedback(
        headline=payload.headline,
        body=payload.body,
        sensational=labels.sensational if labels else None,
        misinformation=labels.misinformation if labels else None,
        spans=tuple(
            SpanVerdict(s.field, s.start, s.end, s.verdict, s.category, s.text)
            for s in payload.spans
        ),
        article_id=payload.id,
        model_version=payload.model_version,
        note=payload.note,
        profile=profile,
        language=detect(payload.headline, payload.body, supported),
    )


def own_correction(request: Request, found: Feedback | None, feedback_id: str) -> Feedback:
    """The correction, when the caller may see it (a profile key: only its profile's)."""
    if found is None:
        raise NotFoundError(f"no feedback with id {feedback_id!r}", field="feedback_id")
    principal = principal_of(request)
    if principal.scoped and found.profile != principal.profile:
        raise ForbiddenError(f"this key belongs to the profile {principal.profile!r}; the "
                             "correction is not that profile's", field="feedback_id")
    return found


def stream_page(batches: Iterator[list[Feedback]], next_cursor: str | None) -> Iterator[bytes]:
    """``{"items": [...], "next_cursor": ...}`` a batch at a time (the page is bounded in rows
    and bytes, and never whole in memory). A database failure mid-page ends the response
    without its closing bytes: the client sees a truncated body, never a wrong one."""
    yield b'{"items":['
    sep = b""
    for batch in batches:
        for item in batch:
            yield sep + json.dumps(item.to_item(), ensure_ascii=False,
                                   separators=(",", ":")).encode("utf-8")
            sep = b","
    yield b'],"next_cursor":' + json.dumps(next_cursor).encode("ascii") + b"}"


def build_router(settings: Settings) -> APIRouter:
    """The feedback routes: keys checked before the body is read, as for scoring."""
    router = APIRouter(prefix=ROUTE, tags=["feedback"], route_class=KeyFirstRoute)
    # the /v1/score rule: keyed exactly when a key is set; then the 415 check scoring uses
    post_deps = [*caller_deps(settings, check_correcting), Depends(require_json)]
    # the admin key, or a profile's "correct" key (its own profile's corrections only)
    admin_deps = [Depends(check_admin_or_corrector)]

    @router.post(
        "",
        status_code=201,
        response_model=FeedbackCreated,
        dependencies=post_deps,
        responses={
            **R401,
            **R413,
            **R415,
            403: _err("a profile key with role 'score', or used for another profile"),
            404: _err("`unknown_profile`: no profile of that name"),
            422: _err("bad JSON or types, no label and no span, a label other than 0/1, "
                      "offsets out of range or cutting nothing, span text that does not match"),
            **R503,
        },
        summary="Send a correction: labels and/or phrase verdicts for one article",
        description=(
            "Stores the article text with your labels (`sensational`, `misinformation`: 0 or "
            "1, either alone is fine) and span verdicts (code-point offsets into `headline` or "
            "`body`; `loaded` marks a loaded phrase, `not_loaded` a highlighted phrase that is "
            "not). At least one label or one span. Retraining with `hypemeter train "
            "--feedback` learns from it. The text's detected `language` is stored with it; "
            "a correction in a language the model does not read is kept but not trained on."
        ),
    )
    def create_feedback(payload: FeedbackRequest, request: Request) -> Response:
        profile = principal_of(request).check_profile(payload.profile)
        loaded = request.app.state.holder.current
        supported = loaded.scorer.gate.supported if loaded is not None else DEFAULT_LANGUAGES
        item = to_new_feedback(payload, request.app.state.settings.max_field_chars, profile,
                               supported)
        stored = _store(request).add(item)  # a profile's: its refit is requested with it
        logger.info("feedback stored", extra={"fields": {"feedback_id": stored.id,
                                                         "profile": profile,
                                                         "language": stored.language}})
        return JSONResponse(
            {"feedback_id": stored.id, "created_at": iso_utc(stored.created_at),
             "language": stored.language},
            status_code=201,
            headers={"Location": f"{ROUTE}/{stored.id}"},
        )

    @router.get(
        "",
        response_model=FeedbackPage,
        dependencies=admin_deps,
        responses={**ADMIN, 422: _err("a bad limit, cursor, time or label filter")},
        summary="List corrections, newest first (admin)",
        description=(
            "A page ends at `limit` rows or once its corrections' text passes the server's "
            "`HYPEMETER_FEEDBACK_PAGE_BYTES` (at least one row): follow `next_cursor` until "
            "it is null. The page is streamed."
        ),
    )
    def list_feedback(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 100,
        cursor: Annotated[
            str | None, Query(max_length=512, description="`next_cursor` of the previous page")
        ] = None,
        since: Annotated[
            str | None, Query(max_length=64, description="ISO-8601 time, inclusive")
        ] = None,
        until: Annotated[
            str | None, Query(max_length=64, description="ISO-8601 time, exclusive")
        ] = None,
        model_version: Annotated[str | None, Query(max_length=128)] = None,
        label: Annotated[
            str | None,
            Query(max_length=32, description="`sensational` or `misinformation` (has that "
                  "label), optionally `:0`/`:1` (with that value)"),
        ] = None,
        profile: Annotated[
            str | None, Query(max_length=64, description="only this profile's corrections "
                              "(a profile key: always its own)"),
        ] = None,
    ) -> Response:
        profile = principal_of(request).check_profile(profile)
        batches, next_cursor = _store(request).page(
            limit=limit, max_bytes=request.app.state.settings.feedback_page_bytes,
            cursor=cursor, since=since, until=until, model_version=model_version, label=label,
            profile=profile,
        )
        return StreamingResponse(stream_page(batches, next_cursor),
                                 media_type="application/json")

    @router.get(
        "/{feedback_id}",
        response_model=FeedbackItem,
        dependencies=admin_deps,
        responses={**ADMIN, 404: _err("no such feedback")},
        summary="One correction (admin)",
    )
    def get_feedback(feedback_id: FeedbackId, request: Request) -> Response:
        found = own_correction(request, _store(request).get(feedback_id), feedback_id)
        return JSONResponse(found.to_item())

    @router.delete(
        "/{feedback_id}",
        status_code=204,
        response_class=Response,
        dependencies=admin_deps,
        responses={**ADMIN, 404: _err("no such feedback")},
        summary="Delete a correction (how a deletion request is honoured; admin)",
    )
    def delete_feedback(feedback_id: FeedbackId, request: Request) -> Response:
        principal = principal_of(request)
        if principal.scoped:
            own_correction(request, _store(request).get(feedback_id), feedback_id)
        if not _store(request).delete(feedback_id,
                                      profile=principal.profile if principal.scoped else None):
            raise NotFoundError(f"no feedback with id {feedback_id!r}", field="feedback_id")
        logger.info("feedback deleted", extra={"fields": {"feedback_id": feedback_id}})
        return Response(status_code=204)

    return router
