"""One way through the house. The core (``hypemeter/`` but ``cli/`` and ``client/``) imports
none of the service, training, the CLI or the client; the service and training do not import
each other; the CLI and the client sit on top. The client may import the core and
``hypemeter.service.errors`` (the errors only HTTP has, so that it raises the classes the
server maps to HTTP) and nothing else of the service. Only ``hypemeter/cli/`` deals in argparse
namespaces, and every subcommand is run by its own module there."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import REPO as REPO_ROOT

from hypemeter.cli import build_parser

CLI_DIR = REPO_ROOT / "hypemeter" / "cli"
CLIENT_DIR = REPO_ROOT / "hypemeter" / "client"
TOP = ("hypemeter.cli", "hypemeter.client")
SERVICE, TRAINING = "hypemeter.service", "hypemeter.training"

# layer -> the packages it must not import (a module counts as its package's, prefix match)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "core": (SERVICE, TRAINING, *TOP),
    "service": (TRAINING, *TOP),
    "training": (SERVICE, *TOP),
    "client": (TRAINING, "hypemeter.cli", SERVICE),
    "cli": (),
}
# what a layer may import although a rule above forbids it: (importing module, imported)
ALLOWED = {
    ("hypemeter.__main__", "hypemeter.cli"),  # `python -m hypemeter` runs the CLI
    ("hypemeter", "hypemeter.client"),  # the lazy hypemeter.Client attribute
}
CLIENT_MAY_IMPORT = "hypemeter.service.errors"


def modules_below_the_cli() -> list[Path]:
    paths = [p for package in ("hypemeter", "service", "training")
             for p in sorted((REPO_ROOT / package).rglob("*.py"))]
    below = [p for p in paths if CLI_DIR not in p.parents]
    assert len(below) > 30 and len(below) < len(paths)
    return below


def namespace_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    where = path.relative_to(REPO_ROOT)
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr == "Namespace") or \
                (isinstance(node, ast.Name) and node.id == "Namespace") or \
                (isinstance(node, ast.ImportFrom) and node.module == "argparse"
                 and any(a.name == "Namespace" for a in node.names)):
            found.append(f"{where}:{node.lineno}")
    return found


def cli_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    return [f"{path.relative_to(REPO_ROOT)} imports {name}" for name in names
            if name == "hypemeter.cli" or name.startswith("hypemeter.cli.")]


def test_no_module_below_the_cli_takes_an_argparse_namespace() -> None:
    problems = [use for path in modules_below_the_cli() for use in namespace_uses(path)]
    assert not problems, f"argparse.Namespace outside hypemeter/cli: {problems}"
    assert namespace_uses(CLI_DIR / "train.py"), "the check finds the CLI's own uses"


def test_nothing_below_the_cli_imports_it_but_the_module_runner() -> None:
    problems = [imp for path in modules_below_the_cli() for imp in cli_imports(path)
                if path != REPO_ROOT / "hypemeter" / "__main__.py"]
    assert not problems, problems
    assert cli_imports(REPO_ROOT / "hypemeter" / "__main__.py")


def module_name(path: Path) -> str:
    """``service/routers/score.py`` -> ``hypemeter.service.routers.score`` (the installed name)."""
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    if parts[0] != "hypemeter":
        parts.insert(0, "hypemeter")
    return ".".join(parts)


def layer_of(module: str) -> str:
    for layer, prefix in (("cli", "hypemeter.cli"), ("client", "hypemeter.client"),
                          ("service", SERVICE), ("training", TRAINING)):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return "core"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports (relative imports resolved), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names]  # from x import mod
    return found


def layer_violations(path: Path) -> list[str]:
    me = module_name(path)
    forbidden = FORBIDDEN[layer_of(me)]
    problems = []
    for line, name in imported_modules(path):
        if layer_of(me) == "client" and (name == CLIENT_MAY_IMPORT
                                         or name.startswith(CLIENT_MAY_IMPORT + ".")):
            continue
        hit = next((f for f in forbidden if name == f or name.startswith(f + ".")), None)
        if hit is not None and (me, hit) not in ALLOWED:
            problems.append(f"{path.relative_to(REPO_ROOT)}:{line} ({layer_of(me)}) imports {name}")
    return problems


def all_modules() -> list[Path]:
    return [p for package in ("hypemeter", "service", "training")
            for p in sorted((REPO_ROOT / package).rglob("*.py"))]


def test_one_way_through_the_house() -> None:
    modules = all_modules()
    layers = {layer_of(module_name(p)) for p in modules}
    assert layers == set(FORBIDDEN), layers
    problems = [v for path in modules for v in layer_violations(path)]
    assert not problems, problems


def test_the_layer_check_can_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule read on files that break it: a core module importing the service (directly,
    lazily or as ``from hypemeter import service``), training reaching into the service, the
    client importing more of the service than its errors."""
    fake = tmp_path / "repo"
    monkeypatch.setattr(sys.modules[__name__], "REPO_ROOT", fake)
    cases = {
        "hypemeter/scoring/scorer.py": "from hypemeter.service.errors import UnauthorizedError\n",
        "hypemeter/engines/x.py": "def f():\n    import hypemeter.service.app\n",
        "hypemeter/records/io.py": "from hypemeter import service\n",
        "hypemeter/records/batch.py": "from hypemeter.client.engine import RemoteEngine\n",
        "training/train.py": "from hypemeter.service.settings import Settings\n",
        "training/corpora/x.py": "from ...service import app\n",
        "hypemeter/client/engine.py": "from hypemeter.service.app import create_app\n",
        "service/app.py": "from hypemeter.training import train\n",
    }
    for rel, source in cases.items():
        path = fake / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        assert layer_violations(path), rel
    fine = fake / "hypemeter" / "client" / "__init__.py"
    fine.write_text("from hypemeter.service.errors import UnauthorizedError\n"
                    "from hypemeter.errors import HypemeterError\n", encoding="utf-8")
    assert not layer_violations(fine)


def test_hypemeter_client_does_not_import_the_web_framework() -> None:
    """``hypemeter.Client`` (and the HTTP errors it raises) without FastAPI or the service app."""
    code = ("import sys, hypemeter\n"
            "client = hypemeter.Client\n"
            "from hypemeter.service.errors import UnauthorizedError\n"
            "assert client.__module__ == 'hypemeter.client'\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('fastapi', 'starlette', 'uvicorn', 'sklearn') or m == 'hypemeter.service.app')\n"
            "print(','.join(heavy))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO_ROOT)
    assert out.stdout.strip() == "", out.stdout


def test_every_subcommand_is_run_by_its_own_cli_module() -> None:
    parser = build_parser()
    commands = {
        "serve": [], "train": [], "score": [], "evaluate": ["--data", "x"],
        "datasets": ["list"], "db": ["upgrade"], "feedback": ["export"], "suggest": ["x"],
    }
    runners = {}
    for name, rest in commands.items():
        func = parser.parse_args([name, *rest]).func
        assert func.__module__.startswith("hypemeter.cli."), (name, func.__module__)
        runners[name] = func.__module__
    assert runners["db"] == runners["feedback"] == "hypemeter.cli.db"
    assert len(set(runners.values())) == len(runners) - 1


TEST_FOLDERS = {  # tests/<folder>/ -> the package it tests
    "core": "hypemeter", "cli": "hypemeter/cli", "client": "hypemeter/client",
    "engines": "hypemeter/engines", "storage": "hypemeter/storage", "service": "service",
    "training": "training",
}
REPOSITORY_WIDE = {"test_packaging.py", "test_compose.py", "test_layering.py", "test_one_way.py",
                   "test_docs.py", "test_install.py"}


def test_the_tests_mirror_the_packages() -> None:
    tests = REPO_ROOT / "tests"
    assert all((REPO_ROOT / package).is_dir() for package in TEST_FOLDERS.values())
    files = sorted(tests.rglob("test_*.py"))
    top = {p.name for p in files if p.parent == tests}
    assert top == REPOSITORY_WIDE, f"put package tests in tests/<package>/: {top - REPOSITORY_WIDE}"
    folders = {p.parent.relative_to(tests).as_posix() for p in files if p.parent != tests}
    assert folders <= set(TEST_FOLDERS), folders - set(TEST_FOLDERS)
    names = [p.name for p in files]
    assert len(names) == len(set(names)), "test file names must stay unique across folders"
