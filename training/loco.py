"""Leave-one-corpus-out predictions: how the model scores a corpus it never saw.

:func:`loco_predictions`: for every corpus with labelled records, the learners and stackers
are refit without it (and without records of other corpora that share a group with it) on the
design the full fit already built (:meth:`HypeModel.refit_learners
<hypemeter.scoring.model.HypeModel.refit_learners>`: the vectorizers, TF-IDF weights and
lexicon stay those of the full fit, only the learners are refit), and its records get the
refit stackers' logits. The calibration maps are chosen and fitted on them
(:mod:`hypemeter.training.calibration`) and measured on them
(:mod:`hypemeter.training.calibration_heldout`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypemeter.training.recipe import PSEUDO_HEADLINE

from hypemeter.scoring.fitting import Design, TrainingData, TrainSet, subset
from hypemeter.scoring.model import HAS_BODY, HypeModel

TASK_OF_HEAD = {"sensationalism": "sensationalism", "misinformation_risk": "misinformation"}
MIN_FOLD_RECORDS = 20
# Kinds of record that are not texts the scores describe: the derived headline-length lines of
# span-labelled articles, and single sentences (HYPO's hyperboles and their literal
# paraphrases, which teach the lexicon and the loaded-headline learner). Scored as body-only
# text by a model that never saw HYPO they rank at chance (ROC-AUC 0.51), and as a corpus of
# the calibration set they pulled every article's sensationalism towards 0.5.
NOT_SCORED_TEXT = (PSEUDO_HEADLINE, "sentence")


@dataclass
class LocoPredictions:
    """Stacker logits of every labelled record, each from a fit without its corpus."""

    z: np.ndarray  # (n, 2) stacker logits: sensationalism, misinformation_risk
    with_body: np.ndarray  # (n,) bool: scored by the article stackers
    corpus: np.ndarray
    task: np.ndarray
    label: np.ndarray  # (n,) 0/1, -1 where the record has no label
    seconds: float = 0.0

    def select(self, mask: np.ndarray) -> LocoPredictions:
        return LocoPredictions(self.z[mask], self.with_body[mask], self.corpus[mask],
                               self.task[mask], self.label[mask], self.seconds)


def loco_predictions(
    model: HypeModel, design: Design, *, corpora: Sequence[str] | None = None,
    log: Callable[[str], Any] | None = None, quick: bool = True,
) -> LocoPredictions:
    """Refit ``model``'s learners without each corpus in turn and score that corpus.

    ``model`` must have been fitted on ``design`` (:meth:`HypeModel.fit` calls this through
    its ``calibration`` argument): a learner whose training set does not hold the corpus is
    reused, not refit.
    ``quick``: a refit learner is fitted once, and the refit stackers read the full fit's
    out-of-fold logits for the remaining rows (the held-out corpus's own logits always come
    from learners fitted without it)."""
    started = time.perf_counter()
    records = design.data.records
    labelled = np.array([
        r.kind not in NOT_SCORED_TEXT and r.task in TASK_OF_HEAD.values()
        and r.label is not None for r in records
    ])
    corpus_of = np.array([r.corpus for r in records])
    group_of = np.array([r.group for r in records])
    names = sorted(set(corpus_of[labelled].tolist()))
    if corpora is not None:
        names = [c for c in names if c in corpora]
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    for name in names:
        test = np.flatnonzero(labelled & (corpus_of == name))
        if len(test) < MIN_FOLD_RECORDS:
            continue
        held_groups = set(group_of[corpus_of == name].tolist())
        keep = (corpus_of != name) & ~np.isin(group_of, list(held_groups))
        data = _without(design.data, keep)
        if not all(_two_sided(s) for s in (*data.sets.values(), *data.score_sets)):
            if log:
                log(f"calibration: cannot refit without {name} (a learner loses a class)")
            continue
        t0 = time.perf_counter()
        fold = model.refit_learners(data, design, quick=quick)
        z, _ = stacker_logits(fold, design.blocks, test)
        parts.append((test, z))
        if log:
            log(f"calibration: refit without {name} ({len(test)} records scored) in "
                f"{time.perf_counter() - t0:.1f}s")
    if not parts:
        raise ValueError("no corpus could be held out for calibration")
    idx = np.concatenate([i for i, _ in parts])
    z = np.vstack([zz for _, zz in parts])
    _, with_body = stacker_logits(model, design.blocks, idx, logits=False)
    return LocoPredictions(
        z=z, with_body=with_body, corpus=corpus_of[idx],
        task=np.array([records[i].task for i in idx]),
        label=np.array([records[i].label for i in idx], dtype=int),
        seconds=round(time.perf_counter() - started, 1),
    )


def _without(data: TrainingData, keep: np.ndarray) -> TrainingData:
    """``data`` restricted to the records ``keep`` marks; a set all of whose rows are kept
    stays the same object (its learner is reused)."""
    def cut(s: TrainSet) -> TrainSet:
        return s if keep[s.idx].all() else subset(s, keep[s.idx])

    return TrainingData(data.articles, data.records, {k: cut(s) for k, s in data.sets.items()},
                        (cut(data.score_sets[0]), cut(data.score_sets[1])),
                        data.stacker_weights)


def _two_sided(s: TrainSet) -> bool:
    return bool(len(s.y) and (s.y > 0).any() and (s.y < 1).any())


def stacker_logits(model: HypeModel, blocks: dict[str, Any], rows: np.ndarray,
                   logits: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The stackers' logits for ``rows`` of the design's feature blocks, and which rows have a
    body (``logits=False`` computes the latter only)."""
    b = {k: v[rows] for k, v in blocks.items()}
    with_body = b["sb"][:, 0] < 1.0  # style column 0 is "empty", as in HypeModel._meta
    if not logits:
        return np.empty((len(rows), 2)), with_body
    meta_x = model._meta(b, model._base_logits(b))
    return model._stacker_logits(meta_x), meta_x[:, HAS_BODY] > 0


# --- the calibration set of a head ---------------------------------------------------------


__all__ = ["TASK_OF_HEAD", "LocoPredictions", "loco_predictions", "stacker_logits"]
