"""Who is asking: the server's keys (``HYPEMETER_API_KEY``, ``HYPEMETER_ADMIN_KEY``, with the
meaning :mod:`hypemeter.service.auth` gives them) and keys scoped to a profile.

A scoped key (``POST /v1/keys``) belongs to one profile and has a role: ``score`` keys score
(as that profile), ``correct`` keys also send, list, export and delete that profile's
corrections. A scoped key opens the routes that key's role allows whether or not
``HYPEMETER_API_KEY`` is set, and never another profile's data (403 ``forbidden``). Keys are
looked up by their SHA-256 and cached for ``HYPEMETER_PROFILE_KEY_CACHE_SECONDS``.

Each check here runs before the body is read (:class:`hypemeter.service.routing.KeyFirstRoute`)
and leaves the caller on ``request.state.principal``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import anyio
from fastapi import Request
from hypemeter.service.auth import check_admin_key, keys_from_headers, keys_match
from hypemeter.service.errors import ForbiddenError, UnauthorizedError
from pydantic import SecretStr

from hypemeter.storage.profiles import KEY_PREFIX

Kind = Literal["open", "api", "admin", "profile"]


@dataclass(frozen=True, slots=True)
class Principal:
    kind: Kind
    profile: str | None = None
    role: str | None = None
    key_id: str | None = None

    @property
    def scoped(self) -> bool:
        return self.kind == "profile"

    def may_correct(self) -> bool:
        return self.kind != "profile" or self.role == "correct"

    def check_profile(self, name: str | None) -> str | None:
        """The profile a request acts for: a scoped key's own (403 for another), else
        ``name`` as given."""
        if self.kind != "profile":
            return name
        if name is not None and name != self.profile:
            raise ForbiddenError(
                f"this key belongs to the profile {self.profile!r}, not {name!r}",
                field="profile")
        return self.profile


def _matches(keys: list[str], expected: SecretStr | None) -> bool:
    if expected is None:
        return False
    ok = False
    for key in keys:
        ok |= keys_match(key, expected)
    return ok


async def identify(request: Request) -> Principal:
    """The request's principal (cached on ``request.state``): admin, api, a profile key,
    or open (no server key set and no profile key presented). 401 for a key that is none of
    these when a key is required, and always for an unknown or revoked profile key."""
    found = request.scope.setdefault("state", {}).get("principal")  # request.state's dict
    if isinstance(found, Principal):
        return found
    settings = request.app.state.settings
    keys = keys_from_headers(request)
    principal: Principal | None = None
    if _matches(keys, settings.admin_key):
        principal = Principal("admin")
    elif _matches(keys, settings.api_key):
        principal = Principal("api")
    else:
        runtime = request.app.state.profiles
        for key in keys:
            if not key.startswith(KEY_PREFIX):
                continue
            hit, record = runtime.cached_key(key)
            if not hit:
                record = await anyio.to_thread.run_sync(runtime.find_key, key)
            if record is None:
                raise UnauthorizedError("unknown or revoked profile key")
            principal = Principal("profile", record.profile, record.role, record.key_id)
            break
    if principal is None:
        if settings.api_key is not None:
            raise UnauthorizedError(
                "invalid API key" if keys else "this route needs the API key: send "
                "'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
        principal = Principal("open")
    request.state.principal = principal
    return principal


async def check_scoring(request: Request) -> None:
    """``/v1/score``: the API key rule, or any profile key."""
    await identify(request)


async def check_correcting(request: Request) -> None:
    """``POST /v1/feedback``: the API key rule, or a profile's ``correct`` key."""
    principal = await identify(request)
    if not principal.may_correct():
        raise ForbiddenError("this key may score, not send corrections (role 'score')")


def _presents_profile_key(request: Request) -> bool:
    return any(k.startswith(KEY_PREFIX) for k in keys_from_headers(request))


async def check_admin_only(request: Request) -> None:
    """Admin routes: a profile key gets 403 (it is valid, just not allowed here)."""
    settings = request.app.state.settings
    keys = keys_from_headers(request)
    if _matches(keys, settings.admin_key):
        request.state.principal = Principal("admin")
        return
    if _presents_profile_key(request):
        principal = await identify(request)
        if principal.scoped:
            raise ForbiddenError("a profile key cannot use this route (admin only)")
    check_admin_key(request)
    request.state.principal = Principal("admin")


async def check_admin_or_corrector(request: Request) -> None:
    """Reading and deleting corrections: the admin key, or a profile's ``correct`` key (only
    its own profile's corrections; the route checks which)."""
    if _presents_profile_key(request) and not _matches(keys_from_headers(request),
                                                       request.app.state.settings.admin_key):
        principal = await identify(request)
        if principal.scoped:
            if principal.role != "correct":
                raise ForbiddenError("this key may score, not read corrections (role 'score')")
            return
    check_admin_key(request)
    request.state.principal = Principal("admin")


async def check_admin_or_member(request: Request) -> None:
    """``GET /v1/profiles/{name}``: the admin key or any key of that profile (the route
    compares the name)."""
    await check_admin_or_corrector_or_scorer(request)


async def check_admin_or_corrector_or_scorer(request: Request) -> None:
    if _presents_profile_key(request) and not _matches(keys_from_headers(request),
                                                       request.app.state.settings.admin_key):
        principal = await identify(request)
        if principal.scoped:
            return
    check_admin_key(request)
    request.state.principal = Principal("admin")


def principal_of(request: Request) -> Principal:
    """The principal a check above left (open when none ran)."""
    found = request.scope.setdefault("state", {}).get("principal")  # request.state's dict
    return found if isinstance(found, Principal) else Principal("open")


# The header-only checks of these dependencies, run before the body is read (the
# dependencies themselves are the same functions: FastAPI runs them again, from the cache).
PROFILE_CHECKS = {
    check_scoring: check_scoring,
    check_correcting: check_correcting,
    check_admin_only: check_admin_only,
    check_admin_or_corrector: check_admin_or_corrector,
    check_admin_or_member: check_admin_or_member,
}
