"""One malloc heap per worker by default (issue 22, audit 9): in side-by-side 60 s soaks the
worker left alone after the kill grew +7.2% and +7.9% with one heap against +16.9% and +10.3%
with two, scoring no slower (docs/operations.md, *Memory under reloads*)."""

from __future__ import annotations

import pytest
from hypemeter.service.settings import Settings

pytestmark = pytest.mark.usefixtures("clean_env")


def test_a_worker_uses_one_malloc_heap_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().malloc_arenas == 1
    monkeypatch.setenv("HYPEMETER_MALLOC_ARENAS", "4")
    assert Settings().malloc_arenas == 4
