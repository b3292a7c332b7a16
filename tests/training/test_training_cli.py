"""``hypemeter train`` from the command line: a taken ``--version`` fails before any work, the
leftovers of killed runs are cleaned (only stale ones), a real run on the sample corpus
publishes a loadable bundle; and the corpus checksum tool's exit status."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hypemeter.bundles.bundle import load_bundle
from hypemeter.bundles.staging import STALE_AFTER_HOURS, clean_stale_staging
from hypemeter.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "corpora"


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def staging_dir(models: Path, name: str, *, files: tuple[str, ...] = ("model.pkl.gz",),
                age_hours: float = 0.0) -> Path:
    folder = models / name
    folder.mkdir(parents=True)
    for f in files:
        (folder / f).write_bytes(b"partial")
    if age_hours:
        then = time.time() - age_hours * 3600
        for p in (*folder.iterdir(), folder):
            os.utime(p, (then, then))
    return folder


@pytest.mark.parametrize("version", ["v1", "../elsewhere", ".hidden", "current", " "])
def test_taken_or_invalid_version_fails_before_loading_or_fitting(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str) -> None:
    models = tmp_path / "models"
    (models / "v1").mkdir(parents=True)
    code = main(["train", "--corpora", "sample", "--out", str(models), "--version", version])
    err = capsys.readouterr().err
    assert code == 2, err
    if version == "v1":
        assert f"hypemeter train: error: model version v1 already exists at {models / 'v1'}; " \
            "choose another --version" in err
    else:
        assert f"hypemeter train: error: invalid model version {version!r}" in err
    # refused up front: no corpus was loaded ("loaded N records" is logged before the fit)
    assert "loaded" not in err and "fitted" not in err
    assert sorted(p.name for p in models.iterdir()) == ["v1"]


def test_only_stale_staging_leftovers_are_removed(tmp_path: Path) -> None:
    models = tmp_path / "models"
    dead = staging_dir(models, f".v1.pid{dead_pid()}.abcd_123", files=("model.pkl.gz",
                                                                         "card.json"))
    live = staging_dir(models, f".v2.pid{os.getppid()}.abcd_123")  # pytest's parent: running
    mine = staging_dir(models, f".v3.pid{os.getpid()}.k2j4h5g6")
    old = staging_dir(models, ".v4.x8y7z6w5", age_hours=STALE_AFTER_HOURS + 1)
    recent = staging_dir(models, ".v5.x8y7z6w5", age_hours=STALE_AFTER_HOURS - 1)
    live_but_old = staging_dir(models, f".v6.pid{os.getppid()}.abcd_123",
                               age_hours=STALE_AFTER_HOURS + 1)
    not_ours = staging_dir(models, ".git", files=("config",), age_hours=1000)
    not_ours_too = staging_dir(models, f".v7.pid{dead_pid()}.abcd_123",
                               files=("model.pkl.gz", "notes.txt"))
    bundle = staging_dir(models, "v8", age_hours=1000)  # a published bundle, never touched
    dead_current = models / f".current.{dead_pid()}"  # publish_current's link, killed
    dead_current.symlink_to("v8")
    (models / f".current.{os.getppid()}").symlink_to("v8")
    removed = clean_stale_staging(models)
    assert sorted(p.name for p in removed) == sorted(
        [dead.name, old.name, live_but_old.name, dead_current.name])
    left = sorted(p.name for p in models.iterdir())
    assert left == sorted([live.name, mine.name, recent.name, not_ours.name,
                           not_ours_too.name, bundle.name, f".current.{os.getppid()}"])


@pytest.mark.slow
def test_cli_train_on_the_sample_corpus_publishes_and_cleans_up(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "models"
    leftover = staging_dir(models, f".killed.pid{dead_pid()}.abcd_123",
                           files=("model.pkl.gz", "report"))
    code = main(["train", "--corpora", "sample", "--out", str(models), "--version", "cli-1",
                 "--seed", "2"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"removed {leftover}, left behind by an interrupted run" in err
    assert not leftover.exists()
    assert (models / "current").resolve() == (models / "cli-1").resolve()
    bundle = load_bundle(models)
    assert bundle.version == "cli-1" and bundle.card["seed"] == 2
    assert [c["name"] for c in bundle.card["corpora"]] == ["sample"]
    assert (models / "cli-1" / "report" / "report.md").is_file()
    assert sorted(p.name for p in models.iterdir()) == ["cli-1", "current"]


def run_checksums(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hypemeter.training.corpora.checksums",
                           *args], capture_output=True, text=True, check=False, timeout=120)


def test_checksums_tool_exit_status(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "webis_clickbait17", data / "webis_clickbait17")
    catalog = tmp_path / "catalog.json"
    names = ["--names", "webis_clickbait17"]
    wrote = run_checksums("--data-dir", str(data), "--catalog", str(catalog), "--write", *names)
    assert wrote.returncode == 0, wrote.stderr
    entry = json.loads(catalog.read_text())["corpora"][0]
    assert entry["name"] == "webis_clickbait17" and entry["files"][0]["sha256"]
    same = run_checksums("--data-dir", str(data), "--catalog", str(catalog), *names)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "  ok " in same.stdout and "MISMATCH" not in same.stdout
    with (data / "webis_clickbait17" / "train.json").open("a", encoding="utf-8") as fh:
        fh.write('{"click_bait": 0, "post_text": "One more row", "text_id": 999}\n')
    changed = run_checksums("--data-dir", str(data), "--catalog", str(catalog), *names)
    assert changed.returncode == 1, changed.stdout
    assert "MISMATCH" in changed.stdout
    shutil.rmtree(data / "webis_clickbait17")
    missing = run_checksums("--data-dir", str(data), "--catalog", str(catalog), *names)
    assert missing.returncode == 1 and "MISSING" in missing.stdout
