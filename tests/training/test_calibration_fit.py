"""Fitting with calibration: leave-one-corpus-out refits on the shared design, the maps the
model scores with, and the card's entry (slow: real fits on the project's sample corpus,
split into three corpora)."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import pytest
from hypemeter.training.calibration_report import calibration_card
from hypemeter.training.corpora.registry import SAMPLE_PATH, load_corpora
from hypemeter.training.recipe import Recipe, training_data
from hypemeter.training.stacking import fit_calibrated
from scipy.special import expit

from hypemeter.analysis.features import vader_valence
from hypemeter.analysis.lexicon import PhraseLexicon
from hypemeter.records.results import Article, Record
from hypemeter.scoring.fitting import Design, TrainingData
from hypemeter.scoring.model import HypeModel

pytestmark = pytest.mark.slow


def _three_corpora() -> list[Record]:
    records, _ = load_corpora(SAMPLE_PATH.parent, [], include_sample=True)
    def name(r: Record) -> str:
        return "abc"[hashlib.sha256(r.group.encode()).digest()[0] % 3]
    return [dataclasses.replace(r, corpus=f"part_{name(r)}") for r in records]


def test_a_calibrated_fit_scores_through_its_maps_and_describes_them() -> None:
    records = _three_corpora()
    model, loco, problem = fit_calibrated(records, meta_headlines=40, explanations=False)
    assert problem is None and loco is not None
    assert model.calibration_ is not None
    assert set(np.unique(loco.corpus)) == {"part_a", "part_b", "part_c"}
    articles = [Article(r.headline, r.body) for r in records[:50]]
    blocks = model._blocks(articles, model.analyze(articles))
    meta_x = model._meta(blocks, model._base_logits(blocks))
    z = model._stacker_logits(meta_x)
    got = model.predict_scores(articles)
    np.testing.assert_allclose(got, model.calibration_(z, meta_x[:, 7] > 0))
    assert not np.allclose(got, expit(z))
    # the reference prevalence moves misinformation_risk down from the stackers' even classes
    assert np.median(got[:, 1]) < np.median(expit(z[:, 1]))
    card = calibration_card(model, loco)
    json.dumps(card)
    assert card["fitted_on"] == "leave-one-corpus-out"
    assert card["reference_prevalence"]["misinformation_risk"] == 0.1
    assert set(card["leave_one_corpus_out"]["sensationalism"]["corpora"]) <= {
        "part_a", "part_b", "part_c"}


def test_a_held_out_corpus_is_scored_by_learners_that_never_saw_it() -> None:
    from hypemeter.training.loco import loco_predictions, stacker_logits

    records = _three_corpora()
    valence = dict(vader_valence())
    data, _ = training_data(Recipe(meta_headlines=40), records, 0)
    designs: list[Design] = []
    model = HypeModel().fit(data, lexicon=PhraseLexicon().fit(records, valence),
                            valence=valence,
                            calibration=lambda m, d: designs.append(d))  # type: ignore[func-returns-value]
    assert model.calibration_ is None
    design = designs[0]
    loco = loco_predictions(model, design, quick=False)
    keep = np.array([r.corpus != "part_a" for r in data.records])
    # refit without part_a by hand, every learner anew: the same logits as the held-out
    # predictions
    from hypemeter.scoring.fitting import subset

    fold = model.refit_learners(TrainingData(
        data.articles, data.records, {k: subset(s, keep[s.idx]) for k, s in data.sets.items()},
        (subset(data.score_sets[0], keep[data.score_sets[0].idx]),
         subset(data.score_sets[1], keep[data.score_sets[1].idx])),
        data.stacker_weights), design, quick=False)
    rows = np.flatnonzero(~keep & np.array([r.kind not in ("pseudo_headline", "sentence")
                                            and r.label is not None
                                            and r.task in ("sensationalism", "misinformation")
                                            for r in data.records]))
    z, _ = stacker_logits(fold, design.blocks, rows)
    np.testing.assert_allclose(loco.z[loco.corpus == "part_a"], z)


def test_one_corpus_trains_without_calibration_and_says_why() -> None:
    records, _ = load_corpora(SAMPLE_PATH.parent, [], include_sample=True)
    model, loco, problem = fit_calibrated(records, meta_headlines=40, explanations=False)
    assert model.calibration_ is None and loco is None and problem
    card = calibration_card(model, None, problem)
    assert card["reference_prevalence"] is None and card["note"]
