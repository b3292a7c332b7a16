"""The documentation: README.md is a short front door over the MkDocs site (``mkdocs.yml``,
``docs/``), whose configuration page, API reference, figures page and example output are
generated from the code on every build (``docs/gen/pages.py``). These tests check the site
documents every route and every setting, the architecture page agrees with the packages, the
nav names every page, and (slow) that ``mkdocs build --strict`` builds it."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.docs import PAGES_SOURCE, pages, site_text
from support.paths import REPO

README = REPO / "README.md"
DOCS = REPO / "docs"
MKDOCS = REPO / "mkdocs.yml"
PACKAGES = ("hypemeter", "service", "training")
# The README's commands: serve, develop (what .ci/run runs), test.
COMMANDS = ("pip install -c requirements.lock -e .",
            "pip install -c requirements-dev.lock -e '.[dev]'", "python -m pytest")


def app_route_paths() -> list[str]:
    from hypemeter.service.app import create_app, flat_routes
    from hypemeter.service.settings import Settings

    app = create_app(Settings(models_dir=REPO / "models"))
    paths = sorted(
        {getattr(r, "path", "") for r in flat_routes(app.routes)} - {"", "/docs/oauth2-redirect"}
    )
    assert "/v1/score" in paths and "/healthz" in paths and "/" in paths
    return paths


# --------------------------------------------------------------------------- README


def test_readme_is_a_short_front_door() -> None:
    readme = README.read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    for needle in (*COMMANDS, "curl -s http://127.0.0.1:8000/v1/score", "not a fact-check",
                   "docs/screenshot.png", "mkdocs build --strict"):
        assert needle in readme, f"README.md lacks {needle!r}"
    for link in re.findall(r"\]\((docs/[\w-]+\.md)\)", readme):
        assert (REPO / link).is_file(), f"README.md links to a missing page: {link}"


@pytest.mark.parametrize("link", ["docs/screenshot.png", "CONTRIBUTING.md", "datasets/README.md"])
def test_readme_links_point_at_files(link: str) -> None:
    assert f"({link})" in README.read_text(encoding="utf-8")
    if link == "docs/screenshot.png" and not (REPO / link).exists():
        pytest.skip("the screenshot is written by the browser tests (tests/service/test_page.py)")
    assert (REPO / link).exists()


def test_contributing_is_short_and_the_site_has_the_rest() -> None:
    contributing = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert len(contributing.splitlines()) <= 80
    assert "docs/contributing.md" in contributing and "pip install ." in contributing
    page = (DOCS / "contributing.md").read_text(encoding="utf-8")
    for needle in ('pytest -m "not slow"', "CorpusLoader", "training/corpora",
                   "datasets/catalog.json", "benchmarks/"):
        assert needle in page, f"docs/contributing.md lacks {needle!r}"


# --------------------------------------------------------------------------- generated pages


def test_the_site_documents_every_route() -> None:
    text = site_text()
    missing = []
    for path in app_route_paths():
        needle = path.split("{", 1)[0]  # /v1/model/report/{name:path} -> /v1/model/report/
        if needle == "/":
            found = re.search(r"127\.0\.0\.1:8000/[\s`'\"]|localhost:8000/[\s`'\"]", text)
        else:
            found = re.search(re.escape(needle) + r"(?![\w-])", text)
        if not found:
            missing.append(path)
    assert not missing, f"the documentation does not mention these routes: {missing}"


def test_every_setting_is_documented_where_it_is_declared() -> None:
    from hypemeter.service.settings import Settings

    undocumented = [name for name, field in Settings.model_fields.items()
                    if not (field.description or "").strip()]
    assert not undocumented, f"give these settings a description: {undocumented}"
    page = pages.configuration_page()
    prefix = Settings.model_config.get("env_prefix", "")
    names = {f"{prefix}{field}".upper() for field in Settings.model_fields}
    for package in PACKAGES:  # variables the code names directly must be settings too
        for path in (REPO / package).rglob("*.py"):
            names |= set(re.findall(r"\bHYPEMETER_[A-Z][A-Z0-9_]*\b",
                                    path.read_text(encoding="utf-8")))
    assert len(names) >= 10
    missing = sorted(n for n in names if f"| `{n}` |" not in page)
    assert not missing, f"the configuration page does not document: {missing}"


def test_configuration_rows_show_the_default_and_the_images_value() -> None:
    page = pages.configuration_page()
    assert re.search(r"\| `HYPEMETER_PORT` \| `8000` \| `8000` \| TCP port \|", page)
    assert "| `HYPEMETER_HOST` | `127.0.0.1` | `0.0.0.0` |" in page
    assert "| `HYPEMETER_API_KEY` | unset |  |" in page
    assert "| `HYPEMETER_LOG_REQUESTS_TEXT` | `false` |" in page


def test_the_reference_lists_every_operation_and_schema() -> None:
    doc = pages.openapi()
    page = pages.reference_page()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            heading = f"### `{method.upper()} {path}`"
            assert heading in page
            section = page.split(heading, 1)[1].split("\n### ", 1)[0]
            for status in op["responses"]:
                assert f"\n| {status} |" in section, (path, method, status)
    for name, schema in doc["components"]["schemas"].items():
        assert f"\n### {name}\n" in page
        section = page.split(f"\n### {name}\n", 1)[1].split("\n### ", 1)[0]
        for field in schema.get("properties", {}):
            assert f"| `{field}` |" in section, (name, field)


def test_the_figures_page_shows_every_measured_entry(tmp_path: Path) -> None:
    bundle = tmp_path / "v9"
    bundle.mkdir()
    (tmp_path / "current").symlink_to(bundle)
    measured = {"speed": {"command": "python benchmarks/x.py --n 5", "measured_at": "2026-01-02",
                          "results": {"rate": {"per_second": 12.5}, "runs": [1, 2]}}}
    (bundle / "card.json").write_text(json.dumps({"version": "v9", "measured": measured}))
    page = pages.figures_page(tmp_path)
    assert "`v9`" in page and "## speed" in page and "`python benchmarks/x.py --n 5`" in page
    assert "| `rate.per_second` | 12.5 |" in page and "| `runs` | [1, 2] |" in page
    shipped = json.loads((REPO / "models" / "current" / "card.json").read_text(encoding="utf-8"))
    page = pages.figures_page()
    for name, entry in (shipped.get("measured") or {}).items():
        assert f"## {name}" in page and entry["command"] in page


def test_the_home_page_is_the_readme_with_site_links() -> None:
    page = pages.index_page()
    assert "](docs/" not in page and "](api.md)" in page and "](contributing.md)" in page
    assert "(screenshot.png)" in page and "`datasets/README.md`" in page


# --------------------------------------------------------------------------- nav and architecture


def nav_files(nav: list) -> list[str]:
    found = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        found += nav_files(value) if isinstance(value, list) else [value]
    return found


def test_the_nav_names_every_page_and_every_page_exists() -> None:
    config = yaml.safe_load(MKDOCS.read_text(encoding="utf-8").replace("!!python", "#"))
    in_nav = nav_files(config["nav"])
    written = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
               if "gen" not in p.relative_to(DOCS).parts}
    later = {line.strip().lstrip("/") for line in config.get("not_in_nav", "").splitlines()}
    assert set(in_nav) <= written | set(pages.PAGES), set(in_nav) - written - set(pages.PAGES)
    assert written <= set(in_nav) | later, f"add to mkdocs.yml's nav: {written - set(in_nav)}"
    assert not written & set(pages.PAGES), "a generated page is also written by hand"
    assert config["hooks"] == [PAGES_SOURCE.with_name("hooks.py").relative_to(REPO).as_posix()]


def package_rows() -> dict[str, tuple[str, str]]:
    page = (DOCS / "architecture.md").read_text(encoding="utf-8")
    table = page.split("<!-- packages -->", 1)[1].split("<!-- /packages -->", 1)[0]
    rows = {}
    for line in table.strip().splitlines()[2:]:
        name, folder, job = (c.strip() for c in line.strip("|").split(" | "))
        rows[name.strip("`")] = (folder.strip("`"), job)
    return rows


def first_paragraph(init: Path) -> str:
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    return " ".join(doc.split("\n\n", 1)[0].split()).replace("``", "`")


def test_the_architecture_page_lists_every_package_as_its_docstring_says() -> None:
    rows = package_rows()
    folders = {"hypemeter/", "service/", "training/"}
    for root in PACKAGES:
        folders |= {f"{p.parent.relative_to(REPO).as_posix()}/"
                    for p in (REPO / root).glob("*/__init__.py")}
    assert {folder for folder, _ in rows.values()} == folders, "list every sub-package"
    for name, (folder, job) in rows.items():
        assert first_paragraph(REPO / folder / "__init__.py") == job, (
            f"{folder}__init__.py's first paragraph and docs/architecture.md disagree on {name}")


# --------------------------------------------------------------------------- the build


@pytest.mark.slow
def test_mkdocs_builds_the_site_strictly(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(MKDOCS),
         "--site-dir", str(tmp_path / "site")],
        capture_output=True, text=True, timeout=600, cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    site = tmp_path / "site"
    for page in ("index.html", "api/index.html", "configuration/index.html",
                 "reference/index.html", "figures/index.html", "architecture/index.html"):
        assert (site / page).is_file(), page
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "<!-- generated:" not in api and "misinformation_risk" in api
