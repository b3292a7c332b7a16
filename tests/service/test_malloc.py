"""The worker's malloc settings (service/memory.py): with the mmap threshold pinned, a large
block allocated after a larger one was freed still gets its own mapping, which the OS takes
back on free (glibc would otherwise have raised its threshold and put the block in the heap,
where a reloaded model's arrays stay as a high-water mark: issue 22, audit item 9)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypemeter.service.memory import _libc

PROBE = """
import sys
import numpy as np
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings

create_app(Settings(models_dir=sys.argv[1], malloc_mmap_threshold=int(sys.argv[2])))
old = np.ones(4 * 2**20, dtype=np.uint8)  # an old model's array ...
del old                                    # ... freed (glibc: threshold -> 4 MB)
new = np.ones(2**20, dtype=np.uint8)      # the next model's 1 MB array
ptr = new.ctypes.data
starts = {int(line.split("-")[0], 16) for line in open("/proc/self/maps")}
print("own-mapping" if (ptr & ~4095) in starts or ptr - 16 in starts else "heap")
"""


def _where_the_next_block_lands(tmp_path: object, threshold: int) -> str:
    proc = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path), str(threshold)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


@pytest.mark.skipif(_libc() is None, reason="glibc's mallopt is not available")
def test_large_blocks_keep_their_own_mapping_after_a_reload_frees_larger_ones(
    tmp_path: object,
) -> None:
    # The control first: without the setting, glibc raises its threshold on the free and the
    # next block lands in the heap. Where this machine's glibc (its tunables, or a heap top
    # that cannot grow, which makes malloc fall back to mmap) does not do that, the setting
    # has nothing to show here, and the test says so instead of passing on nothing.
    # Where the heap's top meets another mapping (address-space layout varies per process),
    # glibc falls back to mmap: a few fresh processes give the control its chance.
    if all(_where_the_next_block_lands(tmp_path, 0) != "heap" for _ in range(3)):
        pytest.skip("this glibc kept the block out of the heap without the setting")
    assert _where_the_next_block_lands(tmp_path, 131_072) == "own-mapping"


@pytest.mark.skipif(_libc() is None, reason="glibc's malloc_trim is not available")
def test_the_heap_is_trimmed_every_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    import anyio
    from hypemeter.service import memory

    calls: list[float] = []
    monkeypatch.setattr(memory, "trim_heap", lambda: calls.append(1.0))

    async def run(interval: float, seconds: float) -> None:
        with anyio.move_on_after(seconds):
            await memory.trim_periodically(interval)

    anyio.run(run, 0.05, 0.33)
    assert 4 <= len(calls) <= 7
    calls.clear()
    anyio.run(run, 0, 0.2)  # 0: never
    assert calls == []
