"""Text with a body and no headline (a post, a snippet, one sentence) scored by stackers of its
own (``HypeModel(body_stacker=True)``), not by the articles' ones: the articles' stackers stay
fitted on articles alone (issue 23: sharing them with the short views cost full articles
ROC-AUC)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.stacking import fit_model
from scipy.special import expit

from hypemeter.records.results import Article
from hypemeter.scoring.fitting import HAS_BODY, STACKERS
from hypemeter.scoring.model import HypeModel

pytestmark = pytest.mark.slow  # two fits of the sample corpus

TEXTS = [Article("Council approves budget", "The council approved the budget on Tuesday.", "a"),
         Article("", "The council approved the budget on Tuesday.", "b"),
         Article("You won't believe what the council did", "", "c")]


@pytest.fixture(scope="module")
def models() -> tuple[HypeModel, HypeModel]:
    records, _ = load_corpora(Path("."), [], include_sample=True)
    return (fit_model(records, explanations=False, body_stacker=True),
            fit_model(records, explanations=False, body_stacker=False))


def _by_hand(model: HypeModel, kinds: list[str]) -> np.ndarray:
    meta_x = model._meta(model._blocks(TEXTS, model.analyze(TEXTS)),
                         model.base_logits(TEXTS))
    out = np.empty((len(TEXTS), 2))
    for j, (attr, columns) in enumerate(STACKERS):
        for i, kind in enumerate(kinds):
            m = getattr(model, f"{attr}_{kind}_")
            out[i, j] = meta_x[i, columns] @ m.coef_[0] + m.intercept_[0]
    assert (meta_x[:, HAS_BODY] > 0).tolist() == [True, True, False]
    return expit(out)


def test_body_only_text_has_its_own_stackers(models: tuple[HypeModel, HypeModel]) -> None:
    own, shared = models
    assert own.get_params()["body_stacker"] and not shared.get_params()["body_stacker"]
    assert hasattr(own, "sensational_body_") and not hasattr(shared, "sensational_body_")
    np.testing.assert_allclose(own.predict_scores(TEXTS), _by_hand(own, [
        "article", "body", "headline"]), atol=1e-12)
    np.testing.assert_allclose(shared.predict_scores(TEXTS), _by_hand(shared, [
        "article", "article", "headline"]), atol=1e-12)
    assert not np.allclose(own.sensational_body_.coef_, own.sensational_article_.coef_)
