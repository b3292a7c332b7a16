"""Fitting :class:`~hypemeter.scoring.model.HypeModel` with the recipe: the lexicon, the training
data (:func:`hypemeter.training.recipe.training_data`), the sentence splitter and the span model
are prepared here and passed to :meth:`HypeModel.fit`, which fits everything else."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from hypemeter.training.recipe import Recipe, training_data
from hypemeter.training.spans import fit_span_model, punkt_texts

from hypemeter.analysis.features import vader_valence
from hypemeter.analysis.lexicon import PhraseLexicon
from hypemeter.records.results import Record
from hypemeter.scoring.model import HypeModel
from hypemeter.text.sentences import SentenceSplitter

RECIPE_PARAMS = frozenset(f.name for f in dataclasses.fields(Recipe))


def split_params(params: dict[str, Any]) -> tuple[dict[str, Any], Recipe]:
    """``HypeModel`` parameters and the :class:`Recipe` from one mapping of both."""
    model = {k: v for k, v in params.items() if k not in RECIPE_PARAMS}
    return model, Recipe(**{k: v for k, v in params.items() if k in RECIPE_PARAMS})


def fit_model(records: Sequence[Record], *, seed: int = 0, explanations: bool = True,
              **params: Any) -> HypeModel:
    """A model fitted on ``records`` (``params``: :class:`HypeModel`'s and :class:`Recipe`'s);
    ``explanations=False`` leaves out the sentence splitter and the span model (a model that
    scores only, for benchmarks of the scores)."""
    model_params, recipe = split_params(params)
    valence = dict(vader_valence())
    data, phrases = training_data(recipe, records, seed)
    return HypeModel(seed=seed, **model_params).fit(
        data, lexicon=PhraseLexicon().fit(records, valence), valence=valence, phrases=phrases,
        sentences=SentenceSplitter.train(punkt_texts(records)) if explanations else None,
        span_model=(lambda m: fit_span_model(m.lexicon_, m.valence_, m.sentences_, records,
                                             seed=seed)) if explanations else None,
    )


def card_params(model: HypeModel, recipe: Recipe) -> dict[str, Any]:
    """The parameters a model card records."""
    return {**model.get_params(), **dataclasses.asdict(recipe)}
