"""The ``hypemeter`` commands are one family (issue 22, item 6): argparse conventions (a bad
option gets the subcommand's usage, every option has help text that shows its default,
``--version``), the same input and output rules everywhere (the file positional, ``--input-format``
/ ``--output-format``, the format by extension), ``score --max-spans`` defaults to the API's
number, ``evaluate`` never overwrites a report silently, and ``serve --model`` with no model
there exits with an error instead of serving 503s."""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.servers import free_port

from hypemeter import __version__
from hypemeter.cli import build_parser, main
from hypemeter.cli.common import HIDDEN_OPTIONS, leaf_parsers
from hypemeter.paths import REPO_ROOT
from hypemeter.records.results import DEFAULT_MAX_SPANS

pytestmark = pytest.mark.usefixtures("clean_env")

ARTICLES = [
    {"id": "a1", "headline": "SHOCKING: you won't believe this miracle cure",
     "body": "Doctors are furious. Act now before it's too late!"},
    {"id": "a2", "headline": "Council approves the budget",
     "body": "The council approved the budget for next year on Tuesday by seven votes to two."},
    {"id": "a3", "headline": "Storm closes two schools",
     "body": "Two schools closed on Monday after a storm damaged their roofs, officials said."},
]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def options_of(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions
            if a.option_strings and not isinstance(a, argparse._HelpAction)]


# --------------------------------------------------------------------------- help and defaults


def test_every_option_of_every_subcommand_has_help_that_shows_its_default() -> None:
    parser = build_parser()
    commands = dict(leaf_parsers(parser))
    assert {"serve", "train", "score", "evaluate", "suggest", "datasets fetch",
            "feedback export", "db upgrade"} <= set(commands)
    missing, no_default = [], []
    for path, p in commands.items():
        formatter = p._get_formatter()
        for action in options_of(p):
            name = next(o for o in action.option_strings if o.startswith("--"))
            if action.help == argparse.SUPPRESS:
                assert name in HIDDEN_OPTIONS, f"{path} {name} is hidden"
                continue
            if not action.help:
                missing.append(f"{path} {name}")
                continue
            takes_value = action.nargs != 0
            if takes_value and not action.required and \
                    "default" not in formatter._expand_help(action):
                no_default.append(f"{path} {name}")
    assert not missing, f"options without help text: {missing}"
    assert not no_default, f"options whose help shows no default: {no_default}"


def test_the_help_of_serve_train_score_and_evaluate_shows_the_defaults(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from hypemeter.service.settings import Settings

    settings = Settings()
    for argv, needles in (
        (["serve", "--help"], [f"else {settings.host}", f"else {settings.port}",
                               f"else {settings.workers}", "--model"]),
        (["train", "--help"], ["--seed", "(default: 0)", "user data folder"]),
        (["score", "--help"], [f"(default: {DEFAULT_MAX_SPANS}, as the API's max_spans)",
                               "--batch-size", "(default: 256)", "--input-format",
                               "--output-format"]),
        (["evaluate", "--help"], ["(default: sensationalism)", "report-2/", "--overwrite"]),
        (["suggest", "--help"], ["--output-format", "(default: both)", "(default: 50)"]),
    ):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
        text = " ".join(capsys.readouterr().out.split())
        for needle in needles:
            assert needle in text, (argv, needle)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"hypemeter {__version__}"


# --------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize("argv, command", [
    (["score", "in.jsonl", "--ouput", "x.csv"], "score"),
    (["evaluate", "x.jsonl", "--lable-field", "y"], "evaluate"),
    (["feedback", "export", "--sinse", "2026-01-01"], "feedback export"),
    (["serve", "--prot", "8000"], "serve"),
])
def test_a_mistyped_option_prints_the_subcommands_usage(
    argv: list[str], command: str, capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: hypemeter {command} "), err
    assert f"hypemeter {command}: error: unrecognized arguments: {argv[-2]}" in err
    assert "did you mean --" in err


# --------------------------------------------------------------------------- the same rules


def test_evaluate_takes_the_file_positionally_and_as_data(tmp_path: Path) -> None:
    parser = build_parser()
    assert parser.parse_args(["evaluate", "x.jsonl"]).input == "x.jsonl"
    assert parser.parse_args(["evaluate", "--data", "x.jsonl"]).data == "x.jsonl"
    for name in ("score", "suggest", "evaluate"):
        args = parser.parse_args([name, "x.data", "--input-format", "csv"])
        assert args.input_format == "csv", name


def test_evaluate_needs_the_file_once(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["evaluate"], ["evaluate", "a.jsonl", "--data", "b.jsonl"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert capsys.readouterr().err.startswith("usage: hypemeter evaluate")


def test_the_old_format_option_still_reads_input_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = build_parser().parse_args(["suggest", "x.data", "--format", "csv"])
    assert args.input_format == "csv"
    assert "--format is deprecated, use --input-format" in capsys.readouterr().err


def test_score_max_spans_defaults_to_the_apis(tmp_path: Path) -> None:
    from hypemeter.service.schemas import ScoreRequest

    parser = build_parser()
    assert parser.parse_args(["score"]).max_spans == DEFAULT_MAX_SPANS == 100
    assert ScoreRequest(body="x").max_spans == DEFAULT_MAX_SPANS
    assert parser.parse_args(["score", "--max-spans", "all"]).max_spans is None
    assert parser.parse_args(["score", "--max-spans", "3"]).max_spans == 3


def test_suggest_writes_csv_for_a_csv_output_like_score(
    tmp_path: Path, bundle_dir: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", ARTICLES)
    picks = tmp_path / "picks.csv"
    assert main(["suggest", str(src), "--n", "2", "--output", str(picks),
                 "--model", str(bundle_dir)]) == 0
    rows = list(csv.DictReader(picks.open(encoding="utf-8", newline="")))
    assert len(rows) == 2
    assert list(rows[0])[:3] == ["id", "headline", "body"]
    assert json.loads(rows[0]["suggestion"])["rank"] == 1
    assert json.loads(rows[0]["input"])["file"] == str(src)
    scored = tmp_path / "scores.csv"
    assert main(["score", str(src), "--output", str(scored), "--model", str(bundle_dir),
                 "-q"]) == 0
    assert scored.read_text(encoding="utf-8").startswith("id,sensationalism,")
    # --output-format overrides the extension; JSONL for stdout
    jsonl = tmp_path / "picks.out"
    assert main(["suggest", str(src), "--n", "1", "-o", str(jsonl), "--output-format", "jsonl",
                 "--model", str(bundle_dir)]) == 0
    assert json.loads(jsonl.read_text(encoding="utf-8"))["suggestion"]["rank"] == 1
    capsys.readouterr()
    assert main(["suggest", str(src), "--n", "1", "-o", str(tmp_path / "p.parquet"),
                 "--model", str(bundle_dir)]) == 2
    assert "suggest writes JSONL or CSV" in capsys.readouterr().err
    assert not (tmp_path / "p.parquet").exists()


def test_evaluate_never_overwrites_a_report_silently(
    tmp_path: Path, bundle_dir: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = [{**a, "label": int(i == 0)} for i, a in enumerate(ARTICLES)]
    data = write_jsonl(tmp_path / "labelled.jsonl", rows)
    monkeypatch.chdir(tmp_path)
    base = ["evaluate", str(data), "--model", str(bundle_dir), "-q"]
    assert main(base) == 0
    assert (tmp_path / "report" / "report.md").is_file()
    first = (tmp_path / "report" / "metrics.json").read_text()
    assert main(base) == 0  # the default folder holds a report: the next free one
    assert (tmp_path / "report-2" / "report.md").is_file()
    assert "report-2" in capsys.readouterr().err
    assert main([*base, "--out", "report"]) == 2  # named and taken: refused
    assert "already holds a report" in capsys.readouterr().err
    assert (tmp_path / "report" / "metrics.json").read_text() == first
    assert main([*base, "--out", "report", "--overwrite"]) == 0


# --------------------------------------------------------------------------- serve --model


def test_serve_with_a_wrong_model_path_exits_with_an_error(tmp_path: Path) -> None:
    """It used to start and answer /readyz with 503 for ever."""
    wrong = tmp_path / "no" / "such" / "models"
    proc = subprocess.run(
        [sys.executable, "-m", "hypemeter", "serve", "--port", str(free_port()), "--model",
         str(wrong)],
        capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"hypemeter serve: error: no model bundle at {wrong}" in proc.stderr


def test_docs_command_line_md_names_every_subcommand_and_option() -> None:
    doc = (REPO_ROOT / "docs" / "command-line.md").read_text(encoding="utf-8")
    missing = []
    for path, p in leaf_parsers(build_parser()):
        if path and f"hypemeter {path}" not in doc and f"`{path.split()[-1]}" not in doc:
            missing.append(path)
        for action in options_of(p):
            if action.help == argparse.SUPPRESS:
                continue
            name = next(o for o in action.option_strings if o.startswith("--"))
            if name not in doc:
                missing.append(f"{path} {name}")
    assert not missing, f"docs/command-line.md does not mention: {missing}"
