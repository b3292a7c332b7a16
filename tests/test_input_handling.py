"""Bad input never crashes and never loses data: each bad record is reported with its file and
line and skipped, and the rest of the work goes on (``score`` and ``evaluate``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hypemeter.cli import main


def jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def score(args: list[str], bundle_dir: Path, capsys: pytest.CaptureFixture[str]
          ) -> tuple[int, str]:
    code = main(["score", *args, "--model", str(bundle_dir), "--no-explain", "-q"])
    return code, capsys.readouterr().err


def ids(path: Path) -> list[str | None]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


GOOD = {"id": "good", "headline": "SHOCKING news", "body": "Act now."}


# --- record fields ------------------------------------------------------------------------


def test_bool_id_is_rejected_not_written_as_true(tmp_path: Path, bundle_dir: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    rows = [GOOD, {"id": True, "headline": "x"}, {"id": 7, "body": "y"}]
    src = jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    code, err = score([str(src), "-o", str(out)], bundle_dir, capsys)
    assert code == 3
    assert f"{src}:2: field 'id' must be a string or an integer, not True" in err
    assert ids(out) == ["good", "7"]


def test_lone_surrogates_are_rejected_at_parse_time(tmp_path: Path, bundle_dir: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "in"
    d.mkdir()
    jsonl(d / "a.jsonl", [GOOD, {**GOOD, "id": "good2"}])
    bad = jsonl(d / "b.jsonl", ['{"id": "s1", "headline": "x \\ud800"}',
                                '{"id": "s2", "body": "\\udfff y"}',
                                '{"id": "\\ud800", "body": "z"}'])
    out = tmp_path / "out.jsonl"
    code, err = score([str(d), "-o", str(out)], bundle_dir, capsys)
    assert code == 3, err
    assert f"{bad}:1: field 'headline' is not valid Unicode (lone surrogate at 2)" in err
    assert f"{bad}:2: field 'body' is not valid Unicode (lone surrogate at 0)" in err
    assert f"{bad}:3: field 'id' is not valid Unicode" in err
    assert "scored 2 record(s)" in err
    assert ids(out) == ["good", "good2"]
