"""Fitting :class:`~hypemeter.scoring.model.HypeModel`: vectorizers and TF-IDF weights, the six base
learners (on soft targets), their out-of-fold logits and the four stackers on top.

:func:`fit_model` sets the model's fitted attributes (names ending in ``_``) and returns it,
as an estimator's ``fit`` does; the model itself holds only what scoring needs. Which records
feed which learner is :mod:`hypemeter.training.recipe`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from hypemeter.training.recipe import (
    TrainSet,
    balance,
    clickbait_phrases,
    concat,
    holdout,
    own_mask,
    sentence_records,
    subset,
    train_sets,
)
from hypemeter.training.views import VIEW_KINDS, short_views
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from hypemeter.analysis.features import STYLE_NAMES, vader_valence
from hypemeter.analysis.lexicon import PhraseLexicon
from hypemeter.analysis.vectorize import HashedNgrams
from hypemeter.records.results import Article, Record
from hypemeter.scoring.model import EPS, HAS_BODY, META_STYLE, STACKERS, HypeModel

META_FEATURE_NAMES = [
    "logit_headline", "logit_body", "logit_claim", "logit_article", "logit_loaded_headline",
    "logit_sensational_article", "has_headline",
    "has_body", *(f"headline_{STYLE_NAMES[i]}" for i in META_STYLE),
    *(f"body_{STYLE_NAMES[i]}" for i in META_STYLE),
]


@dataclass
class Design:
    """What every fit of the learners shares: the records (with the derived sentence rows),
    each learner's training set, the feature blocks and each learner's design matrix."""

    records: list[Record]
    sets: dict[str, TrainSet]
    blocks: dict[str, Any]
    X: dict[str, sp.csr_matrix]
    # the out-of-fold logits of the fit on the design's own sets (set by fit_learners)
    oof: dict[str, np.ndarray] | None = None


def fit_model(model: HypeModel, records: Sequence[Record], *, calibrate: bool = False,
              log: Any = None) -> HypeModel:
    """Fit every learner and stacker of ``model`` (with its hyperparameters) on ``records``.

    ``calibrate`` also fits ``calibration_`` on leave-one-corpus-out refits (one more fit of
    the learners per corpus, see :mod:`hypemeter.training.calibration`); its held-out
    predictions are kept in ``model.loco_`` for the report (training drops them before the
    model is written)."""
    design = prepare(model, records)
    fit_learners(model, design)
    if calibrate:
        from hypemeter.training.calibration import fit_calibration, loco_predictions

        try:
            model.loco_ = loco_predictions(model, design, log=log)
            model.calibration_ = fit_calibration(model.loco_)
        except ValueError as exc:  # fewer than two corpora to hold out, or one class only
            model.calibration_ = None
            model.calibration_problem_ = str(exc)
    model.lexicon_.add_phrases(clickbait_phrases(model, design.records, design.sets["headline"]))
    model.meta_feature_names_ = list(META_FEATURE_NAMES)
    return model


def prepare(model: HypeModel, records: Sequence[Record]) -> Design:
    """Fit the lexicon, vectorizers and TF-IDF weights on ``records`` and build the design
    every learner fit reads (:func:`fit_learners`, and the leave-one-corpus-out refits of
    :mod:`hypemeter.training.calibration`)."""
    model.valence_ = dict(vader_valence())
    model.lexicon_ = PhraseLexicon().fit(records, model.valence_)
    _vectorizers(model)
    view_weight = getattr(model, "view_weight", None)
    views = short_views(records) if view_weight else []
    records = [*records, *sentence_records(records), *views]
    sets = train_sets(model, records)
    if views:  # headline-less, body-less and one-sentence views of the articles
        for s in sets.values():
            s.w[np.array([records[i].kind in VIEW_KINDS for i in s.idx], bool)] *= view_weight
    own_weight = getattr(model, "own_weight", None)
    if own_weight is not None:
        for s in sets.values():
            s.w[own_mask(s, records)] *= own_weight
    articles = [Article(r.headline, r.body, r.id) for r in records]
    analyses = model.analyze(articles)
    counts = model._counts(articles, analyses)
    has_body = np.array([bool(a.body.tokens.words) for a in analyses])
    model.head_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts[0])
    model.char_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts[1])
    model.body_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts[2][has_body])
    model.article_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(
        (counts[0] + counts[2])[has_body]
    )
    blocks = model._blocks(articles, analyses, counts)
    X = {learner: design_matrix(blocks, learner) for learner in model.BLOCKS}  # stacked once
    return Design(records, sets, blocks, X)


def fit_learners(model: HypeModel, design: Design, sets: dict[str, TrainSet] | None = None,
                 reuse: HypeModel | None = None, reuse_oof: bool = False) -> HypeModel:
    """Fit the six base learners and four stackers of ``model`` on ``sets`` (by default the
    design's own; a subset of them refits without some corpora). With ``reuse`` (a model
    fitted on the design's own sets), a base learner whose set is the design's own (the same
    object) is taken from it with its out-of-fold logits instead of being refit; with
    ``reuse_oof`` too, a refit learner's stacker inputs are the full fit's out-of-fold logits
    of its remaining rows (one fit per learner instead of ``cv_folds + 1``)."""
    records, blocks, X = design.records, design.blocks, design.X
    own = sets is None
    sets = dict(design.sets if own else sets)
    same = set() if reuse is None or design.oof is None else {
        key for key, s in sets.items() if s is design.sets[key]}
    own_weight = getattr(model, "own_weight", None)
    for key in ("body", "loaded_head"):  # article corpora: equal say each
        s = sets[key]
        sets[key] = TrainSet(s.idx, s.y, balance(s, records, own_weight is not None), s.groups)
    head_base, head_meta = holdout(sets["headline"], model.meta_headlines, model.seed)
    claim_base, claim_meta = holdout(sets["claim"], model.meta_headlines, model.seed)
    for attr, key, base, C in (("headline_", "headline", head_base, model.C_headline),
                               ("claim_", "claim", claim_base, model.C_claim)):
        if key in same:
            setattr(model, attr, getattr(reuse, attr))
            continue
        learned = _lr(model, C)
        soft_fit(learned, X[key][base.idx], base.y, base.w)
        setattr(model, attr, learned)
    oof: dict[str, np.ndarray] = {}
    for attr, learner, key, C in (
        ("body_", "body", "body", model.C_body),
        ("article_", "article", "article", model.C_article),
        ("loaded_head_", "headline", "loaded_head", model.C_body),
        ("sens_article_", "sens_article", "sens_article", model.C_article),
    ):
        if key in same:
            setattr(model, attr, getattr(reuse, attr))
            oof[key] = design.oof[key]  # type: ignore[index]
            continue
        s = sets[key]
        learned = _lr(model, C)
        if reuse_oof and design.oof is not None:
            position = {int(i): k for k, i in enumerate(design.sets[key].idx)}
            oof[key] = design.oof[key][[position[int(i)] for i in s.idx]]
        else:
            oof[key] = _oof(model, learned, X[learner], s)
        soft_fit(learned, X[learner][s.idx], s.y, s.w)
        setattr(model, attr, learned)
    if own:
        design.oof = oof

    logits = model._base_logits(blocks)
    # out-of-fold logits replace in-sample ones for the rows the base models were fit on
    logits[sets["body"].idx, 1] = oof["body"]
    logits[sets["article"].idx, 3] = oof["article"]
    logits[sets["loaded_head"].idx, 4] = oof["loaded_head"]
    logits[sets["sens_article"].idx, 5] = oof["sens_article"]
    meta_x = model._meta(blocks, logits)
    # One stacker per score and input kind: with a body (articles, body-only text) and
    # headline only. Titles and claims teach a different task than articles; one shared
    # stacker had to compromise between them.
    with_body = meta_x[:, HAS_BODY] > 0
    score_sets = (concat(sets["body"], head_meta), concat(sets["article"], claim_meta))
    for (attr, columns), score_set in zip(STACKERS, score_sets, strict=True):
        for kind, mask in (("article", with_body), ("headline", ~with_body)):
            part = subset(score_set, mask[score_set.idx])
            if not ((part.y > 0).any() and (part.y < 1).any()):
                part = score_set  # too little data of this kind: share the whole set
            stacker = _lr(model, model.C_meta)
            soft_fit(stacker, meta_x[part.idx][:, columns], part.y,
                     balance(part, records, own_weight is not None))
            setattr(model, f"{attr}_{kind}_", stacker)
    return model


def _vectorizers(model: HypeModel) -> None:
    model.head_words_ = HashedNgrams(n_features=model.n_features)
    model.head_chars_ = HashingVectorizer(
        n_features=model.n_features, analyzer="char_wb", ngram_range=(2, 4),
        alternate_sign=False, norm=None, lowercase=True,
    )
    model.body_words_ = HashedNgrams(n_features=model.n_features)


def design_matrix(b: dict[str, Any], learner: str) -> sp.csr_matrix:
    """The stacked design matrix of one learner (scoring adds its blocks one by one)."""
    return sp.hstack(
        [b[k] if sp.issparse(b[k]) else sp.csr_matrix(b[k]) for k in HypeModel.BLOCKS[learner]],
        format="csr",
    )


def soft_fit(model: LogisticRegression, X: Any, y: np.ndarray, w: np.ndarray) -> None:
    """Fit a classifier on soft targets by splitting each row into a positive and a negative."""
    pos = y > 0
    neg = y < 1
    Xs = sp.vstack([X[pos], X[neg]]) if sp.issparse(X) else np.vstack([X[pos], X[neg]])
    ys = np.concatenate([np.ones(pos.sum()), np.zeros(neg.sum())])
    ws = np.concatenate([w[pos] * y[pos], w[neg] * (1 - y[neg])])
    model.fit(Xs, ys.astype(int), sample_weight=ws)


def _lr(model: HypeModel, C: float) -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=2000, solver="liblinear", random_state=model.seed)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def _oof(model: HypeModel, learner: LogisticRegression, X: sp.csr_matrix,
         s: TrainSet) -> np.ndarray:
    """Out-of-fold logits of ``learner``'s kind on its set (grouped folds)."""
    out = np.zeros(len(s.idx))
    n_groups = len(np.unique(s.groups))
    folds = GroupKFold(n_splits=max(2, min(model.cv_folds, n_groups)))
    Xs = X[s.idx]
    for tr, te in folds.split(Xs, s.y, s.groups):
        m = _lr(model, learner.C)
        soft_fit(m, Xs[tr], s.y[tr], s.w[tr])
        out[te] = _logit(m.predict_proba(Xs[te])[:, 1])
    return out
