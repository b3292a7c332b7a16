"""``hypemeter evaluate`` and the report writer shared with training."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypemeter.training.evaluate import evaluate_file, parse_label, parse_spans
from hypemeter.training.report import write_report, write_validation_report
from support.benchmarks import load_make_articles

from hypemeter.cli import main
from hypemeter.errors import DataError
from hypemeter.records.results import GoldSpan, Record
from hypemeter.scoring.scorer import Scorer

PNG = b"\x89PNG\r\n\x1a\n"


make_articles = load_make_articles()


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 generated articles (label, misinformation, truth_mean, gold spans) + 4 bad rows."""
    path = tmp_path_factory.mktemp("eval") / "labelled.jsonl"
    rows = [json.dumps(r) for r in make_articles.generate(120, seed=21)]
    rows.insert(10, json.dumps({"id": "nolabel", "headline": "A calm headline", "body": "x"}))
    rows.insert(20, json.dumps({"id": "odd", "headline": "Another", "body": "y",
                                "label": "maybe"}))
    rows.insert(30, '{"id": "broken", ')
    rows.insert(40, json.dumps({"id": "badspans", "headline": "Shocking", "body": "",
                                "label": True, "spans": [{"field": "body", "start": 0,
                                                          "end": 4}]}))
    rows.insert(50, json.dumps({"id": "notext", "headline": "", "body": "", "label": 0}))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _metrics(out: Path) -> dict[str, Any]:
    return json.loads((out / "metrics.json").read_text(encoding="utf-8"))


def test_parse_label() -> None:
    for value, want in [(1, 1), (0, 0), (True, 1), (False, 0), ("1", 1), ("0", 0),
                        ("true", 1), (" False ", 0), ("TRUE", 1), (1.0, 1), ("0.0", 0)]:
        assert parse_label(value) == want, value
    for value in (2, -1, 0.5, "yes", "", None, [1], "nan"):
        assert parse_label(value) is None, value


def test_parse_spans() -> None:
    from hypemeter.records.results import Article

    art = Article("Shocking news", "A body of text")
    assert parse_spans([{"field": "headline", "start": 0, "end": 8}], art) == [
        ("headline", 0, 8)]
    assert parse_spans('[{"field": "body", "start": 2, "end": 6}]', art) == [("body", 2, 6)]
    assert parse_spans([], art) == []
    assert "outside the body" in parse_spans([{"field": "body", "start": 0, "end": 99}], art)
    assert "field must be" in parse_spans([{"field": "title", "start": 0, "end": 1}], art)
    assert "integers" in parse_spans([{"field": "body", "start": "0", "end": 1}], art)
    assert "not valid JSON" in parse_spans("[{", art)
    assert "must be a list" in parse_spans({"field": "body"}, art)


def test_evaluate_writes_metrics_figures_and_report(labelled: Path, bundle_dir: Path,
                                                    tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    rc = main(["evaluate", "--data", str(labelled), "--out", str(out),
               "--model", str(bundle_dir)])
    assert rc == 3  # finished, but rows were skipped
    err = capsys.readouterr().err
    assert f"skipped {labelled}:11: missing label field 'label'" in err
    assert f"skipped {labelled}:21: label 'maybe' is not 0/1/true/false" in err
    assert f"skipped {labelled}:31: invalid JSON" in err
    assert f"skipped {labelled}:51: fields 'headline' and 'body' are both empty" in err
    assert f"warning {labelled}:41: gold span 0: [0, 4) is outside the body" in err
    m = _metrics(out)
    b = m["binary"]
    assert b["n"] == 121 and m["meta"]["skipped"] == 4
    card = json.loads((bundle_dir / "card.json").read_text())
    assert b["threshold"] == card["thresholds"]["sensationalism"]
    for key in ("roc_auc", "pr_auc", "f1", "accuracy", "f1_at_best", "accuracy_at_best",
                "best_threshold", "brier", "ece", "precision", "recall"):
        assert isinstance(b[key], float), key
    cm = b["confusion_matrix"]
    assert sum(map(sum, cm)) == 121 and sum(cm[1]) == b["positives"]
    assert m["graded"]["field"] == "truth_mean" and m["graded"]["n"] == 120
    assert set(m["graded"]) >= {"mse", "spearman"}
    assert m["spans"]["documents"] == 2 * 120  # headline + body of each row with gold spans
    assert m["spans"]["gold"] > 0 and 0 <= m["spans"]["f1"] <= 1
    assert len(m["reliability"]) == 10
    for name in ("roc.png", "pr.png", "reliability.png", "score_histogram.png", "graded.png"):
        assert (out / name).read_bytes().startswith(PNG), name
    report = (out / "report.md").read_text()
    for name in ("roc.png", "pr.png", "reliability.png", "score_histogram.png", "graded.png"):
        assert f"]({name})" in report
    assert "ROC-AUC" in report and "Brier" in report and "Confusion matrix" in report


def test_evaluate_other_task_label_and_target_fields(labelled: Path, bundle_dir: Path,
                                                     tmp_path: Path) -> None:
    m = evaluate_file(str(labelled), model_path=bundle_dir, out_dir=tmp_path / "r",
                      task="misinformation", label_field="misinformation",
                      target_field="label", spans_field="none")
    assert m["meta"]["score"] == "misinformation_risk"
    assert m["graded"]["field"] == "label"
    assert "spans" not in m
    # the rows without a 'misinformation' field are the bad ones now
    assert m["binary"]["n"] == 120


def test_evaluate_options_from_the_command_line(labelled: Path, bundle_dir: Path,
                                               tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The README's options, through the CLI: --task, --label-field, --target-field,
    --spans-field, --format, --batch-size, --out, --model."""
    data = tmp_path / "labelled.data"  # no known extension: --format says what it is
    data.write_bytes(labelled.read_bytes())
    out = tmp_path / "cli-report"
    rc = main(["evaluate", "--data", str(data), "--format", "jsonl", "--task",
               "misinformation", "--label-field", "misinformation", "--target-field", "label",
               "--spans-field", "none", "--batch-size", "7", "--out", str(out), "--model",
               str(bundle_dir), "-q"])
    err = capsys.readouterr().err
    assert rc == 3, err  # the rows without a 'misinformation' field are skipped
    assert f"skipped {data}:11: missing label field 'misinformation'" in err
    m = _metrics(out)
    assert m["meta"]["score"] == "misinformation_risk"
    assert m["graded"]["field"] == "label" and "spans" not in m
    assert m["binary"]["n"] == 120
    direct = evaluate_file(str(labelled), model_path=bundle_dir, out_dir=tmp_path / "api",
                           task="misinformation", label_field="misinformation",
                           target_field="label", spans_field="none")
    assert {k: v for k, v in m.items() if k not in ("meta", "title")} == \
        {k: v for k, v in direct.items() if k not in ("meta", "title")}  # options reached it
    assert "evaluated" in err and f"report in {out / 'report.md'}" in err


def test_evaluate_csv_with_spans_as_json_text(bundle_dir: Path, tmp_path: Path) -> None:
    rows = list(make_articles.generate(40, seed=8))
    make_articles.write_rows(rows, tmp_path / "data.csv", "csv")
    m = evaluate_file(str(tmp_path / "data.csv"), model_path=bundle_dir,
                      out_dir=tmp_path / "r")
    assert m["binary"]["n"] == 40 and m["meta"]["skipped"] == 0
    assert m["spans"]["gold"] == sum(len(r["spans"]) for r in rows)


def test_evaluate_one_class_still_reports(bundle_dir: Path, tmp_path: Path) -> None:
    rows = [r for r in make_articles.generate(40, seed=1) if r["label"] == 1][:10]
    make_articles.write_rows(rows, tmp_path / "pos.jsonl", "jsonl")
    m = evaluate_file(str(tmp_path / "pos.jsonl"), model_path=bundle_dir,
                      out_dir=tmp_path / "r")
    assert "roc_auc" not in m["binary"] and m["notes"]
    assert not (tmp_path / "r" / "roc.png").exists()
    assert (tmp_path / "r" / "score_histogram.png").is_file()
    json.loads((tmp_path / "r" / "metrics.json").read_text())  # strict JSON, no NaN


def test_evaluate_without_usable_rows_fails_cleanly(bundle_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "nolabels.jsonl"
    data.write_text('{"id": "a", "headline": "x", "body": "y"}\n')
    with pytest.raises(DataError, match="no usable labelled rows"):
        evaluate_file(str(data), model_path=bundle_dir, out_dir=tmp_path / "r")
    assert main(["evaluate", "--data", str(data), "--out", str(tmp_path / "r"),
                 "--model", str(bundle_dir)]) == 2


def test_write_report_direct(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    p = np.clip(y * 0.6 + rng.normal(0.2, 0.2, 500), 0, 1)
    target = [float(v) if i % 3 else None for i, v in enumerate(p)]
    m = write_report(tmp_path, y, p, threshold=0.4, title="unit test", target=target,
                     span_pairs=[([(0, 5)], [(2, 7)]), ([], [(0, 3)])],
                     meta={"data": "synthetic"})
    assert m["binary"]["threshold"] == 0.4
    assert m["binary"]["roc_auc"] > 0.8
    assert m["graded"]["n"] == sum(t is not None for t in target)
    assert m["spans"] == {"precision": 0.6, "recall": 0.3, "f1": pytest.approx(0.4),
                          "predicted": 1, "gold": 2, "documents": 2}
    assert sorted(m["files"]) == ["graded", "histogram", "metrics", "pr", "reliability",
                                  "report", "roc"]
    on_disk = _metrics(tmp_path)
    assert on_disk["meta"] == {"data": "synthetic"}
    assert sum(b["n"] for b in on_disk["reliability"]) == 500


def test_write_validation_report_for_training(scorer: Scorer, tmp_path: Path) -> None:
    rows = list(make_articles.generate(60, seed=13))
    records = []
    for r in rows:
        for task, label in (("sensationalism", r["label"]),
                            ("misinformation", r["misinformation"])):
            spans = [GoldSpan(s["field"], s["start"], s["end"], "Loaded_Language")
                     for s in r["spans"]] if task == "sensationalism" else []
            records.append(Record(id=f"{r['id']}:{task}", headline=r["headline"],
                                  body=r["body"], task=task, label=label, source="synthetic",
                                  group="g", corpus="synthetic",
                                  target=r["truth_mean"] if task == "sensationalism" else None,
                                  spans=spans))
    entry = write_validation_report(tmp_path / "report", scorer.bundle.model, records,
                                    thresholds={"sensationalism": 0.5,
                                                "misinformation_risk": 0.4},
                                    title="validation test")
    assert entry["index"] == "report/report.md"
    assert {f["task"] for f in entry["figures"]} == {"sensationalism", "misinformation"}
    for fig in entry["figures"]:
        assert (tmp_path / fig["path"]).read_bytes().startswith(PNG)
    combined = _metrics(tmp_path / "report")
    assert combined["tasks"]["misinformation"]["binary"]["threshold"] == 0.4
    assert "spans" in combined["tasks"]["sensationalism"]
    index = (tmp_path / "report" / "report.md").read_text()
    assert "(sensationalism/report.md)" in index and "(misinformation/roc.png)" in index


def test_report_without_the_plots_extra_keeps_every_metric_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """matplotlib is the `plots` extra (the image leaves it out): no figures, same metrics."""
    import sys

    y, p = [0, 1, 0, 1, 1, 0], [0.1, 0.8, 0.4, 0.7, 0.3, 0.2]
    with_plots = write_report(tmp_path / "a", y, p, target=[0.0, 1.0, 0.2, 0.9, 0.5, 0.1])
    assert (tmp_path / "a" / "roc.png").is_file()
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    without = write_report(tmp_path / "b", y, p, target=[0.0, 1.0, 0.2, 0.9, 0.5, 0.1])
    assert not list((tmp_path / "b").glob("*.png"))
    assert set(without["files"]) == {"metrics", "report"}
    assert without["binary"] == with_plots["binary"] and without["graded"] == with_plots["graded"]
    report = (tmp_path / "b" / "report.md").read_text()
    assert "pip install 'hypemeter[plots]'" in report
