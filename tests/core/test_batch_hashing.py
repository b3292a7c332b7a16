"""The hashed count matrices are built for a whole batch at once (columns of every document in
one array operation, repeats counted without a per-document matrix); they must equal, entry
for entry and in their canonical layout, what hashing each document on its own gives."""

from __future__ import annotations

import random
from itertools import pairwise

import numpy as np
import pytest
import scipy.sparse as sp

from hypemeter.analysis.vectorize import CharWbNgrams, HashedNgrams, murmurhash

_MIX = 0x9E3779B97F4A7C15
_ADD = 0x632BE59BD9B4E019


def reference_matrix(docs: list[list[str]], n_features: int, bigrams: bool) -> sp.csr_matrix:
    """Each document's unigram and bigram columns counted on their own, in plain Python."""
    rows, cols, data = [], [], []
    for k, words in enumerate(docs):
        hashes = [murmurhash(w, signed=False) for w in words]
        counts: dict[int, int] = {}
        grams = [h % n_features for h in hashes]
        if bigrams:
            grams += [(((a * _MIX) % 2**64) ^ ((b + _ADD) % 2**64)) % n_features
                      for a, b in pairwise(hashes)]
        for c in grams:
            counts[c] = counts.get(c, 0) + 1
        for c in sorted(counts):
            rows.append(k)
            cols.append(c)
            data.append(float(counts[c]))
    X = sp.csr_matrix((data, (rows, cols)), shape=(len(docs), n_features))
    X.sort_indices()
    return X


def _docs(seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    vocabulary = ["the", "a", "shocking", "naïve", "東京", "don't", "x" * 40, "it", "is", "ß"]
    docs = []
    for _ in range(40):
        size = rng.choice([0, 0, 1, 2, 3, 17, 200])
        docs.append([rng.choice(vocabulary) for _ in range(size)])
    return docs


def _same(ours: sp.csr_matrix, theirs: sp.csr_matrix) -> None:
    assert ours.shape == theirs.shape
    assert ours.has_canonical_format
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)
    assert ours.data.dtype == np.float64


@pytest.mark.parametrize("n_features", [2**18, 2**4, 1000, 7])
@pytest.mark.parametrize("bigrams", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_counts_equal_each_document_hashed_alone(n_features: int, bigrams: bool,
                                                       seed: int) -> None:
    docs = _docs(seed)
    vec = HashedNgrams(n_features=n_features, bigrams=bigrams)
    expected = reference_matrix(docs, n_features, bigrams)
    _same(vec.transform(docs), expected)
    hashes = [np.array([murmurhash(w, signed=False) for w in d], np.int64) for d in docs]
    _same(vec.transform_hashes(hashes), expected)
    for k in (0, 1, 5):  # small batches, as the service scores them
        _same(vec.transform(docs[k:k + 1]), expected[k:k + 1])


def test_empty_batches_and_empty_documents() -> None:
    vec = HashedNgrams(n_features=2**10)
    assert vec.transform([]).shape == (0, 2**10)
    assert vec.transform_hashes([]).shape == (0, 2**10)
    X = vec.transform([[], [], []])
    assert X.shape == (3, 2**10) and X.nnz == 0
    words = [["shocking", "news"], [], ["news"]]
    hashes = [np.array([murmurhash(w, signed=False) for w in d], np.int64) for d in words]
    hashes[1] = np.array([])  # float64, as an empty array is made by default
    _same(vec.transform_hashes(hashes), vec.transform(words))
    assert CharWbNgrams(n_features=2**10).transform(["", "  "]).nnz == 0


def test_column_is_the_batch_column_of_a_unigram_and_a_bigram() -> None:
    vec = HashedNgrams(n_features=1000)
    X = vec.transform([["shocking", "news"]])
    assert sorted(X.indices.tolist()) == sorted(
        {vec.column(["shocking"]), vec.column(["news"]), vec.column(["shocking", "news"])})


def test_char_ngram_batch_equals_each_headline_alone() -> None:
    heads = ["You WON'T believe this", "", "a", "naïve café résumé résumé", "x " * 30, "東京 😀"]
    vec = CharWbNgrams(n_features=2**12)
    together = vec.transform(heads)
    for k, head in enumerate(heads):
        _same(CharWbNgrams(n_features=2**12).transform([head]), together[k:k + 1])
