"""Every worker on the same model: the desired model lives in a shared run folder.

``hypemeter serve`` gives its workers one run folder (``HYPEMETER_RUN_DIR``, a fresh temporary
folder removed at exit). It holds

* ``model.json``: ``{"committed": {"generation", "path", "version", "token"}, "next": {"token",
  "path"} | null}``, the model every worker should serve and the one being prepared, replaced
  atomically (write a temporary file, then rename) under ``model.lock`` (``flock``);
* ``workers/<pid>.json``: what each worker serves right now (generation, version, last error).

``POST /v1/admin/reload`` runs in two phases. *Prepare*: the worker that got the request writes
the bundle it is about to load as ``next`` (so the other workers start loading it at once, in
parallel, without serving it) and loads and verifies it itself. *Commit*: only when that
succeeds does it publish the bundle as the new ``committed`` generation; on failure it clears
``next`` and no worker changes. Every worker checks ``model.json`` cheaply on each request (one
``stat``) and once a second in the background; it loads in a thread and swaps the committed
model in atomically (at once when it has already prepared it). The reload reply waits until
every live worker reports the new generation (``"status": "reloaded"``) or answers 202
``"in_progress"``; ``GET /v1/admin/reload`` tells how far a rollout got. A worker that starts
later (a restart after a crash) reports itself before it loads, so a reload published
meanwhile waits for it too; it loads the committed generation, not whatever ``models/current``
points at by then.

Without a run folder (one process, tests) the holder alone is the truth, as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import anyio
from hypemeter.service.memory import RetiredModels, release_memory
from hypemeter.service.state import LoadedModel, ModelHolder

from hypemeter.bundles.bundle import resolve_bundle_dir
from hypemeter.errors import HypemeterError

logger = logging.getLogger("hypemeter.service")

DESIRED_FILE = "model.json"
LOCK_FILE = "model.lock"
WORKERS_DIR = "workers"
CHECK_INTERVAL = 1.0  # seconds between background checks of model.json
CONVERGE_TIMEOUT = 15.0  # how long a reload reply waits for every worker


@dataclass(frozen=True, slots=True)
class Desired:
    generation: int
    path: str
    version: str
    token: str = ""


@dataclass(frozen=True, slots=True)
class Next:
    token: str
    path: str


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def pid_alive(pid: int) -> bool:
    """A running process (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill(0)
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


class Rollout:
    """One worker's side of the shared model state (inactive without a run folder)."""

    def __init__(self, holder: ModelHolder, run_dir: Path | None) -> None:
        self.holder = holder
        self.run_dir = run_dir
        self.pid = os.getpid()
        self.applied = 0  # the generation this worker serves
        self.failed: dict[str, Any] | None = None  # the last generation this worker could not load
        self._seen: tuple[int, int] | None = None  # (inode, mtime_ns) of model.json
        self._wake: anyio.Event | None = None
        self._own_token = ""  # the prepare this worker is doing itself (its watcher skips it)
        # model.json's path as a string, made once: poke stats it on every request
        self._desired = None if run_dir is None else os.fspath(run_dir / DESIRED_FILE)
        if run_dir is not None:
            (run_dir / WORKERS_DIR).mkdir(parents=True, exist_ok=True)

    # ----------------------------------------------------------------- shared files

    @property
    def enabled(self) -> bool:
        return self.run_dir is not None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        assert self.run_dir is not None
        with (self.run_dir / LOCK_FILE).open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def read_state(self) -> tuple[Desired | None, Next | None]:
        """The committed model and the one being prepared (either may be absent)."""
        if self.run_dir is None:
            return None, None
        data = read_json(self.run_dir / DESIRED_FILE) or {}
        committed = nxt = None
        with contextlib.suppress(TypeError, KeyError, ValueError):
            c = data["committed"]
            committed = Desired(int(c["generation"]), str(c["path"]), str(c["version"]),
                                str(c.get("token", "")))
        with contextlib.suppress(TypeError, KeyError, ValueError):
            nxt = Next(str(data["next"]["token"]), str(data["next"]["path"]))
        return committed, nxt

    def desired(self) -> Desired | None:
        return self.read_state()[0]

    def _write_state(self, committed: Desired | None, nxt: Next | None) -> None:
        assert self.run_dir is not None
        write_json_atomic(self.run_dir / DESIRED_FILE, {
            "committed": asdict(committed) if committed is not None else None,
            "next": asdict(nxt) if nxt is not None else None,
        })

    def _publish_locked(self, path: Path, version: str, token: str = "") -> Desired:
        previous = self.desired()
        desired = Desired((previous.generation if previous else 0) + 1, str(path), version,
                          token or uuid.uuid4().hex)
        self._write_state(desired, None)
        return desired

    def _report(self) -> None:
        if self.run_dir is None:
            return
        loaded = self.holder.current
        write_json_atomic(self.run_dir / WORKERS_DIR / f"{self.pid}.json", {
            "pid": self.pid,
            "generation": self.applied,
            "version": loaded.version if loaded is not None else None,
            "failed": self.failed,
        })

    # ----------------------------------------------------------------- lifecycle

    def startup(self, version: str | None) -> None:
        """Load the model at worker start: the published one if any, else ``version`` (or
        ``current``), which this worker then publishes as generation 1."""
        if self.run_dir is None:
            self.holder.load(version)
            return
        # counted at once, on no generation: a reload published while this worker loads (a
        # restart after a crash) waits for it instead of answering "reloaded" without it
        self._report()
        try:
            with self._locked():
                desired = self.desired()
                if desired is None:
                    path = resolve_bundle_dir(self.holder.models_dir, version).resolve()
                    desired = self._publish_locked(path, path.name)
            self._apply(desired)
            latest = self.desired()
            if latest is not None and latest.generation != desired.generation:
                # published while this worker loaded: serve it from the first request (on
                # failure the watcher has the record and the old generation keeps serving)
                with contextlib.suppress(HypemeterError):
                    self._apply(latest)
        except HypemeterError as exc:
            self.holder.last_error = exc
            raise
        finally:
            self._report()

    def shutdown(self) -> None:
        if self.run_dir is not None:
            with contextlib.suppress(OSError):
                (self.run_dir / WORKERS_DIR / f"{self.pid}.json").unlink()

    def _apply(self, desired: Desired) -> None:
        try:
            self.holder.load_path(Path(desired.path))
        except HypemeterError as exc:
            self.failed = {"generation": desired.generation, "code": exc.code}
            logger.error(
                "could not load the published model; this worker keeps its old one",
                extra={"fields": {"code": exc.code, "generation": desired.generation}},
            )
            raise
        self.applied = desired.generation
        self.failed = None

    # ----------------------------------------------------------------- reload

    def publish(self, version: str | None) -> tuple[LoadedModel, int]:
        """Load ``version`` (or ``current``) here; only if that works, publish it to every
        worker. Returns the model and its generation. Raises (changing nothing) on failure."""
        if self.run_dir is None:
            loaded = self.holder.load(version)
            self.applied += 1
            return loaded, self.applied
        with self._locked():
            try:
                path = resolve_bundle_dir(self.holder.models_dir, version).resolve()
            except HypemeterError as exc:
                self.holder.last_error = exc
                raise
            committed = self.desired()
            token = self._own_token = uuid.uuid4().hex
            self._write_state(committed, Next(token, str(path)))  # the others start loading
            try:
                loaded = self.holder.load(version)
            except BaseException:
                self._write_state(committed, None)  # abort: nobody serves it
                raise
            assert loaded.path is not None
            desired = self._publish_locked(loaded.path.resolve(), loaded.version, token)
            self.applied = desired.generation
            self.failed = None
        self._report()
        return loaded, desired.generation

    def workers(self) -> list[dict[str, Any]]:
        """What every live worker serves (stale files of dead workers are removed)."""
        if self.run_dir is None:
            loaded = self.holder.current
            return [{"pid": self.pid, "generation": self.applied,
                     "version": loaded.version if loaded else None, "failed": self.failed}]
        out: list[dict[str, Any]] = []
        for path in sorted((self.run_dir / WORKERS_DIR).glob("*.json")):
            data = read_json(path)
            pid = data.get("pid") if data else None
            if not isinstance(pid, int) or not pid_alive(pid):
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            out.append(data)  # type: ignore[arg-type]
        return out

    def status(self, generation: int | None = None) -> dict[str, Any]:
        desired = self.desired()
        if generation is None:
            generation = desired.generation if desired is not None else self.applied
        workers = self.workers()
        on = sum(1 for w in workers if w.get("generation") == generation)
        failed = sum(
            1 for w in workers
            if isinstance(w.get("failed"), dict) and w["failed"].get("generation") == generation
        )
        return {
            "status": "reloaded" if workers and on == len(workers) else "in_progress",
            "generation": generation,
            "version": desired.version if desired is not None else None,
            "workers": {"total": len(workers), "on_version": on, "failed": failed},
        }

    def wait(self, generation: int, timeout: float = CONVERGE_TIMEOUT) -> dict[str, Any]:
        """Poll until every live worker serves ``generation`` or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(generation)
            if status["status"] == "reloaded" or time.monotonic() >= deadline:
                return status
            if status["workers"]["failed"]:
                return status
            time.sleep(0.05)

    # ----------------------------------------------------------------- following

    def poke(self) -> None:
        """The per-request check: one ``stat`` of ``model.json``; a change wakes the watcher."""
        if self._desired is None or self._wake is None:
            return
        try:
            st = os.stat(self._desired)
        except OSError:
            return
        key = (st.st_ino, st.st_mtime_ns)
        if key != self._seen:
            self._seen = key
            self._wake.set()

    async def watch(self) -> None:
        """Background task: follow ``model.json`` (woken by :meth:`poke`, else every second),
        and free a swapped-out model's memory once the last request using it has ended."""
        staged: tuple[str, LoadedModel] | None = None  # (token, model) prepared, not served
        served = self.holder.current
        retired = RetiredModels()
        while True:
            self._wake = anyio.Event()
            with anyio.move_on_after(CHECK_INTERVAL):
                await self._wake.wait()
            if self.holder.current is not served:  # swapped a while ago (here or by a reload)
                if served is not None:
                    retired.add(served.scorer)
                served = self.holder.current
            if retired.waiting and await anyio.to_thread.run_sync(retired.tick):
                await anyio.to_thread.run_sync(release_memory)  # the old model is gone
            if self.run_dir is None:
                continue  # one process: nothing to follow
            committed, nxt = self.read_state()
            if nxt is not None and nxt.token != self._own_token and (
                staged is None or staged[0] != nxt.token
            ) and (committed is None or committed.token != nxt.token):
                staged = None  # drop an older prepared model before loading this one
                staged = await self._prepare(nxt)
                committed, nxt = self.read_state()
            if committed is None or committed.generation == self.applied:
                if nxt is None:
                    staged = None  # an aborted prepare: drop it
                continue
            if staged is not None and staged[0] == committed.token:
                self.holder.swap_in(staged[1])
                self.applied, self.failed, staged = committed.generation, None, None
            elif self.failed is None or self.failed.get("generation") != committed.generation:
                staged = None
                with contextlib.suppress(HypemeterError):
                    await anyio.to_thread.run_sync(self._apply, committed)
            else:
                continue  # already failed on this one; a new reload will publish another
            self._report()

    async def _prepare(self, nxt: Next) -> tuple[str, LoadedModel] | None:
        """Load the bundle another worker is preparing, in parallel with it (None if it does
        not load: that worker fails the same way and aborts; nothing changes). A helper of
        its own so that the prepared model is held by ``staged`` alone: a local variable of
        :meth:`watch` kept it alive after it had been swapped out again (two models resident
        until this worker next prepared one, and their memory never released)."""
        try:
            model = await anyio.to_thread.run_sync(self.holder.prepare_path, Path(nxt.path))
        except HypemeterError:
            return None
        return nxt.token, model
