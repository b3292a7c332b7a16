"""A profile's adapter: small models fitted on one newsroom's own labels, on top of the shipped
model's two scores and the newsroom's own words.

Per head (``sensationalism``, ``misinformation_risk``), four candidate recipes:

* ``base``: the shipped model's score as it is;
* ``recalibrate``: a logistic regression on the logits of the two base scores;
* ``words``: a logistic regression on the profile's own words (TF-IDF of hashed word uni- and
  bigrams, the idf learnt on the profile's texts);
* ``both``: one logistic regression on the words and the two base logits together;
* ``blend`` (from ``BLEND_MIN_LABELS`` labels): the mean of ``recalibrate`` and ``words``, each
  Platt-scaled on its out-of-fold decisions, each member the mean of its fold models (so the two
  keep the scale the weights were learnt on); one coefficient vector, applied as ``both``.

They are compared by repeated stratified out-of-fold ROC-AUC on the profile's labels. The best
is kept only if it beats the base scores out of fold (by more than ``min_gain``); its output is
then calibrated out of fold (Platt scaling on its out-of-fold decision values), so the adapted
score is still a probability. Below ``min_per_class`` labels of either class the head serves
the base score.

Follows scikit-learn's conventions: parameters in ``__init__`` (``get_params``), ``fit``
returns ``self``, fitted attributes end in ``_``. Everything fitted is plain arrays and numbers,
which is how :mod:`hypemeter.profiles.codec` stores it (never a pickle). Fitting uses
scikit-learn (imported by ``fit``); applying a fitted adapter (:meth:`ProfileAdapter.
predict_scores`, what the service does per request) does not import it.
"""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from hypemeter.analysis.vectorize import murmurhash
from hypemeter.scoring.logistic import expit, logit

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression

HEADS: tuple[str, str] = ("sensationalism", "misinformation_risk")
RECIPES: tuple[str, ...] = ("base", "recalibrate", "words", "both", "blend")
FITTED: tuple[str, ...] = ("recalibrate", "words", "both")  # the recipes fitted on features
BLEND_MEMBERS: tuple[str, ...] = ("recalibrate", "words")
# Below this many labels the blend's weights, learnt on the same out-of-fold decisions they are
# judged on, look better out of fold than they are (measured: bench_profile_recipes, k = 25)
BLEND_MIN_LABELS = 40
EPS = 1e-4
N_FEATURES = 2**20
PROBA_FLOOR = 1e-3  # an adapted score is never a certainty
NGRAMS = (1, 2)


def article_text(headline: str, body: str) -> str:
    return f"{headline}\n{body}"


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC (ties count half), as ``sklearn.metrics.roc_auc_score`` without its checks."""
    from scipy.stats import rankdata  # fitting only

    ranks = rankdata(score)
    pos = y == 1
    n_pos = int(pos.sum())
    n_neg = len(y) - n_pos
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def base_logits(base: np.ndarray) -> np.ndarray:
    """The logits of the two base scores (clipped to [EPS, 1 - EPS])."""
    return logit(np.clip(np.asarray(base, dtype=np.float64), EPS, 1 - EPS))


# HashingVectorizer(n_features=N_FEATURES, ngram_range=NGRAMS, alternate_sign=False,
# norm=None, lowercase=True)'s words: its default token pattern on the lowercased text, then
# each word and each pair of neighbours (tests/core/test_profile_adapter_hashing.py compares)
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


_CACHE_LIMIT = 200_000  # tokens whose column is kept per process (then it starts again)
_columns: dict[str, int] = {}


def _column(token: str) -> int:
    """``HashingVectorizer``'s column of a token: ``abs`` of the signed MurmurHash3, with
    ``-2**31`` mapped as scikit-learn maps it."""
    h = murmurhash(token)
    return (2**31 - 1 - (N_FEATURES - 1)) % N_FEATURES if h == -(2**31) else abs(h) % N_FEATURES


def _features(text: str) -> list[int]:
    """The hashed columns of a text's words and word pairs, as ``HashingVectorizer`` hashes
    them (memoised per token)."""
    global _columns
    words = _TOKEN.findall(text.lower())
    tokens = words + list(map(" ".join, pairwise(words)))
    cache = _columns
    try:
        return list(map(cache.__getitem__, tokens))
    except KeyError:
        if len(cache) > _CACHE_LIMIT:
            cache = _columns = {}
        for token in tokens:
            if token not in cache:
                cache[token] = _column(token)
        return list(map(cache.__getitem__, tokens))


def hashed_counts(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``HashingVectorizer``'s counts (same tokens, same hashes) as (row, feature, count)
    arrays sorted by row then feature, without the vectorizer's per-call checks and sparse
    matrix (what scoring one article with an adapter spends most of its time on)."""
    per_text = [_features(text) for text in texts]
    features = np.fromiter((f for fs in per_text for f in fs), np.int64,
                           sum(map(len, per_text)))
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), [len(fs) for fs in per_text])
    keys, counts = np.unique(rows * N_FEATURES + features, return_counts=True)
    return keys // N_FEATURES, keys % N_FEATURES, counts.astype(np.float64)


def hashed_matrix(texts: Sequence[str]) -> sp.csr_matrix:
    """:func:`hashed_counts` as the CSR matrix ``HashingVectorizer.transform`` gives."""
    rows, features, counts = hashed_counts(texts)
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(texts)), out=indptr[1:])
    return sp.csr_matrix((counts, features.astype(np.int32), indptr),
                         shape=(len(texts), N_FEATURES))


@dataclass
class HeadFit:
    """What one head learnt (or why it serves the base score)."""

    recipe: str = "base"
    labels: int = 0
    oof_auc_base: float | None = None
    oof_auc_adapted: float | None = None
    active: bool = False
    coef: np.ndarray = field(default_factory=lambda: np.zeros(0))
    intercept: float = 0.0
    platt: tuple[float, float] = (1.0, 0.0)
    candidates: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"recipe": self.recipe if self.active else "base", "labels": self.labels,
                "oof_auc_base": _round(self.oof_auc_base),
                "oof_auc_adapted": _round(self.oof_auc_adapted), "active": self.active,
                "best_candidate": self.recipe,
                "candidates": {k: _round(v) for k, v in self.candidates.items()}}


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


class ProfileAdapter:
    """Adapts the base model's two scores to one profile's labels (see the module doc)."""

    def __init__(self, *, min_per_class: int = 8, n_splits: int = 5, n_repeats: int = 2,
                 C_words: float = 100.0, C_recalibrate: float = 1.0, min_df: int = 2,
                 min_gain: float = 0.0, random_state: int = 0) -> None:
        self.min_per_class = min_per_class
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.C_words = C_words
        self.C_recalibrate = C_recalibrate
        self.min_df = min_df
        self.min_gain = min_gain
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters (scikit-learn's convention; ``sklearn.clone`` works)."""
        return {k: getattr(self, k) for k in inspect.signature(ProfileAdapter.__init__).parameters
                if k != "self"}

    def set_params(self, **params: Any) -> ProfileAdapter:
        for key, value in params.items():
            if key not in self.get_params():
                raise ValueError(f"invalid parameter {key!r} for ProfileAdapter")
            setattr(self, key, value)
        return self

    # ------------------------------------------------------------------ features

    def _idf(self, counts: sp.csr_matrix) -> None:
        df = np.bincount(counts.indices, minlength=N_FEATURES)
        n = counts.shape[0]
        self.vocab_ = np.flatnonzero(df >= self.min_df).astype(np.int64)
        self.idf_ = np.log((1.0 + n) / (1.0 + df[self.vocab_])) + 1.0
        self.default_idf_ = float(np.log(1.0 + n) + 1.0)  # a word the profile never used
        self.n_docs_ = int(n)

    def words(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows over the profile's vocabulary (sublinear tf, l2 rows; words outside the
        vocabulary count in the norm with the idf of an unseen word)."""
        return self._words(hashed_matrix(texts))

    def _words(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        rows, pos, data = self._terms(counts)
        return sp.csr_matrix((data, (rows, pos)), shape=(counts.shape[0], len(self.vocab_)))

    def _terms(self, counts: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The non-zero TF-IDF entries of :meth:`_words` as (row, vocabulary column, value)
        arrays."""
        counts.sort_indices()
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        return self._tfidf(counts.shape[0], rows, counts.indices, counts.data)

    def _tfidf(self, n: int, rows: np.ndarray, features: np.ndarray, counts: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        data = 1.0 + np.log(counts)
        vocab = self.vocab_
        if len(vocab):
            pos = np.minimum(np.searchsorted(vocab, features), len(vocab) - 1)
            known = vocab[pos] == features
        else:
            pos = np.zeros(len(features), dtype=np.int64)
            known = np.zeros(len(features), dtype=bool)
        data *= np.where(known, self.idf_[pos] if len(vocab) else 0.0, self.default_idf_)
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n))
        norms[norms == 0.0] = 1.0
        data /= norms[rows]
        return rows[known], pos[known], data[known]

    @staticmethod
    def _design(recipe: str, words: sp.csr_matrix, z: np.ndarray) -> sp.csr_matrix | np.ndarray:
        if recipe == "recalibrate":
            return z
        if recipe == "words":
            return words
        return sp.hstack([words, sp.csr_matrix(z)], format="csr")

    def _model(self, recipe: str) -> LogisticRegression:
        from sklearn.linear_model import LogisticRegression  # fitting only

        C = self.C_recalibrate if recipe == "recalibrate" else self.C_words
        # liblinear: a few ms on a few hundred rows, where lbfgs spends its time in set-up
        return LogisticRegression(C=C, max_iter=200, solver="liblinear")

    # ------------------------------------------------------------------ fit

    def fit(self, texts: Sequence[str], base: np.ndarray,
            labels: dict[str, Sequence[float | None]]) -> ProfileAdapter:
        """``texts``: one per correction (:func:`article_text`); ``base``: (n, 2) base scores
        in head order; ``labels``: per head, 0/1 or None (not labelled) per correction."""
        base = np.asarray(base, dtype=np.float64).reshape(len(texts), 2)
        counts = hashed_matrix(texts)
        self._idf(counts)
        words = self._words(counts)
        z = base_logits(base)
        self.heads_: dict[str, HeadFit] = {}
        for h, head in enumerate(HEADS):
            raw = labels.get(head, [None] * len(texts))
            mask = np.array([v is not None for v in raw], dtype=bool)
            y = np.array([v for v in raw if v is not None], dtype=np.int64)
            self.heads_[head] = self._fit_head(words[mask], z[mask], base[mask, h], y)
        return self

    def _fit_head(self, words: sp.csr_matrix, z: np.ndarray, base: np.ndarray,
                  y: np.ndarray) -> HeadFit:
        from sklearn.exceptions import ConvergenceWarning  # fitting only
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import RepeatedStratifiedKFold

        result = HeadFit(labels=len(y))
        per_class = np.bincount(y, minlength=2) if len(y) else np.zeros(2, dtype=np.int64)
        if per_class.min() < self.min_per_class:
            return result  # too few labels of a class: the base score
        result.oof_auc_base = float(roc_auc(y, base))
        splits = min(self.n_splits, int(per_class.min()))
        folds = list(RepeatedStratifiedKFold(n_splits=splits, n_repeats=self.n_repeats,
                                             random_state=self.random_state).split(z, y))
        wanted = [r for r in RECIPES[1:] if r != "blend" or len(y) >= BLEND_MIN_LABELS]
        oof: dict[str, np.ndarray] = {}
        folded: dict[str, tuple[np.ndarray, float]] = {}  # the mean of each fold's model
        n_words = words.shape[1]
        for recipe in FITTED:
            if recipe not in wanted and not ("blend" in wanted and recipe in BLEND_MEMBERS):
                continue
            X = self._design(recipe, words, z)
            decisions = np.zeros((self.n_repeats, len(y)))
            coef, intercept = np.zeros(X.shape[1]), 0.0
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                for k, (train, test) in enumerate(folds):
                    model = self._model(recipe).fit(X[train], y[train])
                    decisions[k // splits, test] = model.decision_function(X[test])
                    coef += model.coef_[0] / len(folds)
                    intercept += float(model.intercept_[0]) / len(folds)
            oof[recipe] = decisions
            folded[recipe] = (self._as_both(recipe, coef, n_words), intercept)
        if "blend" in wanted:
            oof["blend"], blended = self._blend(oof, folded, y)
        for recipe in wanted:
            result.candidates[recipe] = float(np.mean([roc_auc(y, d) for d in oof[recipe]]))
        result.candidates["base"] = result.oof_auc_base
        best = max(wanted, key=lambda r: result.candidates[r])
        result.recipe = best
        result.oof_auc_adapted = result.candidates[best]
        result.active = result.oof_auc_adapted > result.oof_auc_base + self.min_gain
        if not result.active:
            return result
        # Platt scaling on the out-of-fold decisions of every repeat: a probability again
        d = oof[best].reshape(-1, 1)
        platt = LogisticRegression(C=1.0, solver="liblinear").fit(d, np.tile(y, self.n_repeats))
        result.platt = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
        if best == "blend":
            result.coef, result.intercept = blended
            return result
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            final = self._model(best).fit(self._design(best, words, z), y)
        result.coef = final.coef_[0].astype(np.float64)
        result.intercept = float(final.intercept_[0])
        return result

    @staticmethod
    def _as_both(recipe: str, coef: np.ndarray, n_words: int) -> np.ndarray:
        """A recipe's coefficients over ``both``'s design (the words, then the two logits)."""
        if recipe == "recalibrate":
            return np.concatenate([np.zeros(n_words), coef])
        if recipe == "words":
            return np.concatenate([coef, np.zeros(2)])
        return coef

    def _blend(self, oof: dict[str, np.ndarray], folded: dict[str, tuple[np.ndarray, float]],
               y: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, float]]:
        """The blend's out-of-fold decisions, and its model over ``both``'s design: the mean
        of the members' Platt-scaled decisions (a linear model again)."""
        from sklearn.linear_model import LogisticRegression  # fitting only

        tiled = np.tile(y, self.n_repeats)
        decisions = np.zeros_like(oof[BLEND_MEMBERS[0]])
        coef, intercept = np.zeros_like(folded[BLEND_MEMBERS[0]][0]), 0.0
        for member in BLEND_MEMBERS:
            platt = LogisticRegression(C=1.0, solver="liblinear").fit(
                oof[member].reshape(-1, 1), tiled)
            a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
            decisions += (a * oof[member] + b) / len(BLEND_MEMBERS)
            coef += a * folded[member][0] / len(BLEND_MEMBERS)
            intercept += (a * folded[member][1] + b) / len(BLEND_MEMBERS)
        return decisions, (coef.astype(np.float64), float(intercept))

    # ------------------------------------------------------------------ apply

    @property
    def active(self) -> bool:
        return any(h.active for h in self.heads_.values())

    def predict_scores(self, texts: Sequence[str], base: np.ndarray) -> np.ndarray:
        """(n, 2) scores: the adapted probability for an active head, the base score else."""
        base = np.asarray(base, dtype=np.float64).reshape(len(texts), 2)
        out = base.copy()
        if not self.active:
            return out
        z = base_logits(base)
        n = len(texts)
        needs_words = any(h.active and h.recipe != "recalibrate" for h in self.heads_.values())
        # X @ coef term by term (no sparse matrix built: scoring one article stays cheap)
        terms = self._tfidf(n, *hashed_counts(texts)) if needs_words else None
        for i, head in enumerate(HEADS):
            fit = self.heads_[head]
            if not fit.active:
                continue
            decision = np.full(n, fit.intercept)
            if fit.recipe != "recalibrate" and terms is not None:
                rows, pos, data = terms
                decision += np.bincount(rows, weights=data * fit.coef[pos], minlength=n)
            if fit.recipe != "words":
                decision += z @ fit.coef if fit.recipe == "recalibrate" else z @ fit.coef[-2:]
            a, b = fit.platt
            out[:, i] = np.clip(expit(a * decision + b), PROBA_FLOOR, 1 - PROBA_FLOOR)
        return out
