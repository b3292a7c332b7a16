"""The fit's parameters as a model card records them.

A card's ``params`` hold every :class:`~hypemeter.scoring.model.HypeModel` parameter and every
:class:`~hypemeter.training.recipe.Recipe` field (:func:`card_params`: generic over both, so a
new field is recorded without anyone listing it), so that a bundle's recipe can be refit from
its card alone (``benchmarks/recipe_history.py`` reads older cards back).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hypemeter.training.recipe import Recipe

from hypemeter.scoring.model import HypeModel

RECIPE_PARAMS = frozenset(f.name for f in dataclasses.fields(Recipe))


def split_params(params: dict[str, Any]) -> tuple[dict[str, Any], Recipe]:
    """``HypeModel`` parameters and the :class:`Recipe` from one mapping of both."""
    model = {k: v for k, v in params.items() if k not in RECIPE_PARAMS}
    return model, Recipe(**{k: v for k, v in params.items() if k in RECIPE_PARAMS})


def card_params(model: HypeModel, recipe: Recipe) -> dict[str, Any]:
    """The parameters a model card records: all of ``model``'s and all of ``recipe``'s."""
    return {**model.get_params(), **dataclasses.asdict(recipe)}


__all__ = ["RECIPE_PARAMS", "card_params", "split_params"]
