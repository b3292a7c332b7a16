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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
from hypemeter.service.state import ModelHolder

from hypemeter.errors import HypemeterError, UnknownProfileError
from hypemeter.profiles.apply import LoadedAdapter, adapt
from hypemeter.profiles.codec import AdapterRejectedError
from hypemeter.profiles.fitting import fit_claimed, load_stored
from hypemeter.records.results import Article, ScoreResult
from hypemeter.storage import FeedbackStore
from hypemeter.storage.profiles import KEY_PREFIX, ProfileKey, ProfileStore, StoredAdapter

if TYPE_CHECKING:
    from hypemeter.service.handling import PostProcess
    from hypemeter.service.profile_auth import Principal
    from hypemeter.service.schemas import ScoreRequest

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

    @property
    def nbytes(self) -> int:
        return 512 if self.adapter is None else self.adapter.nbytes


class ProfileRuntime:
    def __init__(self, store: FeedbackStore, holder: ModelHolder, *, cache_size: int = 4096,
                 cache_bytes: int = 64 * 2**20,
                 poll_seconds: float = 1.0, debounce_seconds: float = 0.5,
                 max_wait_seconds: float = 3.0, key_cache_seconds: float = 2.0,
                 fit: bool = True) -> None:
        self.profiles = ProfileStore(store)
        self.holder = holder
        self.cache_size = cache_size
        self.cache_bytes = cache_bytes
        self._bytes = 0  # the LRU's entries' nbytes, summed
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

    def _put(self, entry: ProfileEntry, *, if_absent: bool = False) -> bool:
        """Insert (or replace) and evict the least recently used entries beyond the count or
        the bytes (the newest always stays). ``if_absent``: only when the profile is not
        cached and fits without an eviction (the preload's rule)."""
        with self._lock:
            if if_absent and (entry.name in self._cache or not self._fits(entry.nbytes)):
                return False
            old = self._cache.pop(entry.name, None)
            self._bytes += entry.nbytes - (old.nbytes if old is not None else 0)
            self._cache[entry.name] = entry
            while len(self._cache) > 1 and not self._fits(0):
                self._bytes -= self._cache.popitem(last=False)[1].nbytes
            return True

    def _fits(self, more: int) -> bool:
        return (len(self._cache) + (more > 0) <= self.cache_size
                and self._bytes + more <= self.cache_bytes)

    def _drop(self, name: str) -> None:
        with self._lock:
            old = self._cache.pop(name, None)
            if old is not None:
                self._bytes -= old.nbytes

    def cache_bytes_now(self) -> int:
        return self._bytes

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

    async def post_process(self, principal: Principal, name: str | None
                           ) -> PostProcess | None:
        """What scoring as a profile does to the base results (None: no profile). A profile
        key implies its profile; another one is 403 ``forbidden``, an unknown one 404
        ``unknown_profile``. Used by the ``/v1/score`` route and its fast path alike."""
        name = principal.check_profile(name)
        if name is None:
            return None
        entry = await self.aresolve(name)
        adapter = entry.adapter
        profile = name

        def post(results: Sequence[ScoreResult], articles: Sequence[Article],
                 items: Sequence[ScoreRequest]) -> list[ScoreResult]:
            return adapt(results, articles, profile, adapter,
                         max_spans=[it.max_spans for it in items])

        return post

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
        """Preload the LRU, then poll until cancelled (one iteration at a time, in a
        thread)."""
        try:
            n = await anyio.to_thread.run_sync(self.preload)
            # A deployment without profiles has nothing to report (debug, not a line per start).
            logger.log(logging.INFO if n else logging.DEBUG, "profile adapters preloaded",
                       extra={"fields": {"profiles": n, "cache_bytes": self._bytes}})
        except HypemeterError as exc:
            logger.warning("profile preload failed", extra={"fields": {"reason": exc.message}})
        except Exception:  # the poll still runs
            logger.exception("profile preload failed")
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
            old = self._cache.get(name)
            if old is not None:
                self._cache[name] = entry
                self._bytes += entry.nbytes - old.nbytes

    def preload(self, page: int = 200) -> int:
        """Fill the LRU with the profiles' serving adapters on this worker's base model (by
        name, until the LRU is full by count or bytes), so a profile's first request does
        not read the database. Runs once, in the background, when the worker starts.
        Blocking."""
        model = self.model_version()
        if not model:
            return 0
        loaded, after = 0, None
        while True:
            rows = self.profiles.serving_adapters(model, after=after, limit=page)
            for name, version, stored in rows:
                entry = ProfileEntry(name, version, self._checked(name, version, stored))
                if self._put(entry, if_absent=True):
                    loaded += 1
                elif not self._fits(entry.nbytes):
                    return loaded  # full
            if len(rows) < page:
                return loaded
            after = rows[-1][0]

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
