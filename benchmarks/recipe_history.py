"""Older bundles' recipes read back from their cards, for benchmarks that refit them
(``validation_support.py``, ``bench_calibration.py``).

A card written before a parameter existed lacks it: :data:`PREDATED` gives the value that
reproduces the recipe of such a card (:func:`fit_params`). This history lives with the
benchmarks, not in the package: the service and ``hypemeter train`` never read an old card's
recipe. A new parameter needs an entry here (``tests/training/test_card_params.py`` fails
without one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypemeter.training.params import card_params
from hypemeter.training.recipe import Recipe

from hypemeter.scoring.model import HypeModel

BOTH_TASKS = ("sensationalism", "misinformation")
ALL_VIEW_TASKS = (*BOTH_TASKS, "spans")

# For each parameter a card may predate: its value in the recipe of such a card, from the
# parameters the card does record. 2026-12-07.0 recorded none of these; 2026-12-07.1 recorded
# identity_mask, mainstream_corpora and view_weight (its views: every task's, headline views
# included; the reports about groups, then new, taught both tasks; one stacker per score and
# input kind); 2026-12-07.2 recorded all but the identity_report_* placements (the reports
# taught every learner they reach, the stackers and the views, at weight 1).
PREDATED: dict[str, Callable[[dict[str, Any]], Any]] = {
    "identity_mask": lambda card: False,
    "mainstream_corpora": lambda card: (),
    "view_weight": lambda card: None,
    "body_stacker": lambda card: False,
    "headline_views": lambda card: ALL_VIEW_TASKS,
    "view_tasks": lambda card: ALL_VIEW_TASKS,
    # the reports about groups came with the identity mask (2026-12-07.1)
    "identity_report_tasks": lambda card: BOTH_TASKS if card.get("identity_mask") else (),
    "identity_report_learners": lambda card: ("body", "loaded_head", "sens_article"),
    "identity_report_stackers": lambda card: True,
    "identity_report_views": lambda card: True,
    "identity_report_weight": lambda card: 1.0,
    "identity_report_lexicon": lambda card: True,
}


def fit_params(card: dict[str, Any]) -> dict[str, Any]:
    """The keyword parameters of :func:`~hypemeter.training.stacking.fit_model` that refit the
    recipe of ``card`` (a card's JSON; its seed is left out: it is the fit's own keyword):
    every parameter, the card's own where it records one (JSON lists read as tuples), else
    :data:`PREDATED`'s, else (parameters every card records; a recipe variant written by hand
    may leave them out) the default. A parameter this code does not know is refused
    (ValueError): its recipe cannot be reproduced."""
    recorded = {k: tuple(v) if isinstance(v, list) else v
                for k, v in card.get("params", {}).items() if k != "seed"}
    defaults = card_params(HypeModel(), Recipe())
    unknown = sorted(set(recorded) - set(defaults))
    if unknown:
        raise ValueError(f"the card's parameter(s) {', '.join(unknown)} are unknown to this "
                         "code: its recipe cannot be refit")
    predated = {k: f(recorded) for k, f in PREDATED.items() if k not in recorded}
    return {k: v for k, v in {**defaults, **predated, **recorded}.items() if k != "seed"}




__all__ = ["PREDATED", "fit_params"]
