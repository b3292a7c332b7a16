"""Test access to ``benchmarks/make_articles.py`` (synthetic 3-4 KB articles)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from support.paths import REPO


def load_make_articles() -> ModuleType:
    """Import ``benchmarks/make_articles.py`` once, as module ``make_articles``."""
    if "make_articles" in sys.modules:
        return sys.modules["make_articles"]
    spec = importlib.util.spec_from_file_location(
        "make_articles", REPO / "benchmarks" / "make_articles.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_articles"] = mod
    spec.loader.exec_module(mod)
    return mod
