"""The short views of the training articles (issue 22 item 4): which ones join training. No
headline view by default (a sensationalism article's label describes the article, often its
outlet, not the headline alone; the misinformation ones cost full articles ROC-AUC), and the
project's reports about groups teach sensationalism only (issue 23)."""

from __future__ import annotations

from pathlib import Path

from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.identity_reports import is_identity_report
from hypemeter.training.recipe import Recipe, recipe_records, training_data
from hypemeter.training.views import VIEW_KINDS, short_views

from hypemeter.records.results import Record


def _article(task: str, label: int) -> Record:
    return Record(f"{task}-1", "Senate passes the farm bill",
                  "The Senate passed the farm bill on Tuesday. It now goes to the House for a "
                  "vote next week, aides said.", task, label, "outlet", "g1", "corpus")


def test_headline_views_only_for_the_tasks_asked() -> None:
    sens, mis = _article("sensationalism", 1), _article("misinformation", 1)
    kinds = {(v.task, v.kind) for v in short_views([sens, mis], ("misinformation",))}
    assert ("sensationalism", "headline_only") not in kinds
    assert ("misinformation", "headline_only") in kinds
    assert {("sensationalism", "body_only"), ("sensationalism", "first_sentence")} <= kinds
    every = {(v.task, v.kind) for v in short_views([sens, mis])}  # validation: all of them
    assert ("sensationalism", "headline_only") in every


def test_the_default_recipe_gives_no_sensational_article_headline_to_a_headline_learner(
) -> None:
    records, _ = load_corpora(Path("."), [], include_sample=True)
    data, _ = training_data(Recipe(), records, seed=0)
    views = [r for r in data.records if r.kind in VIEW_KINDS]
    assert views and not any(r.kind == "headline_only" and r.task == "sensationalism"
                             for r in views)
    for key in ("headline", "loaded_head"):
        s = data.sets[key]
        taught = [data.records[i] for i in s.idx]
        assert not any(r.kind == "headline_only" and r.task == "sensationalism"
                       for r in taught), key
    # the stackers' held-out headlines too
    stacker = [data.records[i] for i in data.score_sets[0].idx]
    assert not any(r.kind == "headline_only" for r in stacker)
    assert Recipe().headline_views == ()
    assert not any(r.kind == "headline_only" for r in views)


def test_the_reports_about_groups_teach_sensationalism_only() -> None:
    records, _ = load_corpora(Path("."), [], include_sample=True)
    reports = [r for r in records if is_identity_report(r)]
    assert {r.task for r in reports} == {"sensationalism", "misinformation"}
    kept = recipe_records(Recipe(), records)
    assert {r.task for r in kept if is_identity_report(r)} == {"sensationalism"}
    assert len(kept) == len(records) - len(reports) // 2
    data, _ = training_data(Recipe(), records, seed=0)
    assert not any(is_identity_report(r) and r.task == "misinformation" for r in data.records)
