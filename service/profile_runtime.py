"""Profiles inside one worker: a bounded LRU of loaded adapters, the scoped-key cache, and the
background loop that fits due profiles and picks up new adapter versions.

Everything shared lives in the database (:class:`hypemeter.storage.profiles.ProfileStore`):
which adapter version is active, which refits are due, and who holds a profile's fit lease.
Each worker polls it every ``profile_poll_seconds``:

1. the active versions of the profiles in its LRU (a new version is loaded and swapped in; a
   deleted profile is dropped);
2. due refits on its own base model (requested and not yet covered by a fit on that model,
   quiet for ``profile_debounce_seconds`` or waiting for ``profile_max_wait_seconds``): the
   worker that wins a profile's lease fits it in a thread, never in a request.

Adapters are keyed by base model version (:class:`ProfileStore` with ``model=``): after a
reload to another model every profile with corrections is due on it (served the base scores
until its refit), and replicas on different base models sharing one database each fit and serve
their own model's adapters, never each other's.

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
from hypemeter.storage.profiles import KEY_PREFIX, ProfileKey, ProfileStore, StoredAdapter

logger = logging.getLogger("hypemeter.service")

LEASE_SECONDS = 120.0
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
        exists, version, stored = self.profiles.serving_adapter(name, self.model_version())
        if not exists:
            raise UnknownProfileError(f"no profile named {name!r}", field="profile")
        entry = ProfileEntry(name, version, self._checked(name, version, stored))
        self._put(entry)
        return entry

    async def aresolve(self, name: str) -> ProfileEntry:
        entry = self.cached(name)
        return entry if entry is not None else await anyio.to_thread.run_sync(self.resolve, name)

    def _load(self, name: str, version: int | None) -> LoadedAdapter | None:
        if version is None:
            return None
        return self._checked(name, version, self.profiles.load_adapter(name, version))

    def _checked(self, name: str, version: int | None, stored: StoredAdapter | None
                 ) -> LoadedAdapter | None:
        if stored is None:
            return None
        try:
            return load_stored(stored)
        except AdapterRejectedError as exc:
            logger.error("profile adapter refused; serving the base scores", extra={
                "fields": {"profile": name, "adapter_version": version, "reason": exc.message}})
            return None

    def model_version(self) -> str:
        """The version of the base model this worker serves ("" while none is loaded: no
        adapter matches it)."""
        loaded = self.holder.current
        return loaded.version if loaded is not None else ""

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
        if self.fit_enabled:
            self.fit_due()

    def refresh(self) -> None:
        """Swap in new adapter versions of the cached profiles (on this worker's base model:
        after a reload, the new model's); drop deleted ones."""
        names = list(self._cache)
        if not names:
            return
        versions = self.profiles.active_versions(names, model=self.model_version())
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

    def fit_due(self, limit: int = 4) -> int:
        loaded = self.holder.current
        if loaded is None:
            return 0
        done = 0
        model = loaded.version
        for name in self.profiles.due(debounce=self.debounce_seconds,
                                      max_wait=self.max_wait_seconds, limit=limit, model=model):
            claim = self.profiles.claim(name, self.worker_id, ttl=LEASE_SECONDS, model=model)
            if claim is None:
                continue  # another worker or replica took it
            outcome = fit_claimed(self.profiles, loaded.scorer, claim)
            self.fits += 1
            done += 1
            if outcome.version is not None and self.cached_no_touch(name) is not None:
                self._replace(name, self.profiles.active_versions([name], model=model)
                              .get(name))
        return done
