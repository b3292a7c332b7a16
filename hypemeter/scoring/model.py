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

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression

from hypemeter.analysis.features import STYLE_NAMES, FieldAnalysis, analyze_fields
from hypemeter.analysis.vectorize import CharWbNgrams, HashedNgrams
from hypemeter.records.results import Article, Field, Span

EPS = 1e-4
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
        meta_headlines: int = 3000,
        cv_folds: int = 3,
        objective_sources: tuple[str, ...] = ("perez_rosas_amt",),
        mainstream_corpora: tuple[str, ...] = (),
        ptc_soft_scale: float = 0.08,
        own_weight: float | None = 3.0,
        identity_mask: bool = True,
        view_weight: float | None = 0.5,
    ) -> None:
        self.seed = seed
        self.n_features = n_features
        self.C_headline = C_headline
        self.C_body = C_body
        self.C_claim = C_claim
        self.C_article = C_article
        self.C_meta = C_meta
        self.meta_headlines = meta_headlines
        self.cv_folds = cv_folds
        self.objective_sources = objective_sources
        # corpora whose articles labelled not sensational are ordinary reporting: they also
        # teach the misinformation learners what accurate articles look like
        self.mainstream_corpora = mainstream_corpora
        self.ptc_soft_scale = ptc_soft_scale
        # A user's own records (corpora "own:..."): a number gives each own record that many
        # times an ordinary record's weight in every learner and stacker; None balances them
        # like any article corpus (a file of 25 then weighs as much as a whole public corpus,
        # which cost other corpora up to 0.09 ROC-AUC in benchmarks/bench_adaptation.py).
        self.own_weight = own_weight
        # Identity terms (a religion, ethnicity, nationality, orientation, gender identity,
        # disability or political leaning) read as one placeholder word in every feature
        # (hypemeter.analysis.identity); bundles made before this switch read them as words.
        self.identity_mask = identity_mask
        # Training adds body-only, headline-only and first-sentence views of each article at
        # this weight (hypemeter.training.views); None: no views.
        self.view_weight = view_weight

    # ------------------------------------------------------------------ features
    def analyze(self, articles: Sequence[Article]) -> list[Analysis]:
        fields = analyze_fields(
            [(text, head) for a in articles for text, head in ((a.headline, True),
                                                              (a.body, False))],
            getattr(self, "lexicon_", None), self.valence_,
            mask=getattr(self, "identity_mask", False))
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
        calibration = getattr(self, "calibration_", None)  # None: the stackers' own sigmoid
        return expit(out) if calibration is None else calibration(out, with_body)

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

    @staticmethod
    def spans(article: Article, analysis: Analysis, max_spans: int | None = None) -> list[Span]:
        found = _field_spans("headline", article.headline, analysis.headline)
        found += _field_spans("body", article.body, analysis.body)
        if max_spans is not None and len(found) > max_spans:
            keep = sorted(range(len(found)), key=lambda k: (-found[k].weight, k))[:max_spans]
            found = [found[k] for k in sorted(keep)]
        return found


def _word_counts(vectorizer: Any, fields: list[FieldAnalysis]) -> sp.csr_matrix:
    """Hashed word counts, from the hashes the analysis already has when it has them."""
    if type(vectorizer) is HashedNgrams and all(fa.hashes is not None for fa in fields):
        return vectorizer.transform_hashes([fa.hashes for fa in fields])  # type: ignore[misc]
    return vectorizer.transform([fa.tokens.words for fa in fields])


def _field_spans(name: Field, text: str, fa: FieldAnalysis) -> list[Span]:
    starts, ends = fa.tokens.starts, fa.tokens.ends
    out = []
    for m in fa.matches:
        start, end = starts[m.first], ends[m.last]
        out.append(Span(name, start, end, text[start:end], m.category, m.weight))
    return out
