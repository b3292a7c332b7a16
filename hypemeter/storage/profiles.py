"""Profiles in the feedback database: the profiles, their scoped keys, their adapters
(versioned) and their fit state (refits requested and done, and the fit lease).

:class:`ProfileStore` works on a :class:`~hypemeter.storage.store.FeedbackStore`'s engine. All
state that workers and replicas share lives here: which adapter version is active, which fits
are due, and who holds a profile's fit lease (at most one fit per profile at a time, across
every process on the database).

Adapters are keyed by the base model version they were fitted on: a server passes its own
model's version (``model=``) and sees that model's active adapter and that model's due fits, so
replicas serving different base models on one database each keep their own adapters (one
model's fits never switch off, replace or re-request another model's). Without ``model`` the
methods read the profile-wide state (the newest fit, whatever its model).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from hypemeter.errors import InvalidInputError, ProfileExistsError, UnknownProfileError
from hypemeter.storage.engine import translated_errors
from hypemeter.storage.profile_keys import KEY_PREFIX, ROLES, ProfileKey, ProfileKeys, hash_key
from hypemeter.storage.records import Feedback, iso_utc
from hypemeter.storage.store import FeedbackStore, request_refit

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

if TYPE_CHECKING:
    from hypemeter.storage import tables
else:
    from hypemeter.storage.lazy import tables  # the ORM is imported on first use


def check_name(name: object, field: str = "profile") -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise InvalidInputError(
            f"{field}: {str(name)[:80]!r} is not a profile name (lower-case letters, digits "
            "and . _ -, starting with a letter or digit, at most 64 characters)", field=field,
        )
    return name


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    description: str | None
    created_at: datetime
    adapter_version: int | None

    def to_item(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "created_at": iso_utc(self.created_at)}


@dataclass(frozen=True, slots=True)
class StoredAdapter:
    """An adapter row as stored; :mod:`hypemeter.profiles.codec` checks and decodes it."""

    profile: str
    version: int
    fitted_at: datetime
    base_model_version: str
    meta: str
    arrays: bytes
    checksum: str


@dataclass(frozen=True, slots=True)
class FitClaim:
    """A fit lease held: fit everything requested up to ``requested``."""

    profile: str
    holder: str
    requested: int


def _profile(row: tables.ProfileRow) -> Profile:
    return Profile(row.name, row.description, row.created_at, row.adapter_version)


class ProfileStore(ProfileKeys):
    def __init__(self, store: FeedbackStore) -> None:
        self.store = store

    def _begin(self):  # type: ignore[no-untyped-def]
        if not self.store._ready:
            self.store.upgrade()
        return self.store.engine().begin()

    def _read(self):  # type: ignore[no-untyped-def]
        if not self.store._ready:
            self.store.upgrade()
        return self.store.engine().connect().execution_options(hypemeter_readonly=True)

    # ------------------------------------------------------------------ profiles

    def create(self, name: str, description: str | None = None,
               *, now: datetime | None = None) -> Profile:
        check_name(name, "name")
        when = (now or datetime.now(UTC)).astimezone(UTC)
        try:
            with translated_errors(), self.store._write_lock, self._begin() as conn:
                exists = conn.scalar(select(tables.ProfileRow.name)
                                     .where(tables.ProfileRow.name == name))
                if exists is not None:
                    raise ProfileExistsError(f"a profile named {name!r} exists", field="name")
                conn.execute(insert(tables.ProfileRow), {"name": name, "description": description,
                                                  "created_at": when, "adapter_version": None})
                conn.execute(insert(tables.ProfileFitLeaseRow), {"profile": name, "requested": 0,
                                                          "fitted": 0, "fits": 0})
        except IntegrityError:  # created by another process between the check and the insert
            raise ProfileExistsError(f"a profile named {name!r} exists", field="name") from None
        return Profile(name, description, when, None)

    def get(self, name: str) -> Profile | None:
        with translated_errors(), self._read() as conn, conn.begin():
            row = conn.execute(select(tables.ProfileRow)
                               .where(tables.ProfileRow.name == name)).first()
        return None if row is None else Profile(row.name, row.description, row.created_at,
                                                row.adapter_version)

    def require(self, name: str) -> Profile:
        found = self.get(name)
        if found is None:
            raise UnknownProfileError(f"no profile named {name!r}", field="profile")
        return found

    def list(self) -> list[Profile]:
        with translated_errors(), self._read() as conn, conn.begin():
            rows = conn.execute(select(tables.ProfileRow).order_by(tables.ProfileRow.name)).all()
        return [Profile(r.name, r.description, r.created_at, r.adapter_version) for r in rows]

    def delete(self, name: str) -> bool:
        """Remove the profile and every row of it: corrections, keys, adapters, fit state."""
        with translated_errors(), self.store._write_lock, self._begin() as conn:
            conn.execute(delete(tables.FeedbackRow).where(tables.FeedbackRow.profile == name))
            for table in (tables.ProfileKeyRow, tables.ProfileAdapterRow,
                          tables.ProfileModelAdapterRow, tables.ProfileFitLeaseRow):
                conn.execute(delete(table).where(table.profile == name))
            result = conn.execute(delete(tables.ProfileRow).where(tables.ProfileRow.name == name))
            return bool(result.rowcount)

    def active_versions(self, names: list[str] | None = None, *, model: str | None = None
                        ) -> dict[str, int | None]:
        """``name -> adapter_version`` of the named profiles that exist (all when None): the
        active adapter on the base model ``model`` (None: the newest fit's, whatever its
        model)."""
        if model is None:
            query = select(tables.ProfileRow.name, tables.ProfileRow.adapter_version)
        else:
            per_model = tables.ProfileModelAdapterRow
            query = select(tables.ProfileRow.name, per_model.adapter_version).outerjoin(
                per_model, and_(per_model.profile == tables.ProfileRow.name,
                                per_model.base_model_version == model))
        if names is not None:
            if not names:
                return {}
            query = query.where(tables.ProfileRow.name.in_(names))
        with translated_errors(), self._read() as conn, conn.begin():
            return {r.name: r.adapter_version for r in conn.execute(query)}

    # ------------------------------------------------------------------ corrections

    def corrections(self, name: str) -> Iterator[Feedback]:
        """The profile's corrections, oldest first."""
        return self.store.iter_all(profile=name)

    def correction_counts(self, name: str) -> dict[str, Any]:
        labels: dict[str, Counter[str]] = {"sensational": Counter(), "misinformation": Counter()}
        total = spans = 0
        row = tables.FeedbackRow
        query = select(row.sensational, row.misinformation, row.spans).where(row.profile == name)
        with translated_errors(), self._read() as conn, conn.begin():
            for sens, mis, span_list in conn.execute(query):
                total += 1
                spans += len(span_list or ())
                if sens is not None:
                    labels["sensational"][str(sens)] += 1
                if mis is not None:
                    labels["misinformation"][str(mis)] += 1
        return {"total": total,
                **{k: {"0": c["0"], "1": c["1"]} for k, c in labels.items()},
                "spans": spans}

    def get_correction(self, feedback_id: str) -> Feedback | None:
        return self.store.get(feedback_id)

    # ------------------------------------------------------------------ adapters

    def save_adapter(self, profile: str, *, base_model_version: str, meta: str, arrays: bytes,
                     checksum: str, active: bool, fitted_through: int, holder: str,
                     now: datetime | None = None) -> int | None:
        """Store a new adapter version (made active when ``active``) and end the fit lease
        in one transaction. None when the profile was deleted meanwhile."""
        when = (now or datetime.now(UTC)).astimezone(UTC)
        with translated_errors(), self.store._write_lock, self._begin() as conn:
            if conn.scalar(select(tables.ProfileRow.name)
                           .where(tables.ProfileRow.name == profile)) is None:
                return None
            last = conn.scalar(select(func.max(tables.ProfileAdapterRow.version))
                               .where(tables.ProfileAdapterRow.profile == profile)) or 0
            version = int(last) + 1
            conn.execute(insert(tables.ProfileAdapterRow), {
                "profile": profile, "version": version, "fitted_at": when,
                "base_model_version": base_model_version, "meta": meta, "arrays": arrays,
                "checksum": checksum})
            conn.execute(update(tables.ProfileRow).where(tables.ProfileRow.name == profile)
                         .values(adapter_version=version if active else None))
            per_model = tables.ProfileModelAdapterRow
            values = {"fitted": fitted_through, "adapter_version": version if active else None}
            done = conn.execute(update(per_model).where(
                per_model.profile == profile,
                per_model.base_model_version == base_model_version).values(**values))
            if not done.rowcount:
                conn.execute(insert(per_model), {"profile": profile,
                                                 "base_model_version": base_model_version,
                                                 **values})
            # keep the newest few versions (the history is for audit, not for serving), and
            # every version some base model serves
            serving = select(per_model.adapter_version).where(
                per_model.profile == profile, per_model.adapter_version.is_not(None))
            conn.execute(delete(tables.ProfileAdapterRow).where(
                tables.ProfileAdapterRow.profile == profile,
                tables.ProfileAdapterRow.version <= version - 5,
                tables.ProfileAdapterRow.version.not_in(serving)))
            self._finish(conn, profile, holder, fitted_through, when)
        return version

    @staticmethod
    def _serving_query(model: str) -> Any:
        per_model, row = tables.ProfileModelAdapterRow, tables.ProfileAdapterRow
        return (select(tables.ProfileRow.name, per_model.adapter_version, row)
                .outerjoin(per_model, and_(per_model.profile == tables.ProfileRow.name,
                                           per_model.base_model_version == model))
                .outerjoin(row, and_(row.profile == tables.ProfileRow.name,
                                     row.version == per_model.adapter_version)))

    @staticmethod
    def _serving(found: Any) -> tuple[int | None, StoredAdapter | None]:
        version = found.adapter_version
        if version is None or found.version is None:
            return version, None
        return version, StoredAdapter(found.profile, found.version, found.fitted_at,
                                      found.base_model_version, found.meta,
                                      bytes(found.arrays), found.checksum)

    def serving_adapter(self, profile: str, model: str
                        ) -> tuple[bool, int | None, StoredAdapter | None]:
        """In one query: whether the profile exists, its active adapter version on the base
        model ``model`` and that stored adapter (what a worker loads on an LRU miss)."""
        query = self._serving_query(model).where(tables.ProfileRow.name == profile)
        with translated_errors(), self._read() as conn, conn.begin():
            found = conn.execute(query).first()
        if found is None:
            return False, None, None
        return (True, *self._serving(found))

    def serving_adapters(self, model: str, *, after: str | None = None, limit: int = 200
                         ) -> list[tuple[str, int | None, StoredAdapter | None]]:
        """A page of :meth:`serving_adapter` for every profile, by name (the names after
        ``after``): what a worker preloads into its LRU at start."""
        query = self._serving_query(model).order_by(tables.ProfileRow.name).limit(limit)
        if after is not None:
            query = query.where(tables.ProfileRow.name > after)
        with translated_errors(), self._read() as conn, conn.begin():
            found = conn.execute(query).all()
        return [(f.name, *self._serving(f)) for f in found]

    def load_adapter(self, profile: str, version: int | None = None, *,
                     model: str | None = None) -> StoredAdapter | None:
        """The given version (default: the newest stored, active or not; with ``model``, the
        newest fitted on that base model)."""
        query = select(tables.ProfileAdapterRow).where(tables.ProfileAdapterRow.profile == profile)
        if model is not None:
            query = query.where(tables.ProfileAdapterRow.base_model_version == model)
        query = (query.where(tables.ProfileAdapterRow.version == version) if version is not None
                 else query.order_by(tables.ProfileAdapterRow.version.desc()).limit(1))
        with translated_errors(), self._read() as conn, conn.begin():
            row = conn.execute(query).first()
        if row is None:
            return None
        return StoredAdapter(row.profile, row.version, row.fitted_at, row.base_model_version,
                             row.meta, bytes(row.arrays), row.checksum)

    # ------------------------------------------------------------------ fit state and lease

    def request_fit(self, profile: str, *, now: datetime | None = None) -> None:
        with translated_errors(), self.store._write_lock, self._begin() as conn:
            request_refit(conn, profile, (now or datetime.now(UTC)).astimezone(UTC))

    def fit_state(self, profile: str, *, model: str | None = None) -> dict[str, Any] | None:
        """The refits requested and done (``fitted``: by the newest fit; with ``model``, by
        that base model's fits), the fits so far, and the lease."""
        with translated_errors(), self._read() as conn, conn.begin():
            row = conn.execute(select(tables.ProfileFitLeaseRow)
                               .where(tables.ProfileFitLeaseRow.profile == profile)).first()
            fitted = None if row is None or model is None else conn.scalar(
                select(self._fitted_on(model)).where(tables.ProfileFitLeaseRow.profile == profile))
        if row is None:
            return None
        return {"requested": row.requested,
                "fitted": row.fitted if model is None else int(fitted or 0), "fits": row.fits,
                "holder": row.holder, "lease_until": row.lease_until}

    @staticmethod
    def _fitted_on(model: str) -> Any:
        """The refits ``model``'s fits of the lease row's profile covered (0 when it has
        none): a scalar subquery correlated with ``profile_fit_leases``."""
        per_model = tables.ProfileModelAdapterRow
        return func.coalesce(
            select(per_model.fitted).where(per_model.base_model_version == model,
                                           per_model.profile == tables.ProfileFitLeaseRow.profile)
            .correlate(tables.ProfileFitLeaseRow).scalar_subquery(), 0)

    def due(self, *, debounce: float, max_wait: float, now: datetime | None = None,
            limit: int = 16, model: str | None = None) -> list[str]:
        """Profiles with refits requested (with ``model``: not yet covered by a fit on that
        base model, so on a new base model every profile with corrections is due), quiet for
        ``debounce`` seconds (or waiting for ``max_wait``), whose lease is free."""
        when = (now or datetime.now(UTC)).astimezone(UTC)
        lease = tables.ProfileFitLeaseRow
        fitted = lease.fitted if model is None else self._fitted_on(model)
        query = (select(lease.profile)
                 .where(lease.requested > fitted)
                 .where(or_(lease.requested_at <= when - timedelta(seconds=debounce),
                            lease.pending_since <= when - timedelta(seconds=max_wait)))
                 .where(or_(lease.lease_until.is_(None), lease.lease_until < when))
                 .order_by(lease.pending_since).limit(limit))
        with translated_errors(), self._read() as conn, conn.begin():
            return list(conn.scalars(query))

    def claim(self, profile: str, holder: str, *, ttl: float, now: datetime | None = None,
              model: str | None = None) -> FitClaim | None:
        """Take the profile's fit lease if it is free (or expired) and a refit is due (on
        ``model``, when given): one conditional UPDATE, so of several workers or replicas
        racing for it exactly one wins."""
        when = (now or datetime.now(UTC)).astimezone(UTC)
        lease = tables.ProfileFitLeaseRow
        fitted = lease.fitted if model is None else self._fitted_on(model)
        with translated_errors(), self.store._write_lock, self._begin() as conn:
            result = conn.execute(
                update(lease)
                .where(lease.profile == profile, lease.requested > fitted,
                       or_(lease.lease_until.is_(None), lease.lease_until < when))
                .values(holder=holder, lease_until=when + timedelta(seconds=ttl))
            )
            if not result.rowcount:
                return None
            requested = conn.scalar(select(lease.requested).where(lease.profile == profile))
        return FitClaim(profile, holder, int(requested or 0))

    def release(self, claim: FitClaim, *, fitted: bool, now: datetime | None = None) -> None:
        """End a lease without storing an adapter (``fitted``: the requests up to the claim
        are done, e.g. too few labels to fit; else they stay due)."""
        when = (now or datetime.now(UTC)).astimezone(UTC)
        with translated_errors(), self.store._write_lock, self._begin() as conn:
            if fitted:
                self._finish(conn, claim.profile, claim.holder, claim.requested, when)
            else:
                conn.execute(update(tables.ProfileFitLeaseRow)
                             .where(tables.ProfileFitLeaseRow.profile == claim.profile,
                                    tables.ProfileFitLeaseRow.holder == claim.holder)
                             .values(holder=None, lease_until=None))

    @staticmethod
    def _finish(conn: Any, profile: str, holder: str, fitted_through: int,
                when: datetime) -> None:
        lease = tables.ProfileFitLeaseRow
        conn.execute(
            update(lease).where(lease.profile == profile, lease.holder == holder)
            .values(fitted=fitted_through, fits=lease.fits + 1, holder=None, lease_until=None)
        )
        # requests that came in during the fit are due again, counted from now
        conn.execute(
            update(lease).where(lease.profile == profile, lease.requested > lease.fitted)
            .values(pending_since=when)
        )
        conn.execute(
            update(lease).where(lease.profile == profile, lease.requested <= lease.fitted)
            .values(pending_since=None)
        )


__all__ = ["KEY_PREFIX", "NAME_PATTERN", "ROLES", "FitClaim", "Profile", "ProfileKey",
           "ProfileStore", "StoredAdapter", "check_name", "hash_key"]
