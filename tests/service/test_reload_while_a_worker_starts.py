"""A reload published while a worker is still starting waits for that worker.

The short soak (CI, stop 28) saw a request that began after a reload's "reloaded" reply scored
by the old model: the worker restarted after the kill was loading the old generation, had not
reported yet, so the reply counted only the other worker. A starting worker now reports itself
before it loads, and serves what was published meanwhile from its first request."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from hypemeter.service.rollout import Rollout
from hypemeter.service.state import LoadedModel, ModelHolder


class GatedHolder(ModelHolder):
    """A real holder whose first load waits for ``gate`` (a slow start, held open)."""

    def __init__(self, models_dir: Path) -> None:
        super().__init__(models_dir)
        self.loading, self.gate = threading.Event(), threading.Event()

    def load_path(self, bundle_dir: Path) -> LoadedModel:
        if not self.loading.is_set():
            self.loading.set()
            assert self.gate.wait(60)
        return super().load_path(bundle_dir)


def test_a_reload_waits_for_a_worker_that_is_starting(service_models_dir: Path,
                                                      tmp_path: Path) -> None:
    run = tmp_path / "run"
    running = Rollout(ModelHolder(service_models_dir), run)
    running.startup("v1")
    starting_holder = GatedHolder(service_models_dir)
    starting = Rollout(starting_holder, run)
    starting.pid = os.getppid()  # a second live worker
    errors: list[BaseException] = []

    def start() -> None:
        try:
            starting.startup(None)
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    thread = threading.Thread(target=start)
    thread.start()
    try:
        assert starting_holder.loading.wait(60)  # it has read generation 1 and is loading it
        loaded, generation = running.publish("v2")
        assert loaded.version == "v2" and generation == 2
        status = running.status(generation)
        assert status["workers"] == {"total": 2, "on_version": 1, "failed": 0}, status
        assert status["status"] == "in_progress", status
        assert running.wait(generation, timeout=0.2)["status"] == "in_progress"
    finally:
        starting_holder.gate.set()
        thread.join(60)
    assert not errors, errors
    # its first request is served by what was published while it loaded
    assert starting.applied == 2
    assert starting_holder.current is not None and starting_holder.current.version == "v2"
    assert running.status(2)["status"] == "reloaded"


def test_a_worker_reports_no_generation_until_it_has_loaded(service_models_dir: Path,
                                                            tmp_path: Path) -> None:
    run = tmp_path / "run"
    holder = GatedHolder(service_models_dir)
    rollout = Rollout(holder, run)
    thread = threading.Thread(target=rollout.startup, args=("v1",))
    thread.start()
    try:
        assert holder.loading.wait(60)
        (worker,) = rollout.workers()
        assert worker["generation"] == 0 and worker["version"] is None, worker
        assert rollout.status()["status"] == "in_progress"
    finally:
        holder.gate.set()
        thread.join(60)
    (worker,) = rollout.workers()
    assert worker["generation"] == 1 and worker["version"] == "v1", worker
