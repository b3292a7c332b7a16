"""Retraining on a user's own labelled file (``hypemeter train --own-data FILE``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypemeter.training.corpora.registry import load_corpora

from hypemeter.cli import build_parser


def test_own_file_loads_as_its_own_corpus_and_reports_bad_lines(tmp_path: Path) -> None:
    own = tmp_path / "newsroom.jsonl"
    good = {"id": "n1", "headline": "Council approves budget", "body": "The vote was 7-2.",
            "sensational": 0, "misinformation": 0, "source": "Example Times",
            "loaded_phrases": []}
    loud = {"id": "n2", "headline": "Furious residents slam shocking plan", "body": "",
            "sensational": 1, "misinformation": 0, "loaded_phrases": ["shocking plan"]}
    own.write_text(json.dumps(good) + "\n{oops\n" + json.dumps(loud) + "\n"
                   + json.dumps({**good, "id": "n3", "sensational": 7}) + "\n",
                   encoding="utf-8")
    records, reports = load_corpora(tmp_path / "no-corpora", names=[], include_sample=False,
                                    own_files=[own], catalog={})
    assert {r.corpus for r in records} == {"own:newsroom"}
    assert len(records) == 4  # two items x two tasks
    spans = [s for r in records for s in r.spans]
    assert [(s.field, s.start, s.end) for s in spans] == [("headline", 23, 36)]
    (report,) = reports
    lines = sorted(i.line for i in report.issues if i.line)
    assert lines == [2, 4]


@pytest.mark.parametrize("argv", [["train", "--data-dir", "d", "--own-data", "a.jsonl",
                                   "--own-data", "b.jsonl"]])
def test_train_accepts_repeated_own_data(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert args.own_data == [Path("a.jsonl"), Path("b.jsonl")]


def test_too_little_data_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    from hypemeter.training.train import train_bundle

    from hypemeter.errors import DataError

    own = tmp_path / "tiny.jsonl"
    own.write_text(json.dumps({"id": "a", "headline": "Council meets", "body": "It met.",
                               "sensational": 0, "misinformation": 0}) + "\n")
    with pytest.raises(DataError, match="cannot train"):
        train_bundle(tmp_path / "none", tmp_path / "models", corpora=[], include_sample=False,
                     own_files=[own], log=lambda _m: None)
