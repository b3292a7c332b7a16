"""The serving TF-IDF (:class:`hypemeter.scoring.linear.Tfidf`) adds up each row's squares in
order, by ``bincount`` for a few values and by a sparse product past that: both must give
scikit-learn's ``TfidfTransformer`` output, and each other's, to the last bit."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

from hypemeter.scoring import linear
from hypemeter.scoring.linear import Tfidf, row_sums


def _counts(rows: int, seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    X = sp.random(rows, 5000, density=0.02, format="csr", random_state=rng,
                  data_rvs=lambda k: rng.integers(1, 9, k).astype(np.float64))
    keep = np.ones(rows)
    keep[3 % rows] = 0.0  # an empty row
    X = (sp.diags(keep) @ X).tocsr()
    X.eliminate_zeros()
    return X


@pytest.mark.parametrize("rows", [1, 4, 60])
def test_row_sums_add_in_order_like_bincount(rows: int) -> None:
    rng = np.random.default_rng(rows)
    lens = rng.integers(0, 200, rows)
    lens[0] = 0
    indptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int32)
    values = rng.random(int(lens.sum())) * 10.0 ** rng.integers(-8, 8, int(lens.sum()))
    expected = np.bincount(np.repeat(np.arange(rows), lens), weights=values, minlength=rows)
    assert np.array_equal(row_sums(values, indptr), expected)


@pytest.mark.parametrize("threshold", [0, 10**9])  # always the sparse product, never
@pytest.mark.parametrize("sublinear", [True, False])
def test_tfidf_is_sklearns_to_the_last_bit(threshold: int, sublinear: bool,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linear, "_SPARSE_SUMS", threshold)
    fit = _counts(200, 0)
    transformer = TfidfTransformer(sublinear_tf=sublinear).fit(fit)
    tfidf = Tfidf.of(transformer)
    for rows in (1, 7, 150):
        X = _counts(rows, rows)
        theirs = transformer.transform(X)
        ours = tfidf.transform(X)
        assert np.array_equal(ours.indptr, theirs.indptr)
        assert np.array_equal(ours.indices, theirs.indices)
        assert np.array_equal(ours.data, theirs.data)
        again = X.copy()
        assert np.array_equal(tfidf.transform(again, copy=False).data, theirs.data)
