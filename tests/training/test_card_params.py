"""A model card records every parameter of the fit (HypeModel's and the Recipe's), and a card
of any age reads back as the exact recipe it was trained with (``benchmarks/recipe_history.py``):
benchmarks refit old bundles' recipes from their cards."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypemeter.training.params import card_params, split_params
from hypemeter.training.recipe import Recipe
from support.benchmarks import load_benchmark_module

from hypemeter.scoring.model import HypeModel

history = load_benchmark_module("recipe_history")
PREDATED, fit_params = history.PREDATED, history.fit_params

# the parameters recorded by the oldest card still refit (2026-12-07.0, before the identity
# mask): any parameter added since needs a PREDATED entry
OLDEST_CARD = {"seed": 0, "n_features": 262144, "C_headline": 1.0, "C_body": 2.0,
               "C_claim": 0.5, "C_article": 8.0, "C_meta": 1.0, "cv_folds": 3,
               "meta_headlines": 3000, "objective_sources": ["perez_rosas_amt"],
               "ptc_soft_scale": 0.08, "own_weight": 3.0}
# 2026-12-07.1's card, as written then
CARD_1 = {**OLDEST_CARD, "identity_mask": True, "mainstream_corpora": [], "view_weight": 0.5}


def every_param() -> set[str]:
    return set(HypeModel().get_params()) | {f.name for f in dataclasses.fields(Recipe)}


def changed(value: Any) -> Any:
    """A value other than ``value``, of the same kind."""
    if isinstance(value, bool):
        return not value
    if value is None:
        return 0.25
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, tuple):
        return (*value, "other")
    if isinstance(value, str):
        return value + "-other"
    raise AssertionError(f"no changed value for {value!r}: extend this test")


def test_the_card_records_every_parameter() -> None:
    recorded = card_params(HypeModel(), Recipe())
    assert set(recorded) == every_param()
    assert json.loads(json.dumps(recorded)).keys() == recorded.keys()


def test_every_parameter_added_since_the_oldest_card_says_what_it_was_before() -> None:
    missing = every_param() - set(OLDEST_CARD) - set(PREDATED)
    assert not missing, f"add {sorted(missing)} to benchmarks/recipe_history.py's PREDATED"


def test_a_recipe_reads_back_exactly_from_its_card() -> None:
    recipe = Recipe(**{f.name: changed(getattr(Recipe(), f.name))
                       for f in dataclasses.fields(Recipe)})
    model = HypeModel(**{k: changed(v) for k, v in HypeModel().get_params().items()})
    card = json.loads(json.dumps({"params": card_params(model, recipe)}))
    model_params, read = split_params(fit_params(card))
    assert read == recipe
    assert model_params == {k: v for k, v in model.get_params().items() if k != "seed"}


def test_old_cards_read_as_the_recipes_they_were_trained_with() -> None:
    oldest = split_params(fit_params({"params": OLDEST_CARD}))
    assert oldest[0]["identity_mask"] is False and oldest[0]["body_stacker"] is False
    assert oldest[1].view_weight is None and oldest[1].identity_report_tasks == ()
    model, recipe = split_params(fit_params({"params": CARD_1}))
    assert model["identity_mask"] is True and model["body_stacker"] is False
    assert recipe.view_weight == 0.5
    assert recipe.identity_report_tasks == ("sensationalism", "misinformation")
    assert set(recipe.headline_views) == {"sensationalism", "misinformation", "spans"}
    assert recipe.identity_report_learners == ("body", "loaded_head", "sens_article")
    assert recipe.identity_report_views and recipe.identity_report_stackers


def test_a_parameter_this_code_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        fit_params({"params": {**OLDEST_CARD, "learning_rate": 0.1}})
