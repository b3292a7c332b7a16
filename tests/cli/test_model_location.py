"""Which model the commands load, and where ``train`` writes (issue 22, item 2): trained bundles
go to the user data folder, found by ``serve``/``score`` before the shipped model; the shipped
``models/`` is written only when named with ``--out``; every command says which model it
loaded (version, path, why that one) on stderr."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hypemeter.bundles.bundle import publish_current, read_card
from hypemeter.cli import main
from hypemeter.paths import default_models_dir, shipped_models_dir, user_models_dir

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def user_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty user data folder, and a working folder without models/."""
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return xdg / "hypemeter"


def publish_copy(bundle_dir: Path, models: Path, version: str) -> Path:
    dst = models / version
    shutil.copytree(bundle_dir, dst, ignore=shutil.ignore_patterns("report"))
    card = json.loads((dst / "card.json").read_text(encoding="utf-8"))
    card["version"] = version
    (dst / "card.json").write_text(json.dumps(card), encoding="utf-8")
    publish_current(models, version)
    return dst


def test_trained_models_are_found_before_the_shipped_one(user_data: Path,
                                                         bundle_dir: Path) -> None:
    from hypemeter.service.settings import Settings

    assert user_models_dir() == user_data / "models"
    assert default_models_dir() == shipped_models_dir()  # nothing trained yet
    (user_data / "models").mkdir(parents=True)
    assert default_models_dir() == shipped_models_dir()  # a folder, but nothing published
    publish_copy(bundle_dir, user_data / "models", "mine-1")
    assert default_models_dir() == user_data / "models"
    assert Settings().models_dir == user_data / "models"  # what `serve` loads


def test_every_command_says_which_model_it_loaded(
    user_data: Path, bundle_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "1", "headline": "Council approves budget",
                               "body": "The vote was seven to two.", "label": 0}) + "\n"
                   + json.dumps({"id": "2", "headline": "SHOCKING miracle cure",
                                 "body": "You won't believe it!", "label": 1}) + "\n")
    shipped = read_card(bundle_dir)["version"]
    assert main(["score", str(src), "-o", str(tmp_path / "s.jsonl"), "--model",
                 str(bundle_dir), "-q"]) == 0
    assert f"hypemeter score: model {shipped} from {bundle_dir} (--model)" in \
        capsys.readouterr().err
    assert main(["score", str(src), "-o", str(tmp_path / "s.jsonl"), "-q"]) == 0
    err = capsys.readouterr().err
    assert f"hypemeter score: model {shipped} from " in err and "(the shipped model)" in err
    mine = publish_copy(bundle_dir, user_data / "models", "mine-2")
    assert main(["suggest", str(src), "--n", "1", "-o", str(tmp_path / "p.jsonl")]) == 0
    assert f"hypemeter suggest: model mine-2 from {mine} (your trained models)" in \
        capsys.readouterr().err
    assert main(["evaluate", str(src), "--out", str(tmp_path / "r"), "-q"]) == 0
    assert f"hypemeter evaluate: model mine-2 from {mine} (your trained models)" in \
        capsys.readouterr().err


def test_train_never_writes_the_shipped_models_without_out(
    user_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """$HYPEMETER_MODELS_DIR naming the shipped folder is not enough: --out must say so. (The
    package's folder is stood in for by a copy, so this test can never touch the real one.)"""
    import hypemeter.paths

    fake_root = tmp_path / "checkout"
    (fake_root / "models").mkdir(parents=True)
    monkeypatch.setattr(hypemeter.paths, "REPO_ROOT", fake_root)
    monkeypatch.setenv("HYPEMETER_MODELS_DIR", str(fake_root / "models"))
    code = main(["train", "--corpora", "sample", "--version", "t1"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "holds the shipped model" in err and f"--out {fake_root / 'models'}" in err
    assert "loaded" not in err
    assert list((fake_root / "models").iterdir()) == []
