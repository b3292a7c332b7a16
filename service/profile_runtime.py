"""Profiles inside one worker: a bounded LRU of loaded adapters, the scoped-key cache, and the
background loop that fits due profiles and picks up new adapter versions.

Everything shared lives in the database (:class:`hypemeter.storage.profiles.ProfileStore`):
which adapter version is active, which refits are due, and who holds a profile's fit lease.
Each worker polls it every ``profile_poll_seconds``:

1. the active versions of the profiles in its LRU (a new version is loaded and swapped in; a
   deleted profile is dropped);
2. after a base-model reload, a refit request for every profile whose adapter was fitted on
   another base model (until the refit, such a profile is served the base scores);
3. due refits (requested, quiet for ``profile_debounce_seconds`` or waiting for
   ``profile_max_wait_seconds``): the worker that wins a profile's lease fits it in a thread,
   never in a request.

A stored adapter that fails its checks (checksum, format) is refused and logged; the profile
is served the base scores.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

import anyio
from hypemeter.service.state import ModelHolder

from hypemeter.errors import HypemeterError, UnknownProfileError
from hypemeter.profiles.apply import LoadedAdapter
from hypemeter.profiles.codec import AdapterRejectedError
from hypemeter.profiles.fitting import fit_claimed, load_stored
from hypemeter.storage import FeedbackStore
from hypemeter.storage.profiles import KEY_PREFIX, ProfileKey, ProfileStore

logger = logging.getLogger("hypemeter.service")

LEASE_SECONDS = 120.0
STALE_CHECK_SECONDS = 30.0
MAX_KEY_CACHE = 10_000


@dataclass(frozen=True, slots=True)
class ProfileEntry:
    """A profile as this worker serves it: its active version and that adapter (None when
    none is active, or the stored one was refused)."""

    name: str
    version: int | None
    adapter: LoadedAdapter | None


class ProfileRuntime:
    def __init__(self, store: FeedbackStore, holder: ModelHolder, *, cache_size: int = 256,
                 poll_seconds: float = 1.0, debounce_seconds: float = 0.5,
                 max_wait_seconds: float = 3.0, key_cache_seconds: float = 2.0,
                 fit: bool = True) -> None:
        self.profiles = ProfileStore(store)
        self.holder = holder
        self.cache_size = cache_size
        self.poll_seconds = poll_seconds
        self.debounce_seconds = debounce_seconds
        self.max_wait_seconds = max_wait_seconds
        self.key_cache_seconds = key_cache_seconds
        self.fit_enabled = fit
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._cache: OrderedDict[str, ProfileEntry] = OrderedDict()
        self._keys: dict[str, tuple[float, ProfileKey | None]] = {}
        self._lock = threading.Lock()
        self._model_version: str | None = None
        self._stale_checked = 0.0
        self.fits = 0

    # ------------------------------------------------------------------ the LRU

    def cached(self, name: str) -> ProfileEntry | None:
        with self._lock:
            entry = self._cache.get(name)
            if entry is not None:
                self._cache.move_to_end(name)
            return entry

    def _put(self, entry: ProfileEntry) -> None:
        with self._lock:
            self._cache[entry.name] = entry
            self._cache.move_to_end(entry.name)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def _drop(self, name: str) -> None:
        with self._lock:
            self._cache.pop(name, None)

    def cache_size_now(self) -> int:
        return len(self._cache)

    def resolve(self, name: str) -> ProfileEntry:
        """The profile's entry (from the LRU, else the database); :class:`UnknownProfileError`
        for a profile that does not exist. Blocking: call it from a thread."""
        entry = self.cached(name)
        if entry is not None:
            return entry
        profile = self.profiles.get(name)
        if profile is None:
            raise UnknownProfileError(f"no profile named {name!r}", field="profile")
        entry = ProfileEntry(name, profile.adapter_version,
                             self._load(name, profile.adapter_version))
        self._put(entry)
        return entry

    async def aresolve(self, name: str) -> ProfileEntry:
        entry = self.cached(name)
        return entry if entry is not None else await anyio.to_thread.run_sync(self.resolve, name)

    def _load(self, name: str, version: int | None) -> LoadedAdapter | None:
        if version is None:
            return None
        stored = self.profiles.load_adapter(name, version)
        if stored is None:
            return None
        try:
            return load_stored(stored)
        except AdapterRejectedError as exc:
            logger.error("profile adapter refused; serving the base scores", extra={
                "fields": {"profile": name, "adapter_version": version, "reason": exc.message}})
            return None

    def forget(self, name: str) -> None:
        self._drop(name)

    # ------------------------------------------------------------------ scoped keys

    def find_key(self, key: str) -> ProfileKey | None:
        """The profile key a presented key is, cached for ``key_cache_seconds`` (so a revoked
        key stops working within that time on every worker). Blocking."""
        if not key.startswith(KEY_PREFIX):
            return None
        now = time.monotonic()
        hit = self._keys.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        record = self.profiles.find_key(key)
        if len(self._keys) >= MAX_KEY_CACHE:
            self._keys.clear()
        self._keys[key] = (now + self.key_cache_seconds, record)
        return record

    def cached_key(self, key: str) -> tuple[bool, ProfileKey | None]:
        hit = self._keys.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        """Poll until cancelled (one iteration at a time, in a thread)."""
        while True:
            try:
                await anyio.to_thread.run_sync(self.poll_once)
            except HypemeterError as exc:
                logger.warning("profile poll failed", extra={"fields": {"reason": exc.message}})
            except Exception:  # never let the loop die
                logger.exception("profile poll failed")
            await anyio.sleep(self.poll_seconds)

    def poll_once(self) -> None:
        self.refresh()
        self.request_stale_refits()
        if self.fit_enabled:
            self.fit_due()

    def refresh(self) -> None:
        """Swap in new adapter versions of the cached profiles; drop deleted ones."""
        names = list(self._cache)
        if not names:
            return
        versions = self.profiles.active_versions(names)
        for name in names:
            entry = self.cached_no_touch(name)
            if entry is None:
                continue
            if name not in versions:
                self._drop(name)
            elif versions[name] != entry.version:
                self._replace(name, versions[name])

    def cached_no_touch(self, name: str) -> ProfileEntry | None:
        with self._lock:
            return self._cache.get(name)

    def _replace(self, name: str, version: int | None) -> None:
        entry = ProfileEntry(name, version, self._load(name, version))
        with self._lock:
            if name in self._cache:
                self._cache[name] = entry

    def request_stale_refits(self) -> None:
        loaded = self.holder.current
        if loaded is None:
            return
        now = time.monotonic()
        if loaded.version == self._model_version and now - self._stale_checked < \
                STALE_CHECK_SECONDS:
            return
        self._model_version, self._stale_checked = loaded.version, now
        n = self.profiles.request_fits_not_on(loaded.version)
        if n:
            logger.info("profiles to refit on the new base model",
                        extra={"fields": {"profiles": n, "model_version": loaded.version}})

    def fit_due(self, limit: int = 4) -> int:
        loaded = self.holder.current
        if loaded is None:
            return 0
        done = 0
        for name in self.profiles.due(debounce=self.debounce_seconds,
                                      max_wait=self.max_wait_seconds, limit=limit):
            claim = self.profiles.claim(name, self.worker_id, ttl=LEASE_SECONDS)
            if claim is None:
                continue  # another worker or replica took it
            outcome = fit_claimed(self.profiles, loaded.scorer, claim)
            self.fits += 1
            done += 1
            if outcome.version is not None and self.cached_no_touch(name) is not None:
                self._replace(name, self.profiles.active_versions([name]).get(name))
        return done
