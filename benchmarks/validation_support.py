"""The validation model of a bundle's recipe, for benchmarks that score held-out groups.

``hypemeter train`` fits its validation model on the training groups of a seeded 80/20 group
split and keeps only the final model (fit on everything) in the bundle; benchmarks that need
held-out scores fit the same recipe (the card's parameters) on the same training groups here.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import joblib
from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.corpora.split import group_split
from hypemeter.training.stacking import fit_model
from recipe_history import fit_params

from hypemeter.records.results import Record
from hypemeter.scoring.calibration import ScoreCalibration
from hypemeter.scoring.model import HypeModel


def validation_model(card: dict[str, Any], data_dir: Path, cache: Path | None = None,
                     final: Any = None) -> tuple[HypeModel, list[Record]]:
    """``(model fit on the training groups, held-out records)``; ``cache`` (a joblib file)
    keeps the fitted model for the next run (delete it when the recipe changes). The
    validation model reads the calibration maps of the bundle's ``final`` model, as in
    training (the leave-one-corpus-out refits are made for the final model only)."""
    records, _ = load_corpora(data_dir, None, include_sample=True)
    train, valid = group_split(records, valid_fraction=0.2, seed=int(card.get("seed", 0)))
    if cache is not None and cache.exists():
        return joblib.load(cache).with_calibration(_maps(final)), valid
    t0 = time.perf_counter()
    model = fit_model(train, seed=int(card.get("seed", 0)), explanations=False,
                      **fit_params(card))
    print(f"fitted the validation model on {len(train)} records in "
          f"{time.perf_counter() - t0:.0f}s", file=sys.stderr)
    if cache is not None:
        joblib.dump(model, cache)
    return model.with_calibration(_maps(final)), valid


def _maps(final: HypeModel | None) -> ScoreCalibration | None:
    return None if final is None else final.calibration_
