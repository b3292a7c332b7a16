"""Keys scoped to a profile: ``POST/GET /v1/keys``, ``DELETE /v1/keys/{key_id}`` (admin).

A key is shown once, in the reply to its creation; only its SHA-256 is stored. A revoked key
stops working on every worker and replica within ``HYPEMETER_PROFILE_KEY_CACHE_SECONDS``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from hypemeter.service.profile_auth import check_admin_only
from hypemeter.service.routers.profiles import AUTH, NAME
from hypemeter.service.routing import R413, R415, KeyFirstRoute, error_doc, require_json
from pydantic import BaseModel, ConfigDict, Field

from hypemeter.errors import NotFoundError

logger = logging.getLogger("hypemeter.service")

ROUTE = "/v1/keys"


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"profile": "acme-news", "role": "correct"}]})

    profile: Annotated[str, Field(pattern=NAME)]
    role: Annotated[Literal["score", "correct"], Field(
        description="`score`: score as the profile; `correct`: also send, list and delete its "
                    "corrections")]


class KeyItem(BaseModel):
    key_id: str
    profile: str
    role: str
    created_at: str


class KeyCreated(KeyItem):
    key: Annotated[str, Field(description="the key itself: shown this once, never again")]


class KeyList(BaseModel):
    items: list[KeyItem]


def build_router() -> APIRouter:
    router = APIRouter(prefix=ROUTE, tags=["keys"], route_class=KeyFirstRoute)
    admin = [Depends(check_admin_only)]

    @router.post("", status_code=201, response_model=KeyCreated,
                 dependencies=[*admin, Depends(require_json)],
                 responses={**AUTH, **R413, **R415, 404: error_doc("`unknown_profile`")},
                 summary="Create a key scoped to a profile (admin)")
    async def create_key(payload: KeyCreate, request: Request) -> Response:
        profiles = request.app.state.profiles.profiles
        record, secret = await anyio.to_thread.run_sync(
            lambda: profiles.create_key(payload.profile, payload.role))
        logger.info("profile key created", extra={"fields": {
            "key_id": record.key_id, "profile": record.profile, "role": record.role}})
        return JSONResponse({**record.to_item(), "key": secret}, status_code=201,
                            headers={"Cache-Control": "no-store"})

    @router.get("", response_model=KeyList, dependencies=admin, responses=AUTH,
                summary="List the keys (never the keys themselves; admin)")
    async def list_keys(
        request: Request,
        profile: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Response:
        profiles = request.app.state.profiles.profiles
        found = await anyio.to_thread.run_sync(lambda: profiles.list_keys(profile))
        return JSONResponse({"items": [k.to_item() for k in found]})

    @router.delete("/{key_id}", status_code=204, response_class=Response, dependencies=admin,
                   responses={**AUTH, 404: error_doc("no such key")},
                   summary="Revoke a key (admin)")
    async def revoke_key(
        key_id: Annotated[str, Path(max_length=32)], request: Request,
    ) -> Response:
        profiles = request.app.state.profiles.profiles
        if not await anyio.to_thread.run_sync(profiles.revoke_key, key_id):
            raise NotFoundError(f"no key with id {key_id!r}", field="key_id")
        logger.info("profile key revoked", extra={"fields": {"key_id": key_id}})
        return Response(status_code=204)

    return router
