"""Test access to modules of ``benchmarks/`` (``make_articles.py``: synthetic 3-4 KB articles;
``recipe_history.py``: older cards read back as recipes)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from support.paths import REPO


def load_benchmark_module(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` once, as module ``name``."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def load_make_articles() -> ModuleType:
    """Import ``benchmarks/make_articles.py`` once, as module ``make_articles``."""
    return load_benchmark_module("make_articles")
