"""Every worker on the same model: the desired model lives in a shared run folder.

``hypemeter serve`` gives its workers one run folder (``HYPEMETER_RUN_DIR``, a fresh temporary
folder removed at exit). It holds

* ``model.json``: the model every worker should serve, ``{"generation", "path", "version"}``,
  replaced atomically (write a temporary file, then rename) under ``model.lock`` (``flock``);
* ``workers/<pid>.json``: what each worker serves right now (generation, version, last error).

``POST /v1/admin/reload`` loads and verifies the bundle in the worker that got the request; only
when that succeeds does it publish a new generation (so a failed reload changes no worker). Every
worker checks ``model.json`` cheaply on each request (one ``stat``) and once a second in the
background, and loads a new generation in a thread, swapping it in atomically when it has
passed its checks. The reload reply waits until every live worker reports the new generation
(``"status": "reloaded"``) or answers 202 ``"in_progress"``; ``GET /v1/admin/reload`` tells how
far a rollout got. A worker that starts later (a restart after a crash) loads the published
generation, not whatever ``models/current`` points at by then.

Without a run folder (one process, tests) the holder alone is the truth, as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import anyio
from hypemeter.service.state import LoadedModel, ModelHolder
from starlette.types import ASGIApp, Receive, Scope, Send

from hypemeter.bundle import resolve_bundle_dir
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

    def desired(self) -> Desired | None:
        if self.run_dir is None:
            return None
        data = read_json(self.run_dir / DESIRED_FILE)
        try:
            return Desired(int(data["generation"]), str(data["path"]), str(data["version"]))
        except (TypeError, KeyError, ValueError):
            return None

    def _publish_locked(self, path: Path, version: str) -> Desired:
        assert self.run_dir is not None
        previous = self.desired()
        desired = Desired((previous.generation if previous else 0) + 1, str(path), version)
        write_json_atomic(self.run_dir / DESIRED_FILE, asdict(desired))
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
        try:
            with self._locked():
                desired = self.desired()
                if desired is None:
                    path = resolve_bundle_dir(self.holder.models_dir, version).resolve()
                    desired = self._publish_locked(path, path.name)
            self._apply(desired)
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
            loaded = self.holder.load(version)
            assert loaded.path is not None
            desired = self._publish_locked(loaded.path.resolve(), loaded.version)
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
        if self.run_dir is None or self._wake is None:
            return
        try:
            st = os.stat(self.run_dir / DESIRED_FILE)
        except OSError:
            return
        key = (st.st_ino, st.st_mtime_ns)
        if key != self._seen:
            self._seen = key
            self._wake.set()

    async def watch(self) -> None:
        """Background task: follow ``model.json`` (woken by :meth:`poke`, else every second)."""
        if self.run_dir is None:
            return
        while True:
            self._wake = anyio.Event()
            with anyio.move_on_after(CHECK_INTERVAL):
                await self._wake.wait()
            desired = self.desired()
            if desired is None or desired.generation == self.applied:
                continue
            if self.failed is not None and self.failed.get("generation") == desired.generation:
                continue  # already failed on this one; a new reload will publish another
            with contextlib.suppress(HypemeterError):
                await anyio.to_thread.run_sync(self._apply, desired)
            self._report()


class RolloutMiddleware:
    """Calls :meth:`Rollout.poke` on every HTTP request (cheap), then passes it on."""

    def __init__(self, app: ASGIApp, rollout: Rollout) -> None:
        self.app = app
        self.rollout = rollout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.rollout.poke()
        await self.app(scope, receive, send)
