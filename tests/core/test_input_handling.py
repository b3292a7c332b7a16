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


# --- decoding -----------------------------------------------------------------------------

BOM = b"\xef\xbb\xbf"


def test_bom_is_dropped_from_csv_and_jsonl(tmp_path: Path, bundle_dir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.csv").write_bytes(BOM + b"headline,id\nSHOCKING horror,c1\n")
    (tmp_path / "b.jsonl").write_bytes(BOM + json.dumps({**GOOD, "id": "j1"}).encode() + b"\n")
    code, err = score([str(tmp_path / "a.csv"), "-o", str(tmp_path / "a.out.jsonl")],
                      bundle_dir, capsys)
    assert code == 0, err
    assert ids(tmp_path / "a.out.jsonl") == ["c1"]  # the headline was read, not ignored
    code, err = score([str(tmp_path / "b.jsonl"), "-o", str(tmp_path / "b.out.jsonl")],
                      bundle_dir, capsys)
    assert code == 0, err
    assert ids(tmp_path / "b.out.jsonl") == ["j1"]


def test_bom_is_dropped_from_stdin(tmp_path: Path, bundle_dir: Path,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    import io

    data = BOM + json.dumps(GOOD).encode() + b"\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code, err = score(["-", "-o", str(tmp_path / "out.jsonl")], bundle_dir, capsys)
    assert code == 0, err
    assert ids(tmp_path / "out.jsonl") == ["good"]


def test_evaluate_reads_a_csv_with_a_bom(tmp_path: Path, bundle_dir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f"{i % 2},Headline {i} SHOCKING,body {i}\n" for i in range(6))
    (tmp_path / "ev.csv").write_bytes(BOM + f"label,headline,body\n{rows}".encode())
    code = main(["evaluate", "--data", str(tmp_path / "ev.csv"), "--model", str(bundle_dir),
                 "--out", str(tmp_path / "rep"), "-q"])
    assert code == 0, capsys.readouterr().err
    metrics = json.loads((tmp_path / "rep" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["binary"]["n"] == 6


def test_invalid_utf8_is_reported_per_line_not_replaced(
        tmp_path: Path, bundle_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.jsonl").write_bytes(json.dumps(GOOD).encode() + b"\n"
                                       + b'{"id": "l1", "headline": "caf\xe9"}\n'
                                       + json.dumps({**GOOD, "id": "g3"}).encode() + b"\n")
    (tmp_path / "b.csv").write_bytes(b"id,headline\nc1,fine text\nc2,caf\xe9 news\nc3,more\n")
    out = tmp_path / "out.jsonl"
    code, err = score([str(tmp_path / "[ab].*"), "-o", str(out)], bundle_dir, capsys)
    assert code == 3, err
    assert f"{tmp_path / 'a.jsonl'}:2: not valid UTF-8 (byte 0xe9 at character 30)" in err
    assert f"{tmp_path / 'b.csv'}:3: not valid UTF-8 (byte 0xe9 at character 4)" in err
    assert ids(out) == ["good", "g3", "c1", "c3"]


# --- CSV ----------------------------------------------------------------------------------


def test_csv_unterminated_quote_costs_one_record(tmp_path: Path, bundle_dir: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "q.csv"
    src.write_text('id,headline\nc1,fine\nc2,"quoted" trailing\nc3,"multi\nline"\n'
                   'c4,"never closed\nc5,SHOCKING\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, err = score([str(src), "-o", str(out)], bundle_dir, capsys)
    assert code == 3, err
    assert f"{src}:3: malformed CSV: ',' expected after '\"'" in err
    assert (f"{src}:6: malformed CSV: unexpected end of data (a quoted field is never closed)"
            in err)
    assert ids(out) == ["c1", "c3", "c5"]


def test_csv_rows_with_too_few_or_too_many_fields_are_rejected(
        tmp_path: Path, bundle_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "s.csv"
    src.write_text("id,headline,body\nc1,SHOCKING\nc2,Calm,Body\n\nc3,a,b,c\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, err = score([str(src), "-o", str(out)], bundle_dir, capsys)
    assert code == 3, err
    assert f"{src}:2: 2 fields, header has 3" in err
    assert f"{src}:5: 4 fields, header has 3" in err
    assert ids(out) == ["c2"]


# --- evaluate -----------------------------------------------------------------------------


def test_evaluate_skips_bad_text_and_out_of_range_targets(
        tmp_path: Path, bundle_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows: list[Any] = [{"id": f"r{i}", "headline": f"Headline {i} SHOCKING" * (i % 2),
                        "body": f"plain body {i}", "label": i % 2, "truth_mean": 0.5}
                       for i in range(6)]
    rows[1]["truth_mean"] = 1.5
    rows.append('{"id": "sur", "headline": "x \\ud800", "label": 1}')
    src = jsonl(tmp_path / "ev.jsonl", rows)
    code = main(["evaluate", "--data", str(src), "--model", str(bundle_dir),
                 "--out", str(tmp_path / "rep"), "-q"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert f"{src}:7: field 'headline' is not valid Unicode (lone surrogate at 2)" in err
    assert f"{src}:2: graded target truth_mean=1.5 is not a number in [0, 1]; ignored" in err
    assert "Spearman n/a" in err and "nan" not in err  # every usable target is 0.5
    metrics = json.loads((tmp_path / "rep" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["binary"]["n"] == 6


def test_evaluate_isolates_a_record_the_model_cannot_score(scorer: Any) -> None:
    from hypemeter.training.evaluate import Row, score_rows

    from hypemeter.records.results import Article

    rows = [Row(f"f.jsonl:{i}", Article(text, "body"), 1, {}, None, "f.jsonl", i)
            for i, text in enumerate(["fine", "x \ud800", "also fine"], start=1)]
    out = list(score_rows(scorer, rows, explain=False))
    bad = [str(o) for o in out if not isinstance(o, tuple)]
    assert len(bad) == 1 and bad[0].startswith("f.jsonl:2: cannot score: UnicodeEncodeError")
    assert [o[0].lineno for o in out if isinstance(o, tuple)] == [1, 3]


# --- output over input ----------------------------------------------------------------------


def test_output_that_is_an_input_is_refused(tmp_path: Path, bundle_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    src = jsonl(tmp_path / "same.jsonl", [GOOD])
    before = src.read_bytes()
    (tmp_path / "link.jsonl").symlink_to(src)
    for out in (src, tmp_path / "link.jsonl", tmp_path / "." / "same.jsonl"):
        code, err = score([str(src), "-o", str(out)], bundle_dir, capsys)
        assert code == 2
        assert f"error: output {out} is the input {src}" in err
        assert src.read_bytes() == before


def test_output_directory_holding_inputs_is_refused(tmp_path: Path, bundle_dir: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "d2"
    d.mkdir()
    jsonl(d / "a.jsonl", [GOOD])
    code, err = score([str(d), "-o", f"{d}/"], bundle_dir, capsys)
    assert code == 2
    assert f"error: output directory {d}/ holds input {d / 'a.jsonl'}" in err
    assert sorted(p.name for p in d.iterdir()) == ["a.jsonl"]
    code, err = score([str(d), "-o", f"{d}/out/"], bundle_dir, capsys)  # a subfolder is fine
    assert code == 0, err
    assert ids(d / "out" / "part-00000.jsonl") == ["good"]


# --- command-line arguments ---------------------------------------------------------------


def test_negative_max_spans_is_an_argument_error(tmp_path: Path, bundle_dir: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    src = jsonl(tmp_path / "in.jsonl", [GOOD])
    with pytest.raises(SystemExit) as exc:
        main(["score", str(src), "--model", str(bundle_dir), "--max-spans=-1"])
    assert exc.value.code == 2
    assert "--max-spans: must be 0 or more, not -1" in capsys.readouterr().err


def test_train_data_dir_defaults_to_the_environment(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-such-corpora"
    monkeypatch.setenv("HYPEMETER_DATA_DIR", str(missing))
    assert main(["train", "--out", str(tmp_path / "models")]) == 2
    err = capsys.readouterr().err
    assert f"data dir {missing} (the default data dir" in err and "does not exist" in err
    assert main(["train", "--data-dir", str(missing), "--out", str(tmp_path / "m")]) == 2
    assert f"data dir {missing} (--data-dir) does not exist" in capsys.readouterr().err
    assert not (tmp_path / "models").exists()
