"""Keys scoped to one profile (stored as their SHA-256): :class:`ProfileKeys`, the key half of
:class:`hypemeter.storage.profiles.ProfileStore`."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import delete, insert, select

from hypemeter.errors import InvalidInputError, UnknownProfileError
from hypemeter.storage.engine import translated_errors
from hypemeter.storage.records import iso_utc
from hypemeter.storage.store import FeedbackStore

Role = Literal["score", "correct"]
ROLES: tuple[str, ...] = ("score", "correct")
KEY_PREFIX = "hmk_"  # every profile key starts so (tells it from the server's own keys)

if TYPE_CHECKING:
    from hypemeter.storage import tables
else:
    from hypemeter.storage.lazy import tables  # the ORM is imported on first use


def hash_key(key: str) -> str:
    """The stored form of a key: its SHA-256 (keys are 192 random bits, so no salt is needed)."""
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True, slots=True)
class ProfileKey:
    key_id: str
    profile: str
    role: str
    created_at: datetime

    def to_item(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "profile": self.profile, "role": self.role,
                "created_at": iso_utc(self.created_at)}


class ProfileKeys:
    """Creating, listing, revoking and finding profile keys (mixed into ``ProfileStore``,
    which provides ``store``, ``_begin`` and ``_read``)."""

    store: FeedbackStore

    def _begin(self):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def _read(self):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def create_key(self, profile: str, role: str, *, now: datetime | None = None
                   ) -> tuple[ProfileKey, str]:
        """A new key for ``profile``: the record and the key itself (shown once, never
        stored)."""
        if role not in ROLES:
            raise InvalidInputError(f"role must be 'score' or 'correct', not {role!r}",
                                    field="role")
        key_id = secrets.token_hex(8)
        secret = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
        when = (now or datetime.now(UTC)).astimezone(UTC)
        with translated_errors(), self.store._write_lock, self._begin() as conn:
            if conn.scalar(select(tables.ProfileRow.name)
                           .where(tables.ProfileRow.name == profile)) is None:
                raise UnknownProfileError(f"no profile named {profile!r}", field="profile")
            conn.execute(insert(tables.ProfileKeyRow), {
                "key_id": key_id, "profile": profile, "role": role,
                "key_hash": hash_key(secret), "created_at": when})
        return ProfileKey(key_id, profile, role, when), secret

    def list_keys(self, profile: str | None = None) -> list[ProfileKey]:
        query = select(tables.ProfileKeyRow).order_by(tables.ProfileKeyRow.created_at,
                                                      tables.ProfileKeyRow.key_id)
        if profile is not None:
            query = query.where(tables.ProfileKeyRow.profile == profile)
        with translated_errors(), self._read() as conn, conn.begin():
            return [ProfileKey(r.key_id, r.profile, r.role, r.created_at)
                    for r in conn.execute(query)]

    def revoke_key(self, key_id: str) -> bool:
        with translated_errors(), self.store._write_lock, self._begin() as conn:
            result = conn.execute(delete(tables.ProfileKeyRow)
                                  .where(tables.ProfileKeyRow.key_id == key_id))
            return bool(result.rowcount)

    def find_key(self, key: str) -> ProfileKey | None:
        """The key record a presented key matches (by its hash), or None."""
        if not key.startswith(KEY_PREFIX):
            return None
        query = select(tables.ProfileKeyRow).where(tables.ProfileKeyRow.key_hash == hash_key(key))
        with translated_errors(), self._read() as conn, conn.begin():
            row = conn.execute(query).first()
        return None if row is None else ProfileKey(row.key_id, row.profile, row.role,
                                                   row.created_at)


__all__ = ["KEY_PREFIX", "ROLES", "ProfileKey", "ProfileKeys", "Role", "hash_key"]
