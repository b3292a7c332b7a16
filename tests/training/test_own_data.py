"""Retraining on a user's own labelled file (``hypemeter train --own-data FILE``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypemeter.training.corpora.registry import load_corpora

from hypemeter.cli import build_parser
from hypemeter.records.results import NOT_LOADED, GoldSpan


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


# ---------------------------------------------------------------- single labels, span verdicts

HEAD = "Residents furious as council shuts harbour baths"
BODY = "The baths close on Friday. Officials said repairs would take a year."


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def _load(path: Path):
    records, reports = load_corpora(path.parent / "no-corpora", names=[], include_sample=False,
                                    own_files=[path], catalog={})
    return records, reports[0]


def test_one_label_is_enough_and_trains_only_its_task(tmp_path: Path) -> None:
    own = _write(tmp_path / "fb.jsonl", [
        {"id": "a", "headline": HEAD, "body": BODY, "sensational": 1},
        {"id": "b", "headline": "Tax office opens new branch", "body": "", "misinformation": 0},
    ])
    records, report = _load(own)
    assert sorted((r.id, r.task, r.label) for r in records) == [
        ("own:fb:a:sensationalism", "sensationalism", 1),
        ("own:fb:b:misinformation", "misinformation", 0),
    ]
    assert report.count() == 0


def test_a_line_without_label_or_verdict_is_reported_and_skipped(tmp_path: Path) -> None:
    own = _write(tmp_path / "fb.jsonl", [
        {"id": "a", "headline": HEAD, "body": BODY, "sensational": 0},
        {"id": "b", "headline": HEAD, "body": "Another text.", "note": "looks fine"},
        {"id": "c", "headline": HEAD, "body": "Third text.", "sensational": None, "spans": []},
    ])
    records, report = _load(own)
    assert [r.id for r in records] == ["own:fb:a:sensationalism"]
    assert [(i.file, i.line) for i in report.issues] == [("own:fb/fb.jsonl", 2),
                                                          ("own:fb/fb.jsonl", 3)]
    assert all(i.category == "no label" for i in report.issues)
    assert "own:fb/fb.jsonl:2" in str(report.issues[0])


def test_span_verdicts_become_gold_spans_with_their_category(tmp_path: Path) -> None:
    own = _write(tmp_path / "fb.jsonl", [{
        "id": "a", "headline": HEAD, "body": BODY,
        "spans": [{"field": "headline", "start": 10, "end": 17, "verdict": "loaded",
                   "category": "fear_appeal"},
                  {"field": "body", "start": 10, "end": 15, "verdict": "not_loaded"}],
    }])
    (record,), report = _load(own)
    assert report.count() == 0
    # no label: a record the article-level learners skip, carrying the spans for the lexicon
    assert (record.task, record.label) == ("sensationalism", None)
    assert record.spans == [
        GoldSpan("body", 10, 15, NOT_LOADED, None),
        GoldSpan("headline", 10, 17, "Appeal_to_fear-prejudice", "fear_appeal"),
    ]
    assert HEAD[10:17] == "furious" and BODY[10:15] == "close"


def test_bad_offsets_are_reported_by_line_and_only_that_span_skipped(tmp_path: Path) -> None:
    spans = [
        {"field": "headline", "start": 0, "end": 200, "verdict": "loaded"},   # past the end
        {"field": "headline", "start": 5, "end": 5, "verdict": "loaded"},     # empty
        {"field": "body", "start": 3, "end": 4, "verdict": "loaded"},         # a space
        {"field": "title", "start": 0, "end": 3, "verdict": "loaded"},        # unknown field
        {"field": "body", "start": 0, "end": 3, "verdict": "maybe"},          # unknown verdict
        {"field": "body", "start": 0, "end": 3, "verdict": "loaded", "category": "rude"},
        {"field": "body", "start": 0, "end": 3, "verdict": "loaded", "text": "Tha"},  # mismatch
        {"field": "body", "start": True, "end": 3, "verdict": "loaded"},      # not an int
        {"field": "headline", "start": 0, "end": 9, "verdict": "loaded"},     # the good one
    ]
    own = _write(tmp_path / "fb.jsonl", [
        {"id": "ok", "headline": "Tax office opens", "body": "", "sensational": 0},
        {"id": "a", "headline": HEAD, "body": BODY, "sensational": 1, "spans": spans},
    ])
    records, report = _load(own)
    (rec,) = [r for r in records if r.id.startswith("own:fb:a")]
    assert rec.spans == [GoldSpan("headline", 0, 9, "Loaded_Language", None)]
    assert [i.line for i in report.issues] == [2] * 8
    assert all(i.category == "bad span" for i in report.issues)


def test_the_latest_correction_of_a_text_wins_per_label_and_span(tmp_path: Path) -> None:
    span = {"field": "headline", "start": 10, "end": 17}
    own = _write(tmp_path / "fb.jsonl", [
        # line 1, the newest by created_at: sensational 1
        {"id": "x", "headline": HEAD, "body": BODY, "sensational": 1,
         "created_at": "2026-11-30T10:00:00Z", "spans": [{**span, "verdict": "loaded"}]},
        # line 2, older: its sensational 0 loses, its misinformation 0 is the only one
        {"id": "x", "headline": HEAD, "body": BODY, "sensational": 0, "misinformation": 0,
         "created_at": "2026-11-29T10:00:00+00:00", "spans": [{**span, "verdict": "not_loaded"}]},
        # lines 3 and 4 without created_at: the later line wins
        {"id": "y", "headline": "Storm warning", "body": "", "sensational": 1},
        {"id": "y", "headline": "Storm warning", "body": "", "sensational": 0},
    ])
    records, report = _load(own)
    got = {(r.id, r.label) for r in records}
    assert got == {("own:fb:x:sensationalism", 1), ("own:fb:x:misinformation", 0),
                   ("own:fb:y:sensationalism", 0)}
    (x,) = [r for r in records if r.id == "own:fb:x:sensationalism"]
    assert [s.technique for s in x.spans] == ["Loaded_Language"]
    assert report.meta["texts"] == 2
    assert report.meta["created_at"] == {"first": "2026-11-29T10:00:00+00:00",
                                         "last": "2026-11-30T10:00:00+00:00"}
    assert report.meta["superseded"] == 1  # y's label; x's older values never won
    assert report.meta["labels"]["sensationalism"] == {"0": 1, "1": 1}
    assert report.count() == 0


def test_not_loaded_verdicts_take_a_phrase_out_of_the_lexicon(tmp_path: Path) -> None:
    from hypemeter.training.corpora.registry import SAMPLE_PATH

    from hypemeter.analysis.features import vader_valence
    from hypemeter.analysis.lexicon import PhraseLexicon

    sample, _ = load_corpora(tmp_path, names=[], include_sample=True, sample_path=SAMPLE_PATH,
                             catalog={})
    valence = dict(vader_valence())
    base = PhraseLexicon().fit(sample, valence)
    assert ("act", "now") in base.phrases_  # a seed urgency phrase
    head = "Act now, says the council: apply for the grant by Friday"
    text = "Council urges residents to pay the parking levy"
    own = _write(tmp_path / "fb.jsonl", [
        {"id": "1", "headline": head, "body": "",
         "spans": [{"field": "headline", "start": 0, "end": 7, "verdict": "not_loaded"}]},
        {"id": "2", "headline": text, "body": "",
         "spans": [{"field": "headline", "start": 35, "end": 47, "verdict": "loaded",
                    "category": "urgency"}]},
    ])
    own_records, _ = _load(own)
    fitted = PhraseLexicon().fit([*sample, *own_records], valence)
    assert ("act", "now") not in fitted.phrases_
    assert fitted.phrases_[("parking", "levy")] == ("urgency", 0.6)
    fitted.add_phrases({("act", "now"): ("clickbait", 0.5)})  # never added back
    assert ("act", "now") not in fitted.phrases_


def test_a_text_with_only_not_loaded_verdicts_teaches_only_those_words(tmp_path: Path) -> None:
    """The token model's examples from such a text are the rejected words alone: rejecting
    "Act now" adds two negatives, rejecting "Act" one (all twelve words would add 12 each)."""
    from hypemeter.training.corpora.registry import SAMPLE_PATH

    from hypemeter.analysis.features import vader_valence
    from hypemeter.analysis.lexicon import PhraseLexicon

    sample, _ = load_corpora(tmp_path, names=[], include_sample=True, sample_path=SAMPLE_PATH,
                             catalog={})
    valence = dict(vader_valence())
    head = "Act now, says the council: apply for the grant by Friday"
    rates = [PhraseLexicon().fit(sample, valence).base_rate_]
    for end in (7, 3):
        own = _write(tmp_path / f"fb{end}.jsonl", [{"id": "1", "headline": head, "body": "",
            "spans": [{"field": "headline", "start": 0, "end": end, "verdict": "not_loaded"}]}])
        rates.append(PhraseLexicon().fit([*sample, *_load(own)[0]], valence).base_rate_)
    # base rate = positives / examples: 1/rate grows by (added examples) / positives
    added = [1 / r - 1 / rates[0] for r in rates[1:]]
    assert added[0] / added[1] == pytest.approx(2.0)


@pytest.mark.slow
def test_card_lists_each_own_corpus_with_dates_and_its_own_validation(tmp_path: Path) -> None:
    """Single-label corrections train with the sample corpus; the card counts them, gives
    their date range and the validation model's figures on their held-out texts."""
    from hypemeter.training.train import train_bundle

    rows = []
    for k in range(60):
        loud = k % 2
        head = (f"Furious locals slam shocking plan number {k}" if loud
                else f"Council publishes plan number {k} for consultation")
        label = {"sensational": loud} if k % 3 else {"misinformation": 0}
        rows.append({"id": f"f{k}", "headline": head, "body": f"Item {k}. The plan was shown.",
                     **label, "created_at": f"2026-11-{1 + k % 28:02d}T09:00:00Z"})
    own = _write(tmp_path / "feedback.jsonl", rows)
    bundle = train_bundle(tmp_path / "none", tmp_path / "models", corpora=[],
                          include_sample=True, own_files=[own], version="fb",
                          publish=False, log=lambda _m: None)
    card = json.loads((bundle / "card.json").read_text())
    (entry,) = card["own_data"]
    assert entry["name"] == "own:feedback"
    assert entry["texts"] == 60 and entry["records"] == 60
    assert entry["labels"]["sensationalism"] == {"0": 20, "1": 20}
    assert entry["labels"]["misinformation"] == {"0": 20, "1": 0}
    assert entry["created_at"] == {"first": "2026-11-01T09:00:00+00:00",
                                   "last": "2026-11-28T09:00:00+00:00"}
    # no source: texts are split by bucket, so some are held out and measured
    assert 0 < entry["held_out_records"] < 60
    sens = entry["validation"]["sensationalism/articles"]
    assert 0 < sens["n"] <= entry["held_out_records"]
    assert "roc_auc" in sens


def test_own_weight_weighs_own_records_per_record_not_as_a_balanced_corpus() -> None:
    import numpy as np
    from hypemeter.training.recipe import TrainSet, balance

    from hypemeter.records.results import Record

    corpora = ["a"] * 10 + ["b"] * 30 + ["own:fb"] * 5
    records = [Record(str(i), "Head", "Body text", "sensationalism", i % 2, "s", f"g{i}", c)
               for i, c in enumerate(corpora)]
    s = TrainSet(np.arange(45), np.zeros(45), np.ones(45), np.array([r.group for r in records]))
    kinds = np.array(corpora)
    totals = lambda w: {c: round(float(w[kinds == c].sum()), 6) for c in ("a", "b", "own:fb")}  # noqa: E731
    assert totals(balance(s, records)) == {"a": 15.0, "b": 15.0, "own:fb": 15.0}
    s.w[40:] *= 3.0  # Recipe(own_weight=3) does this before balancing
    assert totals(balance(s, records, keep_own=True)) == {"a": 20.0, "b": 20.0, "own:fb": 15.0}
