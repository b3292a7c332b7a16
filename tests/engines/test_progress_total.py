"""The progress bar shows the total and the percentage when the input's size is known (issue 22,
item 7): ``hypemeter score`` and ``evaluate`` count the records of their input files first (JSONL
lines in binary blocks, CSV records, Parquet rows from the footer); stdin has no total."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from hypemeter.engines.partitions import count_records, resolve_inputs
from hypemeter.records.batch import score_stream
from hypemeter.scoring.scorer import Scorer


class Terminal(io.StringIO):
    """stderr as a terminal (the bar is drawn only there)."""

    def isatty(self) -> bool:
        return True


def rows(n: int) -> list[dict[str, str]]:
    return [{"id": f"r{i}", "headline": f"Council meets on day {i}",
             "body": "The budget vote is on Tuesday."} for i in range(n)]


def test_count_records_of_each_format(tmp_path: Path) -> None:
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows(5)) + json.dumps(rows(1)[0]))
    gz = tmp_path / "b.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in rows(4)))
    csv = tmp_path / "c.csv"
    csv.write_text('id,headline,body\n1,"two\nlines",x\n2,b,y\n', encoding="utf-8")
    assert count_records(resolve_inputs(str(jsonl))) == 6  # the last line has no newline
    assert count_records(resolve_inputs(str(gz))) == 4
    assert count_records(resolve_inputs(str(csv))) == 2  # a quoted newline is one record
    assert count_records(resolve_inputs(str(tmp_path))) == 12
    assert count_records(resolve_inputs("-")) is None
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows(7)), tmp_path / "d.parquet")
    assert count_records(resolve_inputs(str(tmp_path / "d.parquet"))) == 7


def test_score_shows_the_total_and_the_percentage(tmp_path: Path, scorer: Scorer) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows(30)), encoding="utf-8")
    terminal = Terminal()
    stats = score_stream(str(src), str(tmp_path / "out.jsonl"), model_path=Path(),
                         scorer=scorer, errors=terminal, batch_size=8, explain=False)
    assert stats.scored == 30
    bar = terminal.getvalue()
    assert "30/30" in bar and "100%" in bar, bar
    assert "0/30" in bar  # the total was there from the start
