"""What :meth:`hypemeter.scoring.model.HypeModel.fit` learns from, the layout of the stacked
model (learners, logit columns, stackers) and the fitting steps it uses.

The training recipe (:mod:`hypemeter.training.recipe`) decides which records feed which learner
with what target and weight and hands the result over as :class:`TrainingData`; the model fits
its vectorizers, learners and stackers on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from hypemeter.analysis.features import STYLE_NAMES
from hypemeter.records.results import Article, Record
from hypemeter.scoring.linear import Linear

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression

EPS = 1e-4
LEARNERS = ("headline", "body", "claim", "article", "loaded_head", "sens_article")

# ------------------------------------------------------------------ the stacked layout
# Stacker input columns (see ``HypeModel._meta``): six base logits, has_headline, has_body,
# then both fields' style signals.
LOGIT_COLUMNS = ("headline", "body", "claim", "article", "loaded_headline", "sensational_article")
HAS_BODY = len(LOGIT_COLUMNS) + 1
# The misinformation stackers read the learners trained on misinformation labels and field
# presence only: style vectors and the sensationalism learners let them tell the article
# corpora apart rather than fabricated from accurate articles (held-out FakeNewsNet domains).
MIS_COLUMNS = [LOGIT_COLUMNS.index("claim"), LOGIT_COLUMNS.index("article"), HAS_BODY - 1,
               HAS_BODY]
# The stackers' attribute prefix and input columns, in score order (sensationalism,
# misinformation_risk); each has an ``_article_`` and a ``_headline_`` model.
STACKERS: tuple[tuple[str, slice | list[int]], ...] = (
    ("sensational", slice(None)), ("misinformation", MIS_COLUMNS),
)
META_STYLE = [
    i for i, n in enumerate(STYLE_NAMES)
    if n not in ("empty", "log_chars", "log_words", "loaded_count")
]
META_FEATURE_NAMES = [
    *(f"logit_{c}" for c in LOGIT_COLUMNS), "has_headline", "has_body",
    *(f"headline_{STYLE_NAMES[i]}" for i in META_STYLE),
    *(f"body_{STYLE_NAMES[i]}" for i in META_STYLE),
]
# the base learners (fitted attribute ``<key>_``, logit column in LEARNERS order) and the
# feature blocks (``HypeModel.BLOCKS``) each reads
LEARNER_BLOCKS = {key: "headline" if key == "loaded_head" else key for key in LEARNERS}


@dataclass
class TrainSet:
    """The rows one learner (or stacker) is fit on."""

    idx: np.ndarray  # indices into TrainingData.articles
    y: np.ndarray  # soft targets in [0, 1]
    w: np.ndarray  # sample weights
    groups: np.ndarray  # rows of a group stay in one fold


def subset(s: TrainSet, mask: np.ndarray) -> TrainSet:
    return TrainSet(s.idx[mask], s.y[mask], s.w[mask], s.groups[mask])


def concat(a: TrainSet, b: TrainSet) -> TrainSet:
    return TrainSet(
        np.concatenate([a.idx, b.idx]), np.concatenate([a.y, b.y]),
        np.concatenate([a.w, b.w]), np.concatenate([a.groups, b.groups]),
    )


@dataclass
class TrainingData:
    """Prepared training data: the texts, each base learner's rows (:data:`LEARNERS`) and the
    stackers' rows per score (sensationalism, misinformation risk), with weights final."""

    articles: list[Article]
    records: list[Record]  # what each article was made from (corpus, group, task, label)
    sets: dict[str, TrainSet]
    score_sets: tuple[TrainSet, TrainSet]
    # the weights of a stacker's rows (the recipe balances the corpora of each subset fit)
    stacker_weights: Callable[[TrainSet], np.ndarray]


@dataclass
class Design:
    """What every fit of the learners on one :class:`TrainingData` shares: the data, the feature
    blocks, each learner's design matrix and (once the model's own fit has run) the base
    learners' out-of-fold logits by logit column."""

    data: TrainingData
    blocks: dict[str, Any]
    X: dict[str, sp.csr_matrix]
    oof: dict[int, np.ndarray] = field(default_factory=dict)


def new_learner(C: float, seed: int) -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression  # fitting only: scoring reads Linear

    return LogisticRegression(C=C, max_iter=2000, solver="liblinear", random_state=seed)


def soft_fit(model: LogisticRegression, X: Any, y: np.ndarray, w: np.ndarray) -> Linear:
    """Fit a classifier on soft targets by splitting each row into a positive and a negative;
    the fitted model in its serving form (:class:`~hypemeter.scoring.linear.Linear`)."""
    return Linear.of(_soft_fit(model, X, y, w))


def _soft_fit(model: LogisticRegression, X: Any, y: np.ndarray, w: np.ndarray
              ) -> LogisticRegression:
    pos = y > 0
    neg = y < 1
    Xs = sp.vstack([X[pos], X[neg]]) if sp.issparse(X) else np.vstack([X[pos], X[neg]])
    ys = np.concatenate([np.ones(pos.sum()), np.zeros(neg.sum())])
    ws = np.concatenate([w[pos] * y[pos], w[neg] * (1 - y[neg])])
    return model.fit(Xs, ys.astype(int), sample_weight=ws)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def oof_logits(C: float, seed: int, folds: int, X: sp.csr_matrix, s: TrainSet) -> np.ndarray:
    """Out-of-fold logits of a learner with ``C`` on its set (grouped folds)."""
    from sklearn.model_selection import GroupKFold  # fitting only

    out = np.zeros(len(s.idx))
    n_groups = len(np.unique(s.groups))
    Xs = X[s.idx]
    for tr, te in GroupKFold(n_splits=max(2, min(folds, n_groups))).split(Xs, s.y, s.groups):
        m = _soft_fit(new_learner(C, seed), Xs[tr], s.y[tr], s.w[tr])
        out[te] = logit(m.predict_proba(Xs[te])[:, 1])
    return out


def design_matrix(b: dict[str, Any], blocks: tuple[str, ...]) -> sp.csr_matrix:
    """The stacked design matrix of one learner (scoring adds its blocks one by one)."""
    return sp.hstack([b[k] if sp.issparse(b[k]) else sp.csr_matrix(b[k]) for k in blocks],
                     format="csr")


def stacker_kinds(meta_x: np.ndarray, body_stacker: bool, *, fit: bool = False
                  ) -> list[tuple[str, np.ndarray]]:
    """Which stacker scores each row of the stacker input ``meta_x`` (``fit``: which rows
    each stacker is fitted on): ``article`` (text with a body) and ``headline`` (headline
    alone); with ``body_stacker``, the ``article`` stackers score and learn from text with a
    headline and a body only, and ``body`` ones score a body without a headline, fitted on
    every text with a body (on body-only rows alone they ranked body-only text worse:
    HYPO's sentences 0.608 -> 0.589, held-out first sentences 0.615 -> 0.605)."""
    with_body = meta_x[:, HAS_BODY] > 0
    if not body_stacker:
        return [("article", with_body), ("headline", ~with_body)]
    has_headline = meta_x[:, HAS_BODY - 1] > 0
    return [("article", with_body & has_headline),
            ("body", with_body if fit else with_body & ~has_headline),
            ("headline", ~with_body)]
