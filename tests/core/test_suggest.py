"""``hypemeter suggest``: uncertain articles first, no near-duplicates, bad lines reported."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypemeter.training.suggest import pick, uncertainty

from hypemeter.cli import main
from hypemeter.records.results import Article

TEXTS = [
    ("Council approves budget for road repairs", "The council voted 7 to 2 on Tuesday."),
    ("Ferry timetable changes in June", "Boats will leave the harbour every hour."),
    ("Council approves budget for road repairs", "The council voted 7 to 2 on Tuesday!"),
    ("Library opens a new reading room", "The room seats forty and opens at nine."),
    ("Museum extends its opening hours", "Visitors can stay until eight on Fridays."),
]


def test_uncertainty_is_one_at_the_threshold_and_zero_when_sure() -> None:
    np.testing.assert_allclose(uncertainty(np.array([0.5, 0.0, 1.0, 0.75]), 0.5),
                               [1.0, 0.0, 0.0, 0.5])
    np.testing.assert_allclose(uncertainty(np.array([0.2, 1.0, 0.0]), 0.2), [1.0, 0.0, 0.75])


def test_most_uncertain_first_and_near_duplicates_never_both() -> None:
    articles = [Article(h, b) for h, b in TEXTS]
    # 0 and 2 are near-copies, both the most uncertain; 1 is sure on both scores
    scores = np.array([[0.5, 0.1], [0.99, 0.01], [0.52, 0.1], [0.3, 0.1], [0.1, 0.45]])
    picks = pick(articles, scores, n=5)
    order = [p.index for p in picks]
    assert order[0] == 0
    assert 2 not in order  # a near-duplicate of the first pick
    assert order == [0, 4, 3, 1]  # misinformation 0.45 counts under task "both"
    assert picks[0].why()["uncertainty"]["combined"] == 1.0
    only_sens = [p.index for p in pick(articles, scores, n=2, task="sensationalism")]
    assert only_sens == [0, 3]
    assert [p.index for p in pick(articles, scores, n=5)] == order  # deterministic


def test_diversity_prefers_an_article_unlike_the_first_pick() -> None:
    articles = [Article("Council budget vote on road repairs", "The council voted on roads."),
                Article("Council budget vote on road repairs delayed", "The council voted."),
                Article("Choir wins regional contest", "Singers from the valley won.")]
    scores = np.array([[0.5, 0.0], [0.45, 0.0], [0.42, 0.0]])
    assert [p.index for p in pick(articles, scores, n=2, near_duplicate=1.1)] == [0, 2]
    assert [p.index for p in pick(articles, scores, n=2, diversity=0.0,
                                  near_duplicate=1.1)] == [0, 1]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_writes_picks_with_why_and_reports_bad_lines(
    tmp_path: Path, bundle_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [json.dumps({"id": f"a{k}", "headline": h, "body": b, "desk": "city"})
            for k, (h, b) in enumerate(TEXTS)]
    src = _write(tmp_path / "pool.jsonl", [rows[0], "{not json", rows[1], rows[2],
                                            json.dumps({"id": "e", "headline": ""}), *rows[3:]])
    out = tmp_path / "picked.jsonl"
    code = main(["suggest", str(src), "--n", "3", "--output", str(out),
                 "--model", str(bundle_dir)])
    err = capsys.readouterr().err
    assert code == 3
    assert f"{src}:2: invalid JSON" in err and f"{src}:5:" in err
    assert "picked 3 of 5 record(s), skipped 2 bad record(s)" in err
    picked = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [p["suggestion"]["rank"] for p in picked] == [1, 2, 3]
    assert all(p["desk"] == "city" for p in picked)  # the input's own fields are kept
    assert {"a0", "a2"} - {p["id"] for p in picked}  # never both near-copies
    combined = [p["suggestion"]["uncertainty"]["combined"] for p in picked]
    assert combined[0] == max(combined)
    assert picked[0]["input"]["file"] == str(src)
    again = tmp_path / "again.jsonl"
    main(["suggest", str(src), "--n", "3", "--output", str(again), "--model", str(bundle_dir)])
    assert again.read_bytes() == out.read_bytes()


def test_cli_reads_csv_and_fails_cleanly_on_a_missing_output_folder(
    tmp_path: Path, bundle_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "pool.csv"
    src.write_text("id,headline,body\n" + "".join(f'{k},"{h}","{b}"\n'
                                                 for k, (h, b) in enumerate(TEXTS)))
    out = tmp_path / "picked.jsonl"
    assert main(["suggest", str(src), "--n", "10", "--output", str(out),
                 "--model", str(bundle_dir)]) == 0
    assert len(out.read_text().splitlines()) == 4  # five rows, one near-copy
    code = main(["suggest", str(src), "--output", str(tmp_path / "nowhere" / "x.jsonl"),
                 "--model", str(bundle_dir)])
    assert code == 2 and "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()
    assert main(["suggest", str(tmp_path / "missing.jsonl"), "--model", str(bundle_dir)]) == 2
