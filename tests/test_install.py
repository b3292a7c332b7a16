"""The checkout and the installed package agree: with the package installed from its wheel (not
editable), ``python -m pytest`` in the checkout imports the checkout's ``hypemeter/`` first,
and still finds ``hypemeter.service`` and ``hypemeter.training`` (the ``service/`` and
``training/`` folders); the wheel alone holds all three.

The runs below use ``python -S`` with an explicit path, so no ``.pth`` file (the editable
install's finder among them) takes part: only the wheel's files, the checkout and the
dependencies.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from support.paths import REPO

pytestmark = pytest.mark.slow

PROBE = """
import json, hypemeter, hypemeter.service.app, hypemeter.training.train
print(json.dumps({name: __import__(name, fromlist=["x"]).__file__ for name in
                  ("hypemeter", "hypemeter.service", "hypemeter.training")}))
"""


@pytest.fixture(scope="module")
def wheel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, installed without its dependencies into a folder of its own."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(REPO)], check=True, capture_output=True, timeout=600)
    (wheel,) = out.glob("hypemeter-*.whl")
    target = out / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--target", str(target), str(wheel)], check=True, capture_output=True,
                   timeout=600)
    return target


def probe(path: list[Path], cwd: Path) -> dict[str, str]:
    deps = sysconfig.get_paths()["purelib"]  # the dependencies, without their .pth files
    proc = subprocess.run(
        [sys.executable, "-S", "-c", f"import sys; sys.path[:0] = {[str(p) for p in path]!r}; "
         f"sys.path.append({deps!r})\n{PROBE}"],
        capture_output=True, text=True, cwd=cwd, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {k: str(Path(v).resolve()) for k, v in json.loads(proc.stdout).items()}


def test_the_checkout_first_finds_its_service_and_training(wheel_dir: Path) -> None:
    """What ``python -m pytest`` sees: the checkout before the installed wheel."""
    found = probe([REPO, wheel_dir], REPO)
    assert found["hypemeter"] == str(REPO / "hypemeter" / "__init__.py")
    assert found["hypemeter.service"] == str(REPO / "service" / "__init__.py")
    assert found["hypemeter.training"] == str(REPO / "training" / "__init__.py")


def test_the_wheel_alone_holds_service_and_training(wheel_dir: Path, tmp_path: Path) -> None:
    found = probe([wheel_dir], tmp_path)
    for name, path in found.items():
        assert Path(path).is_relative_to(wheel_dir.resolve()), (name, path)
