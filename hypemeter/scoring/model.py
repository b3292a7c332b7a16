"""The hypemeter model: six base learners stacked into two calibrated scores.

Base learners (linear models on case-normalised hashed n-grams, some with style vectors):
``headline_`` (clickbait-style headlines), ``body_`` (loaded, hyperbolic, fear-laden article
language), ``claim_`` (false claims and fake titles), ``article_`` (fabricated full articles),
``loaded_head_`` (loaded headlines) and ``sens_article_`` (sensational full articles, headline
and body n-grams in one bag). Which corpora teach each one, and how they are fitted, is
training's business: :mod:`hypemeter.training.recipe` and :mod:`hypemeter.training.stacking`;
this module holds what scoring needs.

Four stackers (logistic regressions on out-of-fold base logits; the sensationalism ones also
on both fields' style vectors) turn them into ``sensationalism`` and ``misinformation_risk``
probabilities: one per score for text with a body and one for headlines alone, because titles
and claims teach a different task than articles. A headline's clickbait signal and a body's
loaded language both count, and a field that is absent contributes nothing. ``calibration_``
(:mod:`hypemeter.scoring.calibration`, fitted on leave-one-corpus-out predictions) maps the
stackers' logits to probabilities at each score's reference prevalence; a model without one
reads the stackers' own sigmoid.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression

from hypemeter.analysis.features import STYLE_NAMES, FieldAnalysis, analyze_fields
from hypemeter.analysis.lexicon import PhraseLexicon
from hypemeter.analysis.vectorize import CharWbNgrams, HashedNgrams
from hypemeter.records.results import Article
from hypemeter.scoring.calibration import ScoreCalibration
from hypemeter.scoring.explain import Explained, explain
from hypemeter.scoring.fitting import (
    EPS,
    LEARNERS,
    Design,
    TrainingData,
    design_matrix,
    new_learner,
    oof_logits,
    soft_fit,
    subset,
)
from hypemeter.spans.model import SpanModel
from hypemeter.text.sentences import SentenceSplitter

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


def word_ngrams(words: list[str]) -> list[str]:
    """Unigrams and bigrams of already-normalised tokens (the hashing analyzer)."""
    return words + list(map(" ".join, pairwise(words)))


LOGIT_CAP = float(np.log((1 - EPS) / EPS))


def _tfidf(
    transformer: TfidfTransformer, counts: sp.csr_matrix, *, copy: bool = True
) -> sp.csr_matrix:
    """What ``transformer.transform`` computes (sublinear tf, idf, l2 rows), without its
    per-call validation. ``copy=False`` rewrites float64 ``counts`` in place, which saves a
    sparse-matrix construction (~15 us, noticeable when scoring one article at a time)."""
    X = counts if not copy and counts.dtype == np.float64 else counts.astype(np.float64)
    if transformer.sublinear_tf:
        np.log(X.data, out=X.data)
        X.data += 1.0
    X.data *= transformer.idf_[X.indices]
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    norms = np.sqrt(np.bincount(rows, weights=X.data * X.data, minlength=X.shape[0]))
    norms[norms == 0.0] = 1.0
    X.data /= norms[rows]
    return X


@dataclass(frozen=True, slots=True)
class Analysis:
    headline: FieldAnalysis
    body: FieldAnalysis


class HypeModel:
    """Scores articles for sensationalism and misinformation risk and explains the scores."""

    def __init__(
        self,
        seed: int = 0,
        n_features: int = 2**18,
        C_headline: float = 1.0,
        C_body: float = 2.0,
        C_claim: float = 0.5,
        C_article: float = 8.0,
        C_meta: float = 1.0,
        cv_folds: int = 3,
        identity_mask: bool = True,
    ) -> None:
        self.seed = seed
        self.n_features = n_features
        self.C_headline = C_headline
        self.C_body = C_body
        self.C_claim = C_claim
        self.C_article = C_article
        self.C_meta = C_meta
        self.cv_folds = cv_folds

        # Identity terms (a religion, ethnicity, nationality, orientation, gender identity,
        # disability or political leaning) read as one placeholder word in every feature and in
        # the span model (hypemeter.analysis.identity).
        self.identity_mask = identity_mask

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters (scikit-learn's convention)."""
        return {k: getattr(self, k) for k in inspect.signature(HypeModel.__init__).parameters
                if k != "self"}

    # ------------------------------------------------------------------ fit
    def fit(
        self, data: TrainingData, *, lexicon: PhraseLexicon, valence: dict[str, float],
        phrases: Callable[[HypeModel], dict[tuple[str, ...], tuple[str, float]]] | None = None,
        sentences: SentenceSplitter | None = None,
        span_model: Callable[[HypeModel], SpanModel] | None = None,
        calibration: Callable[[HypeModel, Design], ScoreCalibration | None] | None = None,
    ) -> HypeModel:
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
        self.head_chars_ = HashingVectorizer(
            n_features=self.n_features, analyzer="char_wb", ngram_range=(2, 4),
            alternate_sign=False, norm=None, lowercase=True,
        )
        self.body_words_ = HashedNgrams(n_features=self.n_features)
        articles = data.articles
        analyses = self.analyze(articles)
        counts = self._counts(articles, analyses)
        has_body = np.array([bool(a.body.tokens.words) for a in analyses])
        self.head_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts[0])
        self.char_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts[1])
        self.body_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts[2][has_body])
        self.article_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(
            (counts[0] + counts[2])[has_body])
        blocks = self._blocks(articles, analyses, counts)
        X = {learner: design_matrix(blocks, self.BLOCKS[learner]) for learner in self.BLOCKS}
        return Design(data, blocks, X)

    def refit_learners(self, data: TrainingData, design: Design, *,
                       quick: bool = True) -> HypeModel:
        """A copy of this fitted model whose learners and stackers are refit on ``data``,
        subsets of the sets of the ``design`` this model was fitted on (the vectorizers,
        TF-IDF weights and lexicon stay this model's). A learner whose set is the design's
        own (the same object) is taken from this model with its out-of-fold logits; with
        ``quick``, a refit learner's stacker inputs are this fit's out-of-fold logits of its
        remaining rows (one fit per learner instead of ``cv_folds + 1``). The leave-one-
        corpus-out refits of the calibration (:mod:`hypemeter.training.calibration`)."""
        fold = copy.copy(self)
        fold.calibration_ = None  # its scores are the refit stackers' own sigmoid
        fold._fit_learners(design, data, reuse=self, quick=quick)
        return fold

    def with_calibration(self, calibration: ScoreCalibration | None) -> HypeModel:
        """A copy of this fitted model scoring through ``calibration`` (training's validation
        model reads the final model's maps: the leave-one-corpus-out refits are made once)."""
        out = copy.copy(self)
        out.calibration_ = calibration
        return out

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
        # stacker had to compromise between them.
        with_body = meta_x[:, HAS_BODY] > 0
        for (attr, columns), score_set in zip(STACKERS, data.score_sets, strict=True):
            for kind, mask in (("article", with_body), ("headline", ~with_body)):
                part = subset(score_set, mask[score_set.idx])
                if not ((part.y > 0).any() and (part.y < 1).any()):
                    part = score_set  # too little data of this kind: share the whole set
                setattr(self, f"{attr}_{kind}_", soft_fit(
                    new_learner(self.C_meta, self.seed), meta_x[part.idx][:, columns], part.y,
                    data.stacker_weights(part)))

    # ------------------------------------------------------------------ features
    def analyze(self, articles: Sequence[Article]) -> list[Analysis]:
        fields = analyze_fields(
            [(text, head) for a in articles for text, head in ((a.headline, True),
                                                              (a.body, False))],
            self.lexicon_, self.valence_, mask=self.identity_mask)
        return [Analysis(fields[k], fields[k + 1]) for k in range(0, len(fields), 2)]

    def _counts(
        self, articles: Sequence[Article], analyses: Sequence[Analysis]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """Raw hashed counts: headline words, headline characters, body words."""
        heads = [(an.headline.masked or a.headline).replace("’", "'")
                 for a, an in zip(articles, analyses, strict=True)]
        return (
            _word_counts(self.head_words_, [a.headline for a in analyses]),
            self._head_chars().transform(heads),
            _word_counts(self.body_words_, [a.body for a in analyses]),
        )

    def _head_chars(self) -> HashingVectorizer | CharWbNgrams:
        """``head_chars_``, or its faster exact equivalent (kept per process, not pickled)."""
        fast: CharWbNgrams | None = self.__dict__.get("_head_chars_fast")
        if fast is not None and fast.vectorizer is self.head_chars_:
            return fast
        if not CharWbNgrams.supports(self.head_chars_):
            return self.head_chars_
        fast = self.__dict__["_head_chars_fast"] = CharWbNgrams(self.head_chars_)
        return fast

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_head_chars_fast"}

    def _blocks(
        self,
        articles: Sequence[Article],
        analyses: Sequence[Analysis],
        counts: tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix] | None = None,
    ) -> dict[str, Any]:
        copy = counts is not None  # the caller's counts stay as they are; fresh ones are reused
        hw, hc, bw = counts if counts is not None else self._counts(articles, analyses)
        aw = hw + bw  # a new matrix, taken before hw and bw may be rewritten in place
        return {
            "hw": _tfidf(self.head_tfidf_, hw, copy=copy),
            "hc": _tfidf(self.char_tfidf_, hc, copy=copy),
            "bw": _tfidf(self.body_tfidf_, bw, copy=copy),
            "aw": _tfidf(self.article_tfidf_, aw, copy=False),
            "sh": np.vstack([a.headline.style for a in analyses]),
            "sb": np.vstack([a.body.style for a in analyses]),
        }

    # Which feature blocks each base learner reads, in column order.
    BLOCKS: ClassVar[dict[str, tuple[str, ...]]] = {
        "headline": ("hw", "hc", "sh"),
        "body": ("bw", "sb"),
        "claim": ("hw", "hc"),
        # n-grams only: style vectors tell the article corpora apart and did not transfer to
        # a held-out corpus (leave-one-corpus-out on FakeNewsNet: 0.69 without, 0.60 with)
        "article": ("hw", "bw"),
        # headline and body words in one bag: separately normalised, the few headline words
        # weighed as much as the whole body (unseen hyperpartisan domains: 0.807 vs 0.782)
        "sens_article": ("aw",),
    }

    @classmethod
    def _decision(cls, model: LogisticRegression, b: dict[str, Any], learner: str) -> np.ndarray:
        """``X @ coef + intercept`` block by block: no stacked matrix, no per-call input
        validation (scoring calls this nine times per batch; it must be cheap)."""
        coef = model.coef_[0]
        out = np.full(b["sh"].shape[0], model.intercept_[0])
        start = 0
        for key in cls.BLOCKS[learner]:
            block = b[key]
            width = block.shape[1]
            out += np.asarray(block @ coef[start:start + width]).ravel()
            start += width
        return out

    def _base_logits(self, b: dict[str, Any]) -> np.ndarray:
        has_h = 1.0 - b["sh"][:, 0]
        has_b = 1.0 - b["sb"][:, 0]
        cap = LOGIT_CAP
        return np.column_stack([
            np.clip(self._decision(self.headline_, b, "headline"), -cap, cap) * has_h,
            np.clip(self._decision(self.body_, b, "body"), -cap, cap) * has_b,
            np.clip(self._decision(self.claim_, b, "claim"), -cap, cap) * has_h,
            np.clip(self._decision(self.article_, b, "article"), -cap, cap),
            np.clip(self._decision(self.loaded_head_, b, "headline"), -cap, cap) * has_h,
            np.clip(self._decision(self.sens_article_, b, "sens_article"), -cap, cap) * has_b,
        ])

    @staticmethod
    def _meta(b: dict[str, Any], logits: np.ndarray) -> np.ndarray:
        """Stacker input: base logits, field presence, style signals. Length is left out: it
        tells corpora apart, not sensational from sober text."""
        has_h = 1.0 - b["sh"][:, :1]
        has_b = 1.0 - b["sb"][:, :1]
        return np.hstack([logits, has_h, has_b, b["sh"][:, META_STYLE], b["sb"][:, META_STYLE]])

    # ------------------------------------------------------------------ predict
    def predict_scores(
        self, articles: Sequence[Article], analyses: Sequence[Analysis] | None = None
    ) -> np.ndarray:
        """Return an (n, 2) array: sensationalism, misinformation_risk."""
        if analyses is None:
            analyses = self.analyze(articles)
        blocks = self._blocks(articles, analyses)
        meta_x = self._meta(blocks, self._base_logits(blocks))
        with_body = meta_x[:, HAS_BODY] > 0
        out = self._stacker_logits(meta_x)
        if self.calibration_ is None:  # the stackers' own sigmoid
            return expit(out)
        return self.calibration_(out, with_body)

    def _stacker_logits(self, meta_x: np.ndarray) -> np.ndarray:
        """The stackers' (n, 2) logits, before ``calibration_`` (see
        :mod:`hypemeter.scoring.calibration`)."""
        with_body = meta_x[:, HAS_BODY] > 0
        out = np.empty((len(meta_x), 2))
        for j, (attr, columns) in enumerate(STACKERS):
            for kind, mask in (("article", with_body), ("headline", ~with_body)):
                model = getattr(self, f"{attr}_{kind}_")
                out[mask, j] = meta_x[mask][:, columns] @ model.coef_[0] + model.intercept_[0]
        return out

    def base_logits(
        self, articles: Sequence[Article], analyses: Sequence[Analysis] | None = None
    ) -> np.ndarray:
        """Each base learner's capped logit (columns :data:`LOGIT_COLUMNS`; 0 for a learner
        of an absent field)."""
        analyses = self.analyze(articles) if analyses is None else analyses
        return self._base_logits(self._blocks(articles, analyses))

    def explain(
        self, articles: Sequence[Article], analyses: Sequence[Analysis], *, spans: bool = True,
        max_spans: int | None = None, sentences: bool = False,
    ) -> list[Explained]:
        """Phrase spans and sentence scores of each article
        (:func:`hypemeter.scoring.explain.explain`)."""
        return explain(self, articles, analyses, spans=spans, max_spans=max_spans,
                       sentences=sentences)


def _word_counts(vectorizer: Any, fields: list[FieldAnalysis]) -> sp.csr_matrix:
    """Hashed word counts, from the hashes the analysis already has when it has them."""
    if type(vectorizer) is HashedNgrams and all(fa.hashes is not None for fa in fields):
        return vectorizer.transform_hashes([fa.hashes for fa in fields])  # type: ignore[misc]
    return vectorizer.transform([fa.tokens.words for fa in fields])
