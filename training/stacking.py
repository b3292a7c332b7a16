"""Fitting :class:`~hypemeter.scoring.model.HypeModel` with the recipe: the lexicon, the training
data (:func:`hypemeter.training.recipe.training_data`), the sentence splitter and the span model
are prepared here and passed to :meth:`HypeModel.fit`, which fits everything else."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hypemeter.training.calibration import fit_calibration
from hypemeter.training.loco import LocoPredictions, loco_predictions
from hypemeter.training.params import split_params
from hypemeter.training.recipe import lexicon_records, recipe_records, training_data
from hypemeter.training.spans import fit_span_model, punkt_texts

from hypemeter.analysis.features import vader_valence
from hypemeter.analysis.lexicon import PhraseLexicon
from hypemeter.records.results import Record
from hypemeter.scoring.calibration import ScoreCalibration
from hypemeter.scoring.fitting import Design
from hypemeter.scoring.model import HypeModel
from hypemeter.text.sentences import SentenceSplitter


def fit_model(records: Sequence[Record], *, seed: int = 0, explanations: bool = True,
              calibrate: bool = False, log: Callable[[str], Any] | None = None,
              **params: Any) -> HypeModel:
    """A model fitted on ``records`` (``params``: :class:`HypeModel`'s and :class:`Recipe`'s);
    ``explanations=False`` leaves out the sentence splitter and the span model (a model that
    scores only, for benchmarks of the scores); ``calibrate`` fits its calibration maps on
    leave-one-corpus-out refits (:func:`fit_calibrated`)."""
    if calibrate:
        return fit_calibrated(records, seed=seed, explanations=explanations, log=log,
                              **params)[0]
    return _fit(records, seed, explanations, None, params)


def fit_calibrated(records: Sequence[Record], *, seed: int = 0, explanations: bool = True,
                   log: Callable[[str], Any] | None = None, quick: bool = True, **params: Any
                   ) -> tuple[HypeModel, LocoPredictions | None, str | None]:
    """:func:`fit_model` with ``calibration_`` fitted on leave-one-corpus-out refits (one more
    fit of the learners per corpus, see :mod:`hypemeter.training.loco`), the held-out
    predictions (for the report) and, when no calibration could be fitted (fewer than two
    corpora to hold out, or one class only), why: the model then keeps the stackers' own
    sigmoid. ``quick``: see :func:`~hypemeter.training.loco.loco_predictions`."""
    held: dict[str, Any] = {"loco": None, "problem": None}

    def calibration(model: HypeModel, design: Design) -> ScoreCalibration | None:
        try:
            held["loco"] = loco_predictions(model, design, log=log, quick=quick)
            return fit_calibration(held["loco"])
        except ValueError as exc:
            held["problem"] = str(exc)
            return None

    model = _fit(records, seed, explanations, calibration, params)
    return model, held["loco"], held["problem"]


def _fit(records: Sequence[Record], seed: int, explanations: bool,
         calibration: Callable[[HypeModel, Design], ScoreCalibration | None] | None,
         params: dict[str, Any]) -> HypeModel:
    model_params, recipe = split_params(params)
    records = recipe_records(recipe, records)  # lexicon, splitter and span model read them too
    valence = dict(vader_valence())
    data, phrases = training_data(recipe, records, seed)
    return HypeModel(seed=seed, **model_params).fit(
        data, lexicon=PhraseLexicon().fit(lexicon_records(recipe, records), valence),
        valence=valence, phrases=phrases,
        sentences=SentenceSplitter.train(punkt_texts(records)) if explanations else None,
        span_model=(lambda m: fit_span_model(m.lexicon_, m.valence_, m.sentences_, records,
                                             seed=seed, mask=m.identity_mask))
        if explanations else None,
        calibration=calibration,
    )
