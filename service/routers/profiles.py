"""Profiles: ``POST/GET /v1/profiles``, ``GET/DELETE /v1/profiles/{name}`` (see
docs/profiles.md).

Creating, listing and deleting profiles needs the admin key; reading one profile's state needs
the admin key or any key of that profile. A profile key on an admin-only route, or on another
profile, gets 403 ``forbidden``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from hypemeter.service.profile_auth import (
    check_admin_only,
    check_admin_or_member,
    principal_of,
)
from hypemeter.service.profile_runtime import ProfileRuntime
from hypemeter.service.routing import R413, R415, KeyFirstRoute, error_doc, require_json
from pydantic import BaseModel, ConfigDict, Field

from hypemeter.errors import UnknownProfileError
from hypemeter.profiles.codec import AdapterRejectedError, decode, public_head
from hypemeter.storage.records import iso_utc

logger = logging.getLogger("hypemeter.service")

ROUTE = "/v1/profiles"
NAME = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
ProfileName = Annotated[str, Path(max_length=64, description="the profile's name")]

AUTH = {
    401: error_doc("key missing or wrong"),
    403: error_doc("admin routes disabled, or a profile key on a route it may not use"),
    503: error_doc("the feedback database is unavailable"),
}


class ProfileCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"name": "acme-news", "description": "Acme's newsroom"}]})

    name: Annotated[str, Field(pattern=NAME, description="lower-case letters, digits, . _ -")]
    description: Annotated[str | None, Field(max_length=2000)] = None


class ProfileCreated(BaseModel):
    name: str
    created_at: str


class ProfileListItem(BaseModel):
    name: str
    description: str | None
    created_at: str


class ProfileList(BaseModel):
    items: list[ProfileListItem]


class ProfileState(BaseModel):
    """A profile's corrections and its newest adapter (``adapter.active``: whether it serves;
    ``heads.<head>.labels``: the labels that fit counted)."""

    name: str
    description: str | None = None
    created_at: str
    corrections: dict[str, Any]
    adapter: dict[str, Any] | None


def _runtime(request: Request) -> ProfileRuntime:
    return request.app.state.profiles  # type: ignore[no-any-return]


def profile_state(runtime: ProfileRuntime, name: str, model_version: str | None
                  ) -> dict[str, Any]:
    """The profile's state as the server serving ``model_version`` sees it: its newest adapter
    on that base model (else the newest on any, shown with ``serving`` false), whether that one
    is the active adapter there, and the refits that model's fits have not covered yet."""
    profiles = runtime.profiles
    profile = profiles.require(name)
    out: dict[str, Any] = {**profile.to_item(), "corrections": profiles.correction_counts(name),
                           "adapter": None}
    stored = None if model_version is None else profiles.load_adapter(name, model=model_version)
    active_version = profile.adapter_version
    if stored is None:
        stored = profiles.load_adapter(name)
    else:
        active_version = profiles.active_versions([name], model=model_version).get(name)
    if stored is not None:
        try:
            meta = decode(stored.meta, stored.arrays, stored.checksum).meta
        except AdapterRejectedError as exc:
            out["adapter"] = {"version": stored.version, "fitted_at": iso_utc(stored.fitted_at),
                              "base_model_version": stored.base_model_version,
                              "active": False, "refused": exc.message, "heads": None,
                              "spans": None}
            return out
        heads = {h: public_head(spec)
                 for h, spec in meta["heads"].items()}
        current = active_version == stored.version
        spans = meta.get("spans") or {}
        phrases = spans.get("phrases", [])
        out["adapter"] = {
            "version": stored.version,
            "fitted_at": iso_utc(stored.fitted_at),
            "base_model_version": stored.base_model_version,
            "active": current,
            "serving": current and stored.base_model_version == model_version,
            "heads": heads,
            "spans": {"phrases": len(phrases),
                      "rejected": sum(1 for _, a, r, _c in phrases if r > a),
                      "added": sum(1 for _, a, r, _c in phrases if a > r)},
        }
    state = profiles.fit_state(name, model=model_version)
    if state is not None:
        out["fit"] = {"pending": state["requested"] > state["fitted"], "fits": state["fits"]}
    return out


def build_router() -> APIRouter:
    router = APIRouter(prefix=ROUTE, tags=["profiles"], route_class=KeyFirstRoute)
    admin = [Depends(check_admin_only)]

    @router.post("", status_code=201, response_model=ProfileCreated,
                 dependencies=[*admin, Depends(require_json)],
                 responses={**AUTH, **R413, **R415, 409: error_doc("the profile exists"),
                            422: error_doc("a bad name")},
                 summary="Create a profile (admin)")
    async def create_profile(payload: ProfileCreate, request: Request) -> Response:
        created = await anyio.to_thread.run_sync(
            lambda: _runtime(request).profiles.create(payload.name, payload.description))
        logger.info("profile created", extra={"fields": {"profile": created.name}})
        return JSONResponse({"name": created.name, "created_at": iso_utc(created.created_at)},
                            status_code=201, headers={"Location": f"{ROUTE}/{created.name}"})

    @router.get("", response_model=ProfileList, dependencies=admin, responses=AUTH,
                summary="List the profiles (admin)")
    async def list_profiles(request: Request) -> Response:
        found = await anyio.to_thread.run_sync(_runtime(request).profiles.list)
        return JSONResponse({"items": [p.to_item() for p in found]})

    @router.get("/{name}", response_model=ProfileState,
                dependencies=[Depends(check_admin_or_member)],
                responses={**AUTH, 404: error_doc("`unknown_profile`")},
                summary="A profile's corrections and adapter (admin, or a key of the profile)")
    async def get_profile(name: ProfileName, request: Request) -> Response:
        principal_of(request).check_profile(name)
        loaded = request.app.state.holder.current
        state = await anyio.to_thread.run_sync(
            profile_state, _runtime(request), name, loaded.version if loaded else None)
        return JSONResponse(state)

    @router.delete("/{name}", status_code=204, response_class=Response, dependencies=admin,
                   responses={**AUTH, 404: error_doc("`unknown_profile`")},
                   summary="Delete a profile with its corrections, adapters and keys (admin)")
    async def delete_profile(name: ProfileName, request: Request) -> Response:
        runtime = _runtime(request)
        if not await anyio.to_thread.run_sync(runtime.profiles.delete, name):
            raise UnknownProfileError(f"no profile named {name!r}", field="name")
        runtime.forget(name)
        logger.info("profile deleted", extra={"fields": {"profile": name}})
        return Response(status_code=204)

    return router
