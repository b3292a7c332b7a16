"""The documentation site's generator (``docs/gen/pages.py``, loaded by path: it is not a
package) and the text of the whole site: README, written pages and generated pages."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from support.paths import REPO

PAGES_SOURCE = REPO / "docs" / "gen" / "pages.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hypemeter_docs_pages", PAGES_SOURCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pages = _load()


def site_text() -> str:
    """README.md, every written page of docs/ and every generated page, joined."""
    written = [p for p in sorted((REPO / "docs").rglob("*.md"))
               if "gen" not in p.relative_to(REPO / "docs").parts]
    parts = [(REPO / "README.md").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in written]
    parts += [make() for make in pages.PAGES.values()]
    return "\n".join(parts)
