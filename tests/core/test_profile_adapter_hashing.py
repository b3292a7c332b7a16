"""The adapter's scoring shortcut hashes an article's words with :func:`hashed_counts`, not
``HashingVectorizer.transform`` (whose per-call checks and sparse matrix cost more than the
rest of applying an adapter): the same features and counts, row by row, for any text."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from hypemeter.profiles.adapter import (
    N_FEATURES,
    NGRAMS,
    article_text,
    hashed_counts,
    hashed_matrix,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from profile_texts import newsroom


def test_hashed_counts_count_what_the_vectorizer_counts() -> None:
    texts = [article_text(a["headline"], a["body"]) for a in newsroom(20, seed=5)]
    texts += ["", "Ünïcode café — “quotes” and café again", "a a a b", "word word word",
              "ΣΊΣΥΦΟΣ İstanbul ǅungla 東京 naïve_x __init__ x2 ٣٤ don't", ""]
    X = HashingVectorizer(n_features=N_FEATURES, ngram_range=NGRAMS, alternate_sign=False,
                          norm=None, lowercase=True, dtype=np.float64).transform(texts).tocsr()
    X.sort_indices()
    ours = hashed_matrix(texts)
    assert (ours != X).nnz == 0 and ours.has_sorted_indices
    rows, features, counts = hashed_counts(texts)
    np.testing.assert_array_equal(rows, np.repeat(np.arange(len(texts)), np.diff(X.indptr)))
    np.testing.assert_array_equal(features, X.indices)
    np.testing.assert_array_equal(counts, X.data)
    assert counts.max() >= 3  # repeated words are counted, not just present


def test_no_text_no_counts() -> None:
    assert all(len(a) == 0 for a in hashed_counts([]))
    assert all(len(a) == 0 for a in hashed_counts([""]))
