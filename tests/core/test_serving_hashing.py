"""The serving path hashes with ``mmh3``; scikit-learn's ``murmurhash3_32`` is what the shipped
model's hashed columns were fitted with, so the two must agree on every string (non-ASCII too)."""

from __future__ import annotations

import mmh3
import numpy as np
import pytest
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

from hypemeter.analysis.vectorize import CharWbNgrams, HashedNgrams, murmurhash

STRINGS = ["", "a", "hello", "naïve", "café résumé", "東京", "😀", "ﬁne", "İstanbul", "ß",
           "\u00a0", "don't", "it’s", " ab ", "x" * 257, "ΣΊΣΥΦΟΣ", "١٢٣"]


@pytest.mark.parametrize("text", STRINGS)
def test_mmh3_is_sklearns_murmurhash3_32_signed_and_unsigned(text: str) -> None:
    for seed in (0, 1, 2**31 + 5):
        assert mmh3.hash(text, seed) == murmurhash3_32(text, seed=seed)
        assert mmh3.hash(text, seed, signed=False) == murmurhash3_32(text, seed=seed,
                                                                     positive=True)


def test_murmurhash_is_sklearns_and_refuses_a_lone_surrogate_as_sklearn_did() -> None:
    for text in STRINGS:
        assert murmurhash(text) == murmurhash3_32(text)
        assert murmurhash(text, signed=False) == murmurhash3_32(text, positive=True)
    for hash_it in (murmurhash, murmurhash3_32):  # (mmh3 5.3.1 itself crashes on it)
        with pytest.raises(UnicodeEncodeError, match="surrogates not allowed"):
            hash_it("x \ud800")


def test_hashed_ngrams_unigram_columns_are_murmurhash_columns() -> None:
    vec = HashedNgrams(n_features=2**18, bigrams=False)
    for word in STRINGS[1:]:
        assert vec.column([word]) == murmurhash3_32(word, positive=True) % 2**18


def test_char_wb_ngrams_equal_sklearns_hashing_vectorizer() -> None:
    docs = [" ".join(STRINGS), "SHOCKING: you WON'T believe it", "", "a", "Ⅻ ² ǅungla x" * 3]
    ours = CharWbNgrams(n_features=2**18, ngram_range=(2, 4)).transform(docs)
    theirs = HashingVectorizer(n_features=2**18, analyzer="char_wb", ngram_range=(2, 4),
                               alternate_sign=False, norm=None, lowercase=True).transform(docs)
    theirs.sort_indices()
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)
