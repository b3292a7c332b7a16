"""The serving form of the model's fitted parts: plain NumPy arrays in hypemeter classes.

Training fits scikit-learn estimators (``LogisticRegression``, ``TfidfTransformer``) and
compiles each one at once into the class here that scores with its arrays (:meth:`Linear.of`,
:meth:`Tfidf.of`), so a fitted :class:`~hypemeter.scoring.model.HypeModel`, a bundle's pickle
and everything that scores (the CLI, the service, the engines, training's own evaluation) hold
no scikit-learn object and never import scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True, slots=True)
class Linear:
    """A fitted binary linear model: ``decision(X) = X @ coef_[0] + intercept_[0]``
    (scikit-learn's layout: ``coef_`` of shape (1, n_features), ``intercept_`` of shape (1,))."""

    coef_: np.ndarray
    intercept_: np.ndarray

    @classmethod
    def of(cls, estimator: Any) -> Linear:
        """Compile a fitted binary linear classifier (``coef_``, ``intercept_``): the arrays
        themselves, so the scores are the estimator's to the last bit."""
        coef = np.asarray(estimator.coef_)
        intercept = np.asarray(estimator.intercept_)
        if coef.ndim != 2 or coef.shape[0] != 1 or intercept.shape != (1,):
            raise ValueError(f"not a binary linear model: coef_ {coef.shape}, intercept_ "
                             f"{intercept.shape}")
        return cls(coef, intercept)

    def decision(self, X: Any) -> np.ndarray:
        """``X @ coef + intercept`` for a dense or sparse (n, n_features) ``X``."""
        return np.asarray(X @ self.coef_[0]).ravel() + self.intercept_[0]


@dataclass(frozen=True, slots=True)
class Tfidf:
    """Fitted TF-IDF weights: ``idf_`` per column, ``1 + log(tf)`` when ``sublinear_tf``, and
    l2-normalised rows (what a fitted ``TfidfTransformer(norm="l2")`` computes)."""

    idf_: np.ndarray
    sublinear_tf: bool

    @classmethod
    def of(cls, transformer: Any) -> Tfidf:
        """Compile a fitted ``TfidfTransformer`` (l2 rows, idf weights)."""
        if transformer.norm != "l2" or not transformer.use_idf:
            raise ValueError("Tfidf compiles a TfidfTransformer with norm='l2' and use_idf only")
        return cls(np.asarray(transformer.idf_), bool(transformer.sublinear_tf))

    def transform(self, counts: sp.csr_matrix, *, copy: bool = True) -> sp.csr_matrix:
        """TF-IDF rows of ``counts``; ``copy=False`` rewrites float64 ``counts`` in place,
        which saves a sparse-matrix construction (~15 us, noticeable when scoring one article
        at a time)."""
        X = counts if not copy and counts.dtype == np.float64 else counts.astype(np.float64)
        data = X.data
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf_.take(X.indices)
        lens = X.indptr[1:] - X.indptr[:-1]
        norms = np.sqrt(row_sums(data * data, X.indptr))
        norms[norms == 0.0] = 1.0
        data /= norms.repeat(lens)
        return X


# Stored values past which :func:`row_sums` adds them up with SciPy's sparse product
_SPARSE_SUMS = 2048


def row_sums(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """The sums of the runs ``values[indptr[i]:indptr[i + 1]]``, each added up in order from
    0.0 (what ``np.bincount(rows, weights=values)`` gives, to the last bit). Past a few
    thousand values, as the product of a one-column sparse matrix of ``values`` with a one,
    whose loop adds in the same order (five times faster than ``bincount`` on a batch; for
    a few values ``bincount`` is, its set-up being cheaper than a matrix's)."""
    n = len(indptr) - 1
    if len(values) <= _SPARSE_SUMS:
        rows = np.arange(n).repeat(indptr[1:] - indptr[:-1])
        return np.bincount(rows, weights=values, minlength=n)
    column = sp.csr_matrix((values, np.zeros(len(values), indptr.dtype), indptr), shape=(n, 1))
    return column @ np.ones(1)
