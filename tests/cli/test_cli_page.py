"""The command line has one documentation page (docs/command-line.md): two pages that each
described the commands (a guide and a reference) had drifted apart, one still showing
``evaluate --data`` and ``suggest --format`` after both changed."""

from __future__ import annotations

import re

import yaml
from support.paths import REPO

from hypemeter.cli import build_parser
from hypemeter.cli.common import leaf_parsers

DOCS = REPO / "docs"
PAGE = DOCS / "command-line.md"


def nav_pages(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [page for item in node for page in nav_pages(item)]
    if isinstance(node, dict):
        return [page for value in node.values() for page in nav_pages(value)]
    return []


def test_one_page_documents_the_commands() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = nav_pages(config["nav"])
    assert "command-line.md" in pages
    # a section about one command: a heading that is the command
    heading = re.compile(r"^#+ `hypemeter \w+[^`]*`( and `hypemeter [^`]*`)?$", re.MULTILINE)
    pages_with_command_sections = sorted(
        p.name for p in DOCS.glob("*.md") if heading.search(p.read_text(encoding="utf-8"))
    )
    assert pages_with_command_sections == ["command-line.md"]


def test_the_page_shows_no_retired_spelling() -> None:
    """Its examples use the spellings the parser documents (FILE, --input-format)."""
    text = PAGE.read_text(encoding="utf-8")
    assert "hypemeter evaluate --data" not in text
    assert "[--format" not in text
    top = {path.split()[0] for path, _ in leaf_parsers(build_parser()) if path}
    for command in top:
        assert f"hypemeter {command}" in text, command
