"""MkDocs hooks (``hooks:`` in mkdocs.yml): the generated pages join the site's files, and the
generated snippets replace their markers in the written pages (see ``pages.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from mkdocs.structure.files import File, Files


def load_pages() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "hypemeter_docs_pages", Path(__file__).resolve().parent / "pages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pages = load_pages()


def on_files(files: Files, config: Any) -> Files:
    for name, make in pages.PAGES.items():
        files.append(File.generated(config, name, content=make()))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    for marker, make in pages.MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown
