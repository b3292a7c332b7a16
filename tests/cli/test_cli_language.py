"""``hypemeter score`` and languages (issue 24): a record confidently in a language the model
does not read is skipped and reported like any bad record (file, line, language) and counted;
``--language en`` asserts the language for the whole run; every engine and output format
carries the language."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hypemeter.cli import main
from hypemeter.paths import REPO_ROOT
from hypemeter.records import batch
from hypemeter.records.io import BadRecord, InputRecord
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

pytestmark = pytest.mark.usefixtures("clean_env")

ITEMS = {json.loads(line)["id"]: json.loads(line) for line in
         (REPO_ROOT / "tests" / "fixtures" / "languages.jsonl").read_text("utf-8").splitlines()}
LINES = [ITEMS["en-sober-1"], ITEMS["es-sober-1"], ITEMS["en-sensational-1"],
         ITEMS["zh-sensational-1"], ITEMS["en-headline-1"], ITEMS["de-sober-2"]]


def _input(tmp_path: Path) -> Path:
    src = tmp_path / "mixed.jsonl"
    src.write_text("".join(json.dumps({k: it[k] for k in ("id", "headline", "body")},
                                      ensure_ascii=False) + "\n" for it in LINES), "utf-8")
    return src


def _run(args: list[str], capsys: pytest.CaptureFixture[str], bundle_dir: Path
         ) -> tuple[int, str, str]:
    status = main(["score", *args, "--model", str(bundle_dir), "-q"])
    out, err = capsys.readouterr()
    return status, out, err


def test_records_in_other_languages_are_skipped_and_reported(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], bundle_dir: Path,
        scorer: Scorer) -> None:
    src = _input(tmp_path)
    status, out, err = _run([str(src)], capsys, bundle_dir)
    assert status == 3  # like any run that skipped records
    got = [json.loads(x) for x in out.splitlines()]
    assert [r["id"] for r in got] == ["en-sober-1", "en-sensational-1", "en-headline-1"]
    english = [Article(it["headline"], it["body"], it["id"]) for it in LINES if
               it["language"] == "en"]
    assert got == [r.to_dict() for r in scorer.score(english)]
    for line, code in ((2, "es"), (4, "zh"), (6, "de")):
        assert f"skipped record {src}:{line}: unsupported_language ({code}):" in err
    assert "scored 3 record(s) from 1 partition(s), skipped 3 bad record(s) (3 in a " \
        "language the model does not read)" in err


def test_language_en_asserts_for_the_whole_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], bundle_dir: Path,
        scorer: Scorer) -> None:
    src = _input(tmp_path)
    status, out, err = _run([str(src), "--language", "en"], capsys, bundle_dir)
    assert status == 0, err
    got = [json.loads(x) for x in out.splitlines()]
    assert [r["id"] for r in got] == [it["id"] for it in LINES]
    assert all(r["language"] == "en" and r["language_asserted"] for r in got)
    asserted = [Article(it["headline"], it["body"], it["id"], language="en") for it in LINES]
    assert got == [r.to_dict() for r in scorer.score(asserted)]
    assert "skipped 0 bad record(s)" in err


@pytest.mark.parametrize("value", ["EN", "english", "e"])
def test_a_bad_language_option_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], bundle_dir: Path,
        value: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["score", str(_input(tmp_path)), "--language", value])
    assert info.value.code == 2
    assert "is not a language code" in capsys.readouterr().err


def test_csv_output_carries_the_language(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], bundle_dir: Path) -> None:
    out_file = tmp_path / "out.csv"
    status, _, _ = _run([str(_input(tmp_path)), "-o", str(out_file)], capsys, bundle_dir)
    assert status == 3
    rows = list(csv.DictReader(io.StringIO(out_file.read_text("utf-8"))))
    assert [(r["id"], r["language"], r["language_asserted"]) for r in rows] == [
        ("en-sober-1", "en", "False"), ("en-sensational-1", "en", "False"),
        ("en-headline-1", "und", "False")]


def test_score_records_skips_and_counts_them(scorer: Scorer) -> None:
    records: list[InputRecord | BadRecord] = [
        InputRecord("f.jsonl", i + 1, Article(it["headline"], it["body"], it["id"]), {})
        for i, it in enumerate(LINES)]
    out, err = io.StringIO(), io.StringIO()
    stats = batch.score_records(scorer, records, out, batch_size=4, errors=err)
    assert (stats.scored, stats.skipped, stats.unsupported_language) == (3, 3, 3)
    assert "f.jsonl:2: unsupported_language (es)" in err.getvalue()
    assert len(out.getvalue().splitlines()) == 3


@pytest.mark.slow
def test_worker_processes_report_the_same(tmp_path: Path, bundle_dir: Path) -> None:
    """``--jobs 2``: the refusals happen in the worker processes and reach the report."""
    src = _input(tmp_path)
    run = subprocess.run([sys.executable, "-m", "hypemeter", "score", str(src), "--jobs", "2",
                          "--batch-size", "2", "--model", str(bundle_dir), "-q"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 3, run.stderr
    assert [json.loads(x)["id"] for x in run.stdout.splitlines()] == [
        "en-sober-1", "en-sensational-1", "en-headline-1"]
    for line, code in ((2, "es"), (4, "zh"), (6, "de")):
        assert f"{src}:{line}: unsupported_language ({code})" in run.stderr
    assert "(3 in a language the model does not read)" in run.stderr


def test_evaluate_skips_rows_in_other_languages(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], bundle_dir: Path) -> None:
    rows = [{"id": it["id"], "headline": it["headline"], "body": it["body"],
             "label": int(it["kind"] == "sensational")} for it in ITEMS.values()
            if it["kind"] != "headline"]
    data = tmp_path / "labelled.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    status = main(["evaluate", "--data", str(data), "--out", str(tmp_path / "report"),
                   "--model", str(bundle_dir)])
    err = capsys.readouterr().err
    english = [r for r in rows if r["id"].startswith("en-")]
    assert status == 3  # finished, rows skipped
    assert err.count("unsupported_language") == len(rows) - len(english)
    assert f"{data}:1: unsupported_language (es)" in err
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text("utf-8"))
    assert metrics["binary"]["n"] == len(english)
    assert metrics["meta"]["skipped"] == len(rows) - len(english)
