"""A worker keeps no swapped-out model alive (issue 22, audit 9).

The rollout watcher kept the last model it had prepared in a local variable: once a later
reload was published by that same worker, the model it had prepared earlier stayed resident,
next to the serving one, until the worker prepared another (in the soak: 20 s with two models
on the surviving worker, and the freed pages never handed back)."""

from __future__ import annotations

import os
import time
import weakref
from pathlib import Path

import anyio
from hypemeter.service.rollout import Rollout
from hypemeter.service.state import ModelHolder


def test_a_prepared_model_is_freed_once_swapped_out(service_models_dir: Path,
                                                    tmp_path: Path) -> None:
    run = tmp_path / "run"
    a = Rollout(ModelHolder(service_models_dir), run)
    b = Rollout(ModelHolder(service_models_dir), run)
    b.pid = os.getppid()  # both count as live workers
    a.startup(None)
    b.startup(None)
    refs: dict[str, weakref.ref[object]] = {}
    alive_while_serving: list[bool] = []

    async def scenario() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(b.watch)
            # a publishes v2: b's watcher prepares it in parallel, then serves it
            # (b is poked all along, as requests would, so it sees the prepare at once)
            published: list[int] = []

            async def publish_v2() -> None:
                published.append((await anyio.to_thread.run_sync(a.publish, "v2"))[1])

            tasks.start_soon(publish_v2)
            with anyio.fail_after(30):
                while not published or b.applied != published[0]:
                    b.poke()
                    await anyio.sleep(0.01)
            current = b.holder.current
            assert current is not None and current.version == "v2"
            refs["prepared"] = weakref.ref(current.scorer)
            del current
            # b itself publishes v1: the v2 it had prepared is swapped out and must go
            await anyio.to_thread.run_sync(b.publish, "v1")
            deadline = time.monotonic() + 5
            while refs["prepared"]() is not None and time.monotonic() < deadline:
                b.poke()
                await anyio.sleep(0.1)
            alive_while_serving.append(refs["prepared"]() is not None)
            tasks.cancel_scope.cancel()

    anyio.run(scenario)
    assert b.holder.current is not None and b.holder.current.version == "v1"
    assert alive_while_serving == [False], "the swapped-out model stayed referenced"
