"""The CLI sits on top: only ``hypemeter/cli/`` deals in argparse namespaces, nothing below it
imports it, and every subcommand is run by its own module there."""

from __future__ import annotations

import ast
from pathlib import Path

from hypemeter.cli import build_parser
from hypemeter.paths import REPO_ROOT

CLI_DIR = REPO_ROOT / "hypemeter" / "cli"


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
