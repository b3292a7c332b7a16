"""The hypemeter model: six base learners stacked into two calibrated scores.

Base learners (linear models on case-normalised hashed n-grams, some with style vectors):
``headline_`` (clickbait-style headlines), ``body_`` (loaded, hyperbolic, fear-laden article
language), ``claim_`` (false claims and fake titles), ``article_`` (fabricated full articles),
``loaded_head_`` (loaded headlines) and ``sens_article_`` (sensational full articles, headline
and body n-grams in one bag). Which corpora teach each one, and how they are fitted, is
training's business: :mod:`hypemeter.training.recipe` and :mod:`hypemeter.training.stacking`;
this module holds what scoring needs, and :class:`~hypemeter.scoring.fit.Fitting` (mixed in)
the estimator's ``fit``.

Four stackers (logistic regressions on out-of-fold base logits; the sensationalism ones also
on both fields' style vectors) turn them into ``sensationalism`` and ``misinformation_risk``
probabilities: one per score for text with a body and one for headlines alone, because titles
and claims teach a different task than articles. A headline's clickbait signal and a body's
loaded language both count, and a field that is absent contributes nothing. ``calibration_``
(:mod:`hypemeter.scoring.calibration`, fitted on leave-one-corpus-out predictions) maps the
stackers' logits to probabilities at each score's reference prevalence; a model without one
reads the stackers' own sigmoid.

A fitted model holds no scikit-learn object: fitting compiles each estimator it fits into its
serving form at once (:mod:`hypemeter.scoring.linear`: :class:`Linear` learners and stackers,
:class:`Tfidf` weights; the character n-grams are :class:`CharWbNgrams`), and that is what
scores, in training's evaluation as in a bundle (:mod:`hypemeter.bundles.model_file`).
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from hypemeter.analysis.features import FieldAnalysis, analyze_fields
from hypemeter.analysis.vectorize import HashedNgrams
from hypemeter.records.results import Article
from hypemeter.scoring.calibration import ScoreCalibration
from hypemeter.scoring.explain import Explained, explain
from hypemeter.scoring.fit import Fitting
from hypemeter.scoring.fitting import (  # the stacked layout, importable from here as before
    EPS,
    HAS_BODY,
    LEARNER_BLOCKS,  # noqa: F401
    LOGIT_COLUMNS,  # noqa: F401
    META_FEATURE_NAMES,  # noqa: F401
    META_STYLE,
    MIS_COLUMNS,  # noqa: F401
    STACKERS,
    stacker_kinds,
)
from hypemeter.scoring.linear import Linear
from hypemeter.scoring.logistic import expit


def word_ngrams(words: list[str]) -> list[str]:
    """Unigrams and bigrams of already-normalised tokens (the hashing analyzer)."""
    return words + list(map(" ".join, pairwise(words)))


LOGIT_CAP = float(np.log((1 - EPS) / EPS))


@dataclass(frozen=True, slots=True)
class Analysis:
    headline: FieldAnalysis
    body: FieldAnalysis


class HypeModel(Fitting):
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
        body_stacker: bool = True,
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
        # Text with a body and no headline (a snippet, a post, one sentence) has stackers of
        # its own rather than sharing the articles' (see hypemeter.scoring.fitting.stacker_kinds)
        self.body_stacker = body_stacker

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters (scikit-learn's convention)."""
        return {k: getattr(self, k) for k in inspect.signature(HypeModel.__init__).parameters
                if k != "self"}

    # ------------------------------------------------------------------ calibration
    def with_calibration(self, calibration: ScoreCalibration | None) -> HypeModel:
        """A copy of this fitted model scoring through ``calibration`` (training's validation
        model reads the final model's maps: the leave-one-corpus-out refits are made once)."""
        out = copy.copy(self)
        out.calibration_ = calibration
        return out

    # ------------------------------------------------------------------ features
    def analyze(self, articles: Sequence[Article], *, matches: bool = True) -> list[Analysis]:
        """The text analysis of each article's fields; without ``matches`` the lexicon matches
        are counted in the style vectors but not listed (enough to score, not to explain)."""
        fields = analyze_fields(
            [(text, head) for a in articles for text, head in ((a.headline, True),
                                                              (a.body, False))],
            self.lexicon_, self.valence_, mask=self.identity_mask, matches=matches)
        return [Analysis(fields[k], fields[k + 1]) for k in range(0, len(fields), 2)]

    def _counts(
        self, articles: Sequence[Article], analyses: Sequence[Analysis]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """Raw hashed counts: headline words, headline characters, body words."""
        heads = [(an.headline.masked or a.headline).replace("’", "'")
                 for a, an in zip(articles, analyses, strict=True)]
        return (
            _word_counts(self.head_words_, [a.headline for a in analyses]),
            self.head_chars_.transform(heads),
            _word_counts(self.body_words_, [a.body for a in analyses]),
        )

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
            "hw": self.head_tfidf_.transform(hw, copy=copy),
            "hc": self.char_tfidf_.transform(hc, copy=copy),
            "bw": self.body_tfidf_.transform(bw, copy=copy),
            "aw": self.article_tfidf_.transform(aw, copy=False),
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
    def _decision(cls, model: Linear, b: dict[str, Any], learner: str) -> np.ndarray:
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
        out = np.empty((len(meta_x), 2))
        kinds = stacker_kinds(meta_x, self.body_stacker)
        for j, (attr, columns) in enumerate(STACKERS):
            for kind, mask in kinds:
                model: Linear = getattr(self, f"{attr}_{kind}_")
                out[mask, j] = model.decision(meta_x[mask][:, columns])
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
