"""``hypemeter train`` as a new user meets it (issue 22, items 2, 3 and 7): a mistyped corpus
name stops before any work (status 2, the known names listed, the data dir not blamed); the
README's retrain command writes to the user data folder and leaves the shipped model alone,
and ``score`` then uses the trained model and says so; train says what "loaded N records"
counts and prints the validation metrics at the end."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypemeter.training.corpora.registry import LOADERS

from hypemeter.cli import main
from hypemeter.paths import REPO_ROOT

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.mark.parametrize("extra", [[], ["--data-dir", "CORPORA"]])
@pytest.mark.parametrize("names", ["smaple", "sample,liarr"])
def test_an_unknown_corpus_name_stops_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    names: str, extra: list[str],
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # no data dir there
    (tmp_path / "corpora").mkdir()
    models = tmp_path / "models"
    argv = ["train", "--corpora", names, "--out", str(models),
            *[str(tmp_path / "corpora") if a == "CORPORA" else a for a in extra]]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    typo = names.split(",")[-1]
    assert f"hypemeter train: error: unknown corpus name(s): {typo!r}" in err
    assert "did you mean" in err
    assert all(name in err for name in [*LOADERS, "sample"]), err
    assert "data dir" not in err  # the typo is the problem, not the (missing) data dir
    assert "loaded" not in err and "fitted" not in err
    assert not models.exists()


# --------------------------------------------------------------------------- a real run


@dataclass
class Run:
    env: dict[str, str]
    work: Path
    user_models: Path
    stderr: str
    shipped_before: tuple[str, list[str]]


def shipped_state(models: Path) -> tuple[str, list[str]]:
    return os.readlink(models / "current"), sorted(p.name for p in models.iterdir())


@pytest.fixture(scope="module")
def readme_retrain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """The README's retrain command, without --out, run in a checkout as a user runs it. The
    checkout is a copy (its models/ holds the shipped bundle), so that even code with the old
    bug could only ever overwrite the copy."""
    root = tmp_path_factory.mktemp("retrain")
    work = root / "checkout"
    shipped = (REPO_ROOT / "models" / "current").resolve()
    shutil.copytree(shipped, work / "models" / shipped.name,
                    ignore=shutil.ignore_patterns("report"))
    (work / "models" / "current").symlink_to(shipped.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPEMETER_")}
    env["XDG_DATA_HOME"] = str(root / "xdg")
    before = shipped_state(work / "models")
    real_before = shipped_state(REPO_ROOT / "models")
    proc = subprocess.run(
        ["nice", sys.executable, "-m", "hypemeter", "train", "--corpora", "sample",
         "--version", "corrected-1"],
        cwd=work, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert shipped_state(REPO_ROOT / "models") == real_before
    assert proc.returncode == 0, proc.stderr
    yield Run(env, work, root / "xdg" / "hypemeter" / "models", proc.stderr, before)


@pytest.mark.slow
def test_retrain_goes_to_the_user_data_folder_not_the_shipped_model(readme_retrain: Run
                                                                     ) -> None:
    run = readme_retrain
    # the checkout's models/current and models/ are untouched
    assert shipped_state(run.work / "models") == run.shipped_before
    assert (run.user_models / "corrected-1" / "card.json").is_file()
    assert os.readlink(run.user_models / "current") == "corrected-1"
    assert f"hypemeter train: writing the bundle to {run.user_models}" in run.stderr


@pytest.mark.slow
def test_score_then_loads_the_trained_model_and_says_so(readme_retrain: Run,
                                                        tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "1", "headline": "Council approves budget", "body": "Seven to two."}'
                   "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "hypemeter", "score", str(src), "-q"], cwd=readme_retrain.work,
        env=readme_retrain.env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    bundle = readme_retrain.user_models / "corrected-1"
    assert f"hypemeter score: model corrected-1 from {bundle} (your trained models)" \
        in proc.stderr
    assert '"version":"corrected-1"' in proc.stdout.replace(" ", "")


@pytest.mark.slow
def test_train_says_what_it_counted_and_prints_the_validation_metrics(readme_retrain: Run
                                                                      ) -> None:
    err = readme_retrain.stderr
    found = re.search(r"loaded (\d+) training records from 1 corpora in [\d.]+s: (\d+) "
                      r"distinct texts, one record per text and task it is labelled for "
                      r"\(misinformation (\d+), sensationalism (\d+)\)", err)
    assert found, err
    records, texts, mis, sens = map(int, found.groups())
    # the sample corpus: sample.jsonl and the identity reports beside it
    sample_lines = sum(1 for name in ("sample.jsonl", "identity_reports.jsonl")
                       for line in (REPO_ROOT / "datasets" / "sample" / name)
                       .read_text(encoding="utf-8").splitlines() if line.strip())
    assert records == mis + sens and texts <= sample_lines < records
    tail = err[err.index("validation: "):]
    assert "held-out 20%" in tail
    rows = re.findall(r"^  (sensationalism|misinformation)/\w+: \d+ records \(\d+ positive\), "
                      r"ROC-AUC (?:\d\.\d{3}|n/a), F1", tail, flags=re.MULTILINE)
    assert {"sensationalism", "misinformation"} <= set(rows), tail
