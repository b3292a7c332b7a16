"""Fitting :class:`~hypemeter.scoring.model.HypeModel`: its vectorizers, base learners, stackers
and calibration (:class:`Fitting`, the estimator's ``fit`` side; scoring is
:mod:`hypemeter.scoring.model`'s). What it learns from is :class:`~hypemeter.scoring.fitting.
TrainingData`, prepared by the training recipe (:mod:`hypemeter.training.recipe`)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Self

import numpy as np

from hypemeter.analysis.lexicon import PhraseLexicon
from hypemeter.analysis.vectorize import CharWbNgrams, HashedNgrams
from hypemeter.scoring.calibration import ScoreCalibration
from hypemeter.scoring.fitting import (
    LEARNER_BLOCKS,
    LEARNERS,
    META_FEATURE_NAMES,
    STACKERS,
    Design,
    TrainingData,
    design_matrix,
    new_learner,
    oof_logits,
    soft_fit,
    stacker_kinds,
    subset,
)
from hypemeter.scoring.linear import Tfidf
from hypemeter.spans.model import SpanModel
from hypemeter.text.sentences import SentenceSplitter

if TYPE_CHECKING:
    from hypemeter.scoring.model import HypeModel


class Fitting:
    """``fit`` and the refits of the calibration, mixed into :class:`HypeModel` (which holds
    the parameters, the features and the scoring these methods call)."""

    # set by HypeModel.__init__; the methods below read them
    seed: int
    n_features: int
    C_headline: float
    C_body: float
    C_claim: float
    C_article: float
    C_meta: float
    cv_folds: int
    body_stacker: bool
    BLOCKS: dict[str, tuple[str, ...]]

    def fit(
        self, data: TrainingData, *, lexicon: PhraseLexicon, valence: dict[str, float],
        phrases: Callable[[HypeModel], dict[tuple[str, ...], tuple[str, float]]] | None = None,
        sentences: SentenceSplitter | None = None,
        span_model: Callable[[HypeModel], SpanModel] | None = None,
        calibration: Callable[[HypeModel, Design], ScoreCalibration | None] | None = None,
    ) -> Self:
        """Fit the vectorizers, the base learners (on their rows of ``data``, with out-of-fold
        logits for the stackers) and the stackers, on the texts analysed with ``lexicon`` and
        ``valence``. ``calibration(self, design)`` then fits ``calibration_``, the map from the
        stackers' logits to the scores (:mod:`hypemeter.scoring.calibration`; it may refit the
        learners on subsets of the design with :meth:`refit_learners`); without it, or when it
        returns None, the scores are the stackers' own sigmoid. Then ``phrases(self)`` adds
        phrases to the lexicon (mined from the fitted learners), and the explanations are set:
        ``sentences`` (the sentence splitter) and ``span_model(self)`` (fit on the fitted
        model's analysis). Without them the model scores but does not explain. Returns the
        model."""
        design = self._fit_features(data, lexicon, valence)
        self._fit_learners(design, data)
        self.calibration_ = calibration(self, design) if calibration is not None else None
        if phrases is not None:
            self.lexicon_.add_phrases(phrases(self))
        self.meta_feature_names_ = list(META_FEATURE_NAMES)
        if sentences is not None:
            self.sentences_ = sentences
        if span_model is not None:
            self.span_model_ = span_model(self)
        return self

    def _fit_features(self, data: TrainingData, lexicon: PhraseLexicon,
                      valence: dict[str, float]) -> Design:
        """Fit the vectorizers and TF-IDF weights on ``data`` and build the design every fit
        of the learners reads (:meth:`_fit_learners`, :meth:`refit_learners`)."""
        self.valence_ = valence
        self.lexicon_ = lexicon
        self.head_words_ = HashedNgrams(n_features=self.n_features)
        self.head_chars_ = CharWbNgrams(n_features=self.n_features, ngram_range=(2, 4))
        self.body_words_ = HashedNgrams(n_features=self.n_features)
        articles = data.articles
        analyses = self.analyze(articles)
        counts = self._counts(articles, analyses)
        has_body = np.array([bool(a.body.tokens.words) for a in analyses])
        from sklearn.feature_extraction.text import TfidfTransformer  # fitting only

        # fitted by scikit-learn, kept in their serving form (hypemeter.scoring.linear)
        self.head_tfidf_ = Tfidf.of(TfidfTransformer(sublinear_tf=True).fit(counts[0]))
        self.char_tfidf_ = Tfidf.of(TfidfTransformer(sublinear_tf=True).fit(counts[1]))
        self.body_tfidf_ = Tfidf.of(TfidfTransformer(sublinear_tf=True).fit(counts[2][has_body]))
        self.article_tfidf_ = Tfidf.of(TfidfTransformer(sublinear_tf=True).fit(
            (counts[0] + counts[2])[has_body]))
        blocks = self._blocks(articles, analyses, counts)
        X = {learner: design_matrix(blocks, self.BLOCKS[learner]) for learner in self.BLOCKS}
        return Design(data, blocks, X)

    def refit_learners(self, data: TrainingData, design: Design, *,
                       quick: bool = True) -> Self:
        """A copy of this fitted model whose learners and stackers are refit on ``data``,
        subsets of the sets of the ``design`` this model was fitted on (the vectorizers,
        TF-IDF weights and lexicon stay this model's). A learner whose set is the design's
        own (the same object) is taken from this model with its out-of-fold logits; with
        ``quick``, a refit learner's stacker inputs are this fit's out-of-fold logits of its
        remaining rows (one fit per learner instead of ``cv_folds + 1``). The leave-one-
        corpus-out refits of the calibration (:mod:`hypemeter.training.loco`)."""
        fold = copy.copy(self)
        fold.calibration_ = None  # its scores are the refit stackers' own sigmoid
        fold._fit_learners(design, data, reuse=self, quick=quick)
        return fold

    def _fit_learners(self, design: Design, data: TrainingData, *,
                      reuse: HypeModel | None = None, quick: bool = False) -> None:
        """Fit the base learners and the stackers on ``data`` (see :meth:`refit_learners` for
        ``reuse`` and ``quick``); the fit on the design's own data keeps its out-of-fold
        logits in ``design.oof``."""
        blocks, X = design.blocks, design.X
        own = reuse is None
        logits_oof: dict[int, np.ndarray] = {}
        for key, C in zip(LEARNERS, (self.C_headline, self.C_body, self.C_claim, self.C_article,
                                     self.C_body, self.C_article), strict=True):
            s, Xk = data.sets[key], X[LEARNER_BLOCKS[key]]
            column = LEARNERS.index(key)
            if reuse is not None and s is design.data.sets[key]:
                setattr(self, f"{key}_", getattr(reuse, f"{key}_"))
                if column in design.oof:
                    logits_oof[column] = design.oof[column]
                continue
            if key not in ("headline", "claim"):  # their stacker rows are held out instead
                if quick and reuse is not None:
                    position = {int(i): k for k, i in enumerate(design.data.sets[key].idx)}
                    logits_oof[column] = design.oof[column][[position[int(i)] for i in s.idx]]
                else:
                    logits_oof[column] = oof_logits(C, self.seed, self.cv_folds, Xk, s)
            setattr(self, f"{key}_", soft_fit(new_learner(C, self.seed), Xk[s.idx], s.y, s.w))
        if own:
            design.oof = logits_oof
        logits = self._base_logits(blocks)
        # out-of-fold logits replace in-sample ones for the rows the base models were fit on
        for column, values in logits_oof.items():
            logits[data.sets[LEARNERS[column]].idx, column] = values
        meta_x = self._meta(blocks, logits)
        # One stacker per score and input kind: with a body (articles, body-only text) and
        # headline only. Titles and claims teach a different task than articles; one shared
        # stacker had to compromise between them. With ``body_stacker``, articles (headline
        # and body) have stackers of their own, apart from text with a body and no headline.
        for (attr, columns), score_set in zip(STACKERS, data.score_sets, strict=True):
            for kind, mask in stacker_kinds(meta_x, self.body_stacker, fit=True):
                part = subset(score_set, mask[score_set.idx])
                if not ((part.y > 0).any() and (part.y < 1).any()):
                    part = score_set  # too little data of this kind: share the whole set
                setattr(self, f"{attr}_{kind}_", soft_fit(
                    new_learner(self.C_meta, self.seed), meta_x[part.idx][:, columns], part.y,
                    data.stacker_weights(part)))

