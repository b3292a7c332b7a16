"""Packaging checks (fast, no network, no Docker): the lock files, the Dockerfile and its
.dockerignore, .ci/run and the wheel (the documentation's checks are in tests/test_docs.py).

These read the files as text and parse what they need; nothing is hard-coded that the code
itself can tell (routes come from the app, settings from
:class:`hypemeter.service.settings.Settings`).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from support.paths import REPO as REPO_ROOT

PYPROJECT = REPO_ROOT / "pyproject.toml"
LOCK = REPO_ROOT / "requirements.lock"
DEV_LOCK = REPO_ROOT / "requirements-dev.lock"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
CI_RUN = REPO_ROOT / ".ci" / "run"
README = REPO_ROOT / "README.md"
PACKAGES = ("hypemeter", "service", "training")

# The two README commands (the second is what .ci/run runs in its own venv).
INSTALL_DEV = "pip install -c requirements-dev.lock -e '.[dev]'"
TEST_COMMAND = "python -m pytest"


# --------------------------------------------------------------------------- helpers


def project() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]


def read_lock(path: Path) -> dict[str, str]:
    """``{canonical name: version}`` from a pip-compile output; every requirement must be ==."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"{path.name}:{number}: {raw.strip()!r} is not pinned with =="
        )
        pins[canonicalize_name(req.name)] = specs[0].version
    return pins


def applies(req: Requirement, extra: str = "") -> bool:
    if req.marker is None:
        return True
    return req.marker.evaluate({**default_environment(), "extra": extra})


def assert_pinned(req: Requirement, pins: dict[str, str], lock: Path) -> None:
    name = canonicalize_name(req.name)
    assert name in pins, f"{req.name} (pyproject) is not pinned in {lock.name}: regenerate it"
    assert req.specifier.contains(Version(pins[name]), prereleases=True), (
        f"{lock.name} pins {name}=={pins[name]}, outside pyproject's {req}: regenerate it"
    )


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        line = pending + stripped
        pending = ""
        keyword, _, args = line.partition(" ")
        out.append((keyword.upper(), args.strip()))
    assert not pending, "Dockerfile ends inside a line continuation"
    return out


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """Instructions per build stage (each starts with FROM), ARG defaults substituted in FROM."""
    args: dict[str, str] = {}
    stages: list[list[tuple[str, str]]] = []
    for keyword, rest in dockerfile_instructions():
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name.strip()] = default.strip().strip('"')
        if keyword == "FROM":
            rest = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), rest)
            stages.append([])
        if stages:
            stages[-1].append((keyword, rest))
    return stages


def extras_only() -> set[str]:
    """Distributions that only an extra of the package brings (not dev): the image and a plain
    ``pip install hypemeter`` go without them."""
    meta = project()
    names = set()
    for extra, specs in meta.get("optional-dependencies", {}).items():
        if extra != "dev":
            names |= {canonicalize_name(Requirement(spec).name) for spec in specs}
    names.discard(canonicalize_name(meta["name"]))
    if "dask" in names:
        names.add("distributed")  # dask[distributed]
    return names


def dockerignore_excludes(path: str) -> bool:
    """Whether Docker's .dockerignore rules exclude ``path`` (relative, '/'-separated).

    The last matching rule wins; ``!`` re-includes; a rule matching a parent directory
    excludes everything below it; ``**`` matches any number of directories.
    """
    rules = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        rules.append((negate, pattern.strip("/")))

    def match(pattern: str, candidate: str) -> bool:
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex += "(?:.*/)?"
                i += 3
            elif pattern.startswith("**", i):
                regex += ".*"
                i += 2
            elif pattern[i] == "*":
                regex += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                regex += "[^/]"
                i += 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex += "[" + pattern[i + 1:end] + "]"
                i = end + 1
            else:
                regex += re.escape(pattern[i])
                i += 1
        return re.fullmatch(regex, candidate) is not None

    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negate, pattern in rules:
        if any(match(pattern, prefix) for prefix in prefixes):
            excluded = not negate
    return excluded


# --------------------------------------------------------------------------- lock files


def test_lock_pins_every_runtime_dependency() -> None:
    pins = read_lock(LOCK)
    for spec in project()["dependencies"]:
        req = Requirement(spec)
        if applies(req):
            assert_pinned(req, pins, LOCK)
    assert "pip-compile" in LOCK.read_text(encoding="utf-8").split("\n\n")[0], (
        "requirements.lock should start with the command that regenerates it"
    )


def test_dev_lock_pins_every_extra_and_agrees_with_the_runtime_lock() -> None:
    runtime = read_lock(LOCK)
    dev = read_lock(DEV_LOCK)
    meta = project()
    for extra, specs in meta.get("optional-dependencies", {}).items():
        for spec in specs:
            req = Requirement(spec)
            if applies(req, extra) and canonicalize_name(req.name) != meta["name"]:
                assert_pinned(req, dev, DEV_LOCK)
    for spec in meta["dependencies"]:
        req = Requirement(spec)
        if applies(req):
            assert_pinned(req, dev, DEV_LOCK)
    differ = {n: (v, dev[n]) for n, v in runtime.items() if n in dev and dev[n] != v}
    assert not differ, f"the two locks pin different versions: {differ}"
    assert "pip-compile" in DEV_LOCK.read_text(encoding="utf-8").split("\n\n")[0]


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_is_multi_stage_on_slim_python() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2, "builder + runtime stages"
    for stage in stages:
        image = stage[0][1].split()[0]
        assert re.fullmatch(r"python:3\.1[12]-slim", image), f"base image {image!r}"
    builder = " ".join(rest for kw, rest in stages[0] if kw == "RUN")
    assert re.search(r"pip wheel\b.*-c requirements\.lock", builder), "wheels from the lock"
    runtime = " ".join(rest for kw, rest in stages[-1] if kw == "RUN")
    assert "--no-index" in runtime, "the runtime installs from the builder's wheels only"
    assert not re.search(r"apt-get install", runtime), "no compilers or tools in the runtime"


def test_dockerfile_runtime_user_port_health_and_command() -> None:
    runtime = dockerfile_stages()[-1]
    users = [rest for kw, rest in runtime if kw == "USER"]
    assert users, "the runtime stage sets a USER"
    assert users[-1].split(":")[0] not in ("root", "0"), "the server must not run as root"

    assert any(kw == "EXPOSE" and "8000" in rest.split() for kw, rest in runtime)

    health = [rest for kw, rest in runtime if kw == "HEALTHCHECK"]
    assert len(health) == 1
    assert "/readyz" in health[0] and "/healthz" not in health[0]  # readiness: a model loaded
    assert not re.search(r"\b(curl|wget)\b", health[0]), "no curl/wget in a slim image"
    cmd = health[0].partition("CMD")[2].strip()
    argv = json.loads(cmd) if cmd.startswith("[") else shlex.split(cmd)
    assert argv[:2] == ["python", "-c"]
    compile(argv[2], "<healthcheck>", "exec")  # the probe is valid Python

    cmds = [rest for kw, rest in runtime if kw == "CMD"]
    assert cmds, "the runtime stage has a CMD"
    argv = json.loads(cmds[-1])
    assert argv[:2] == ["hypemeter", "serve"]
    assert argv[argv.index("--host") + 1] == "0.0.0.0"
    assert argv[argv.index("--port") + 1] == "8000"


def test_dockerfile_bakes_in_the_models_and_the_training_data() -> None:
    runtime = dockerfile_stages()[-1]
    copies = [rest for kw, rest in runtime if kw == "COPY"]
    assert any(re.search(r"(^|\s)models/\s+/app/models/?$", c) for c in copies)
    env = " ".join(rest for kw, rest in runtime if kw == "ENV")
    assert "HYPEMETER_MODELS_DIR=/app/models" in env
    assert any("datasets/catalog.json" in c for c in copies)
    assert any("datasets/sample" in c for c in copies)


def test_dockerignore_keeps_tests_venvs_data_and_caches_out() -> None:
    for path in (
        "tests/core/test_core.py",
        "tests/fixtures/x.jsonl",
        ".venv/bin/python",
        ".git/HEAD",
        ".ci/run",
        "hypemeter/__pycache__/cli.cpython-311.pyc",
        "service/x.pyc",
        ".pytest_cache/v/cache/lastfailed",
        ".ruff_cache/CACHEDIR.TAG",
        "hypemeter.egg-info/PKG-INFO",
        "datasets/liar/train.tsv",
        "datasets/README.md",
        "artifacts/page.png",
        "benchmarks/bench_scoring.py",
        "models/.current.123",
    ):
        assert dockerignore_excludes(path), f".dockerignore lets {path} into the context"


def test_dockerignore_keeps_what_the_dockerfile_copies() -> None:
    sources: list[str] = []
    for stage in dockerfile_stages():
        for keyword, rest in stage:
            if keyword != "COPY" or "--from" in rest:
                continue
            words = [w for w in rest.split() if not w.startswith("--")]
            sources += words[:-1]
    assert sources
    for source in sources:
        target = REPO_ROOT / source
        assert target.exists() or source.startswith("models"), f"COPY {source}: no such path"
        probes = [source.rstrip("/")]
        if target.is_dir():
            probes = [p.relative_to(REPO_ROOT).as_posix() for p in target.rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts] or probes
        for probe in probes:
            assert not dockerignore_excludes(probe), f".dockerignore excludes {probe}"


def test_code_never_imports_an_extra_at_module_level() -> None:
    """The extras (dask, pyarrow) are not installed by default nor in the image: serving,
    training and scoring must still import, so they are imported only inside functions or try
    blocks."""
    left_out = {name.replace("-", "_") for name in extras_only()}
    assert {"dask", "distributed", "pyarrow"} <= left_out
    problems = []
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in tree.body:  # module level only; try/def bodies are not walked
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    if name.split(".")[0] in left_out:
                        problems.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} {name}")
    assert not problems, f"module-level imports of {sorted(left_out)}: {problems}"


def test_extras_stay_out_of_the_runtime_lock_and_the_image() -> None:
    runtime = read_lock(LOCK)
    assert not extras_only() & set(runtime), "requirements.lock pins what only an extra needs"
    dev = read_lock(DEV_LOCK)
    assert extras_only() <= set(dev), "the dev extra (what CI installs) pulls every extra"
    dev_specs = [Requirement(s) for s in project()["optional-dependencies"]["dev"]]
    own = [r for r in dev_specs if canonicalize_name(r.name) == project()["name"]]
    extras = set(project()["optional-dependencies"]) - {"dev"}
    assert own and set(own[0].extras) == extras, "dev installs hypemeter[every extra]"
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "printf" not in text and "pip uninstall" not in text, "install, don't remove"
    runtime_runs = " ".join(rest for kw, rest in dockerfile_stages()[-1] if kw == "RUN")
    assert re.search(r'pip install [^&]*"hypemeter\$\{EXTRAS:\+\[\$EXTRAS\]\}"', runtime_runs)


@pytest.mark.parametrize(("argv", "blocked", "extra"), [
    (["score", "IN.parquet", "--output", "OUT.jsonl"], "pyarrow", "hypemeter[parquet]"),
    (["score", "IN.jsonl", "--output", "OUT.parquet"], "pyarrow", "hypemeter[parquet]"),
    (["score", "IN.jsonl", "--output", "OUT.jsonl", "--engine", "dask"], "distributed",
     "hypemeter[dask]"),
])
def test_a_missing_extra_is_named(tmp_path: Path, argv: list[str], blocked: str,
                                  extra: str) -> None:
    """Run the CLI with the extra's package made unimportable: the error names the extra."""
    import subprocess
    import sys

    (tmp_path / "IN.jsonl").write_text('{"id": "1", "headline": "Act now"}\n')
    (tmp_path / "IN.parquet").write_bytes(b"PAR1")
    argv = [a.replace("IN", str(tmp_path / "IN")).replace("OUT", str(tmp_path / "OUT"))
            for a in argv]
    code = (f"import sys; sys.modules[{blocked!r}] = None\n"
            "from hypemeter.cli import main\n"
            f"sys.exit(main({argv!r} + ['--quiet']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=REPO_ROOT)
    assert proc.returncode == 2, proc.stderr
    assert f"pip install '{extra}'" in proc.stderr, proc.stderr


# --------------------------------------------------------------------------- CI


def test_ci_run_installs_and_tests_the_way_the_readme_says() -> None:
    assert os.access(CI_RUN, os.X_OK), ".ci/run must be executable"
    script = CI_RUN.read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash") or script.startswith("#!/bin/bash")
    assert "set -euo pipefail" in script
    assert "ruff\" check ." in script or "ruff check ." in script
    assert "mkdocs build --strict" in script, "CI builds the documentation site"
    readme = README.read_text(encoding="utf-8")
    for command in (INSTALL_DEV, TEST_COMMAND):
        assert command in readme, f"README lacks {command!r}"
        assert command in script, f".ci/run does not run {command!r}"
    runs = [line for line in script.splitlines() if "-m pytest" in line]
    assert runs and not any(" -m \"not slow\"" in line or "-m 'not slow'" in line
                            for line in runs), "CI runs every test, slow ones included"
    assert "playwright install" not in script.replace("no `playwright install`", "")


def test_dockerignore_matcher_follows_docker_rules() -> None:
    """Guards the helper above: the last rule wins, ! re-includes, ** spans directories."""
    assert dockerignore_excludes("datasets/whatever/file.tsv")
    assert not dockerignore_excludes("datasets/catalog.json")
    assert not dockerignore_excludes("datasets/sample/sample.jsonl")
    assert dockerignore_excludes("deep/nested/__pycache__/m.pyc")
    assert not dockerignore_excludes("hypemeter/cli.py")


@pytest.mark.slow
def test_wheel_installs_one_top_level_import_name(tmp_path: Path) -> None:
    """The wheel holds only `hypemeter` (service/ and training/ map into its namespace)."""
    import subprocess
    import sys
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path), str(REPO_ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("hypemeter-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"hypemeter"}
    for module in ("hypemeter/service/app.py", "hypemeter/service/web/static/index.html",
                   "hypemeter/training/train.py", "hypemeter/training/corpora/ptc.py"):
        assert module in names
    packages = {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
    on_disk = {str(p.parent.relative_to(REPO_ROOT)) for p in REPO_ROOT.glob("*/**/__init__.py")
               if p.parts[len(REPO_ROOT.parts)] in {"hypemeter", "service", "training"}}
    expected = {("hypemeter/" + d) if not d.startswith("hypemeter") else d for d in on_disk}
    assert packages == expected, "every package folder is listed in pyproject.toml"
