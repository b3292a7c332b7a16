"""The CLI under hostile input: lines JSON cannot take, records over the field limit, lines
too long to hold in memory. Each bad line is reported with file and line and skipped (exit 3);
the good records around it are scored."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hypemeter.cli import main
from hypemeter.records.io import LongLine, bounded_lines, iter_jsonl, max_line_chars, parse_json

GOOD_A = {"id": "a", "headline": "Council approves budget for road repairs"}
GOOD_B = {"id": "b", "headline": "SHOCKING news", "body": "Act now."}
DEEP = "[" * 100_000 + "]" * 100_000
HUGE_INT = '{"id": "n", "headline": ' + "9" * 5000 + "}"


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def run_score(args: list[str], bundle_dir: Path, capsys: pytest.CaptureFixture[str]
              ) -> tuple[int, str, str]:
    code = main(["score", *args, "--model", str(bundle_dir), "--no-explain", "-q"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- JSON that json.loads cannot take ------------------------------------------------------


def test_parse_json_names_each_problem() -> None:
    assert parse_json('{"a": 1}') == ({"a": 1}, None)
    assert parse_json("{")[1] == "invalid JSON: Expecting property name enclosed in double " \
        "quotes at column 2"
    assert parse_json(DEEP)[1].startswith("JSON nested too deeply")
    assert parse_json(HUGE_INT)[1] == \
        "JSON number too long (an integer of more than 4,300 digits)"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_deep_nesting_and_huge_integers_are_bad_lines_not_crashes(
        tmp_path: Path, bundle_dir: Path, capsys: pytest.CaptureFixture[str], jobs: str) -> None:
    src = write_lines(tmp_path / "in.jsonl", [json.dumps(GOOD_A), DEEP, HUGE_INT,
                                              '{"id": "d", "body": ' + "[" * 5000 + "]" * 5000
                                              + "}", json.dumps(GOOD_B)])
    out = tmp_path / "out.jsonl"
    code, _, err = run_score([str(src), "-o", str(out), "--jobs", jobs], bundle_dir, capsys)
    assert code == 3, err
    assert f"skipped record {src}:2: JSON nested too deeply" in err
    assert f"skipped record {src}:3: JSON number too long (an integer of more than 4,300 " \
        "digits)" in err
    assert f"skipped record {src}:4: JSON nested too deeply" in err
    assert "Traceback" not in err
    assert ids(out) == ["a", "b"]


def test_evaluate_skips_the_same_lines(tmp_path: Path, bundle_dir: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    rows = [json.dumps({**GOOD_A, "id": f"g{i}", "label": i % 2}) for i in range(6)]
    src = write_lines(tmp_path / "labelled.jsonl", [*rows[:3], DEEP, HUGE_INT, *rows[3:]])
    code = main(["evaluate", "--data", str(src), "--model", str(bundle_dir), "--out",
                 str(tmp_path / "report"), "-q"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert f"skipped {src}:4: JSON nested too deeply" in err
    assert f"skipped {src}:5: JSON number too long" in err
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    assert metrics["binary"]["n"] == 6 and metrics["meta"]["skipped"] == 2


# --- the field limit (HYPEMETER_MAX_FIELD_CHARS, as in the API) -----------------------------


def test_field_limit_comes_from_the_api_setting(tmp_path: Path, bundle_dir: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPEMETER_MAX_FIELD_CHARS", "100")
    src = write_lines(tmp_path / "in.jsonl", [
        json.dumps(GOOD_A),
        json.dumps({"id": "at-limit", "body": "w" * 100}),
        json.dumps({"id": "over", "body": "w" * 101}),
        json.dumps({"id": "over-h", "headline": "é" * 150}),
        json.dumps(GOOD_B),
    ])
    out = tmp_path / "out.jsonl"
    code, _, err = run_score([str(src), "-o", str(out)], bundle_dir, capsys)
    assert code == 3, err
    assert f"skipped record {src}:3: field 'body' has 101 characters; the limit is 100 " \
        "(HYPEMETER_MAX_FIELD_CHARS)" in err
    assert f"skipped record {src}:4: field 'headline' has 150 characters; the limit is 100 " \
        "(HYPEMETER_MAX_FIELD_CHARS)" in err
    assert ids(out) == ["a", "at-limit", "b"]


def test_field_limit_applies_to_csv(tmp_path: Path, bundle_dir: Path,
                                    capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPEMETER_MAX_FIELD_CHARS", "50")
    src = tmp_path / "in.csv"
    src.write_text('id,headline,body\na,Council meets,The vote is Tuesday.\n'
                   f'long,x,"{"y" * 60}"\n'
                   f'huge,x,"{"z" * 1_300_000}"\n'
                   'b,SHOCKING news,Act now.\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _, err = run_score([str(src), "-o", str(out)], bundle_dir, capsys)
    assert code == 3, err
    assert f"skipped record {src}:3: field 'body' has 60 characters; the limit is 50" in err
    assert f"skipped record {src}:4: line of 1,300,010 characters is longer than any record " \
        "within the field limit of 50 characters (HYPEMETER_MAX_FIELD_CHARS) can be" in err
    assert ids(out) == ["a", "b"]


def test_an_invalid_limit_setting_is_a_clear_error(tmp_path: Path, bundle_dir: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPEMETER_MAX_FIELD_CHARS", "lots")
    src = write_lines(tmp_path / "in.jsonl", [json.dumps(GOOD_A)])
    code, out, err = run_score([str(src)], bundle_dir, capsys)
    assert code == 2 and out == ""
    assert "hypemeter score: error: invalid setting: HYPEMETER_MAX_FIELD_CHARS:" in err


# --- lines too long to hold in memory --------------------------------------------------------


class Recording(io.StringIO):
    """A stream that remembers the longest piece it handed out."""

    longest = 0

    def readline(self, size: int | None = -1, /) -> str:  # type: ignore[override]
        piece = super().readline(size)
        self.longest = max(self.longest, len(piece))
        return piece


def test_a_long_line_is_dropped_in_blocks_never_held_whole() -> None:
    limit = 1000
    text = "first\n" + "x" * 5_000_000 + "\nlast"
    stream = Recording(text)
    lines = list(bounded_lines(stream, limit))
    assert lines == ["first\n", LongLine(5_000_001, limit), "last"]
    assert stream.longest <= 1 << 20  # never more than one block of the long line at once
    exact = list(bounded_lines(io.StringIO("y" * limit + "\n" + "z" * limit), limit))
    assert exact == ["y" * limit + "\n", "z" * limit]


def test_line_limit_leaves_room_for_any_record_within_the_field_limit() -> None:
    limit = 10
    widest = json.dumps({"id": "x" * limit, "headline": "\U0001F600" * limit,
                         "body": "\U0001F600" * limit, "label": 1})
    line_limit = max_line_chars(limit)
    assert line_limit is not None and len(widest) < line_limit
    recs = list(iter_jsonl(io.StringIO(widest + "\n"), "s", limit))
    assert [type(r).__name__ for r in recs] == ["InputRecord"]
    assert max_line_chars(None) is None


def test_a_50_mb_line_is_one_bad_record(tmp_path: Path, bundle_dir: Path,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPEMETER_MAX_FIELD_CHARS", "1000")
    src = tmp_path / "big.jsonl"
    with src.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(GOOD_A) + "\n")
        fh.write('{"id": "big", "body": "' + "word " * 10_000_000 + '"}\n')
        fh.write(json.dumps(GOOD_B) + "\n")
    out = tmp_path / "out.jsonl"
    code, _, err = run_score([str(src), "-o", str(out)], bundle_dir, capsys)
    assert code == 3, err
    assert f"skipped record {src}:2: line of 50,000,026 characters is longer than any record " \
        "within the field limit of 1,000 characters" in err
    assert ids(out) == ["a", "b"]


# --- the other readers: corpora (JSON lines and arrays) and evaluate's gold spans --------------


def test_corpus_readers_report_deep_and_huge_json_as_issues(tmp_path: Path) -> None:
    from hypemeter.training.corpora import load_corpora

    folder = tmp_path / "webis_clickbait17"
    folder.mkdir()
    good = {"click_bait": 1, "post_text": "Nobody expected what the ferry did",
            "truth_mean": 0.7, "text_id": 1}
    write_lines(folder / "train.json", [
        json.dumps(good), DEEP, '{"click_bait": ' + "1" * 5000 + "}",
        json.dumps({**good, "text_id": 2, "post_text": "Ferry timetable announced"})])
    records, reports = load_corpora(tmp_path, ["webis_clickbait17"], include_sample=False,
                                    catalog={})
    issues = [(i.line, i.reason) for i in reports[0].issues]
    assert [line for line, _ in issues] == [2, 3]
    assert issues[0][1].startswith("bad json: JSON nested too deeply")
    assert issues[1][1] == "bad json: JSON number too long (an integer of more than 4,300 digits)"
    assert [r.id for r in records] == ["webis_clickbait17:1", "webis_clickbait17:2"]
    (folder / "train.json").write_text(f'[{json.dumps(good)},\n{DEEP}]', encoding="utf-8")
    records, reports = load_corpora(tmp_path, ["webis_clickbait17"], include_sample=False,
                                    catalog={})
    assert [(i.line, i.reason) for i in reports[0].issues] == [
        (2, "bad json: item 2: nested too deeply; rest of array skipped")]
    assert len(records) == 1


def test_gold_spans_in_json_text_that_json_cannot_take() -> None:
    from hypemeter.training.evaluate import parse_spans

    from hypemeter.records.results import Article

    art = Article(headline="Act now", body="")
    assert parse_spans(DEEP, art).startswith("gold spans: JSON nested too deeply")
    assert parse_spans("[" + "7" * 5000 + "]", art) == \
        "gold spans: JSON number too long (an integer of more than 4,300 digits)"


def test_json_problem_for_bodies_read_as_bytes() -> None:
    from hypemeter.records.io import json_problem

    with pytest.raises(UnicodeDecodeError) as info:
        json.loads(b'{"headline": "caf\xe9"}')
    assert json_problem(info.value) == "not valid UTF-8 (byte 0xe9 at byte 18)"
    with pytest.raises(RecursionError) as deep:
        json.loads(DEEP.encode())
    assert json_problem(deep.value).startswith("JSON nested too deeply")
