"""Hashed unigram + bigram counts from already-tokenised text, fast.

Unigram columns come from MurmurHash3 of the word (``mmh3``, which gives scikit-learn's
``murmurhash3_32`` of the UTF-8; cached per process); a bigram's column is
derived arithmetically from its two unigram hashes with NumPy, so no bigram strings are built.
Follows scikit-learn's transformer conventions (stateless ``fit``, ``transform``).
:class:`CharWbNgrams` computes a character n-gram ``HashingVectorizer``'s output the same way,
without importing scikit-learn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import mmh3
import numpy as np
import scipy.sparse as sp

_MIX = np.uint64(0x9E3779B97F4A7C15)


def murmurhash(text: str, *, signed: bool = True) -> int:
    """MurmurHash3 (seed 0) of ``text``'s UTF-8, as scikit-learn's ``murmurhash3_32`` gives it
    (``signed=False``: its ``positive=True``). Encoded here, strictly: mmh3 5.3.1 crashes the
    process on a ``str`` it cannot encode (a lone surrogate), where this raises
    ``UnicodeEncodeError`` as scikit-learn did."""
    return mmh3.hash(text.encode("utf-8"), 0, signed)
# Words whose hashes/columns are kept per process (about 220 bytes each: 200,000 is about
# 45 MB); past it the cache starts again, so text made of novel strings cannot grow memory.
_CACHE_LIMIT = 200_000


class HashedNgrams:
    """Map token lists to a CSR matrix of unigram and bigram counts in ``n_features`` columns."""

    def __init__(self, n_features: int = 2**18, bigrams: bool = True) -> None:
        self.n_features = n_features
        self.bigrams = bigrams

    def fit(self, docs: Sequence[list[str]] | None = None, y: Any = None) -> HashedNgrams:
        return self

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}

    def _hashes(self, words: list[str]) -> np.ndarray:
        """MurmurHash3 of each word as uint64, from the per-process cache."""
        cache: dict[str, int] | None = self.__dict__.get("_cache")
        if cache is None or len(cache) > _CACHE_LIMIT:
            cache = self.__dict__["_cache"] = {}
        try:
            # all words cached (the usual case): one C-level pass, no intermediate list
            hashes = np.fromiter(map(cache.__getitem__, words), np.int64, len(words))
        except KeyError:
            for word in words:
                if word not in cache:
                    cache[word] = murmurhash(word, signed=False)
            hashes = np.fromiter(map(cache.__getitem__, words), np.int64, len(words))
        return hashes.view(np.uint64)  # hashes are non-negative 32-bit values

    def _columns(self, hashes: np.ndarray) -> np.ndarray:
        n = np.uint64(self.n_features)
        uni = hashes % n
        if not self.bigrams or len(hashes) < 2:
            return uni
        with np.errstate(over="ignore"):
            bi = ((hashes[:-1] * _MIX) ^ (hashes[1:] + np.uint64(0x632BE59BD9B4E019))) % n
        return np.concatenate([uni, bi])

    def column(self, words: list[str]) -> int:
        """The column of one unigram (one word) or one bigram (two words)."""
        return int(self._columns(self._hashes(words))[-1])

    def transform(self, docs: Sequence[list[str]]) -> sp.csr_matrix:
        # Columns fit in int32, and sorting them per document in int32 is several times
        # faster than scipy's per-row sort in ``sum_duplicates``.
        return _count_matrix(
            (self._columns(self._hashes(words)).astype(np.int32) if words else None
             for words in docs),
            len(docs), self.n_features,
        )


    def transform_hashes(self, docs: Sequence[np.ndarray]) -> sp.csr_matrix:
        """:meth:`transform` of documents given as their words' MurmurHash3 values (int64, as
        ``murmurhash(word, signed=False)`` gives them), e.g. from the text analysis."""
        return _count_matrix(
            (self._columns(h.view(np.uint64)).astype(np.int32) if len(h) else None
             for h in docs),
            len(docs), self.n_features,
        )


def _count_matrix(
    rows: Iterable[np.ndarray | None], n_rows: int, n_features: int
) -> sp.csr_matrix:
    """A CSR count matrix from each row's int32 column indices (``None``: an empty row).

    Each row is sorted here, so ``sum_duplicates`` finds the rows sorted and only adds up the
    repeats."""
    indptr = [0]
    chunks: list[np.ndarray] = []
    total = 0
    for cols in rows:
        if cols is not None and len(cols):
            cols.sort()
            chunks.append(cols)
            total += len(cols)
        indptr.append(total)
    indices = np.concatenate(chunks) if chunks else np.zeros(0, np.int32)
    data = np.ones(len(indices), dtype=np.float64)
    X = sp.csr_matrix((data, indices, np.asarray(indptr, dtype=np.int64)),
                      shape=(n_rows, n_features))
    X.sum_duplicates()
    return X


class CharWbNgrams:
    """Hashed counts of the character n-grams of each word padded with spaces, lowercased, in
    ``n_features`` columns: exactly what scikit-learn's ``HashingVectorizer(analyzer="char_wb",
    ngram_range=ngram_range, alternate_sign=False, norm=None, lowercase=True)`` gives (the
    headline character n-grams; tests/core/test_serving_hashing.py compares them), faster.

    ``char_wb`` n-grams never cross a word boundary, so a document's n-grams are the union of
    its words' and each word's hashed columns are memoised per process (not pickled). The
    columns, the counts and the canonical (sorted, summed) CSR layout are scikit-learn's.
    """

    def __init__(self, n_features: int = 2**18, ngram_range: tuple[int, int] = (2, 4)) -> None:
        if not 1 <= ngram_range[0] <= ngram_range[1]:
            raise ValueError(f"invalid ngram_range {ngram_range!r}")
        self.n_features = int(n_features)
        self.min_n, self.max_n = int(ngram_range[0]), int(ngram_range[1])
        self._cache: dict[str, np.ndarray] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._cache = {}

    def _grams(self, word: str) -> list[str]:
        """scikit-learn's ``_char_wb_ngrams`` for one word: n-grams of `` word ``; a padded
        word no longer than ``n`` counts once, whole, and ends the loop."""
        padded = f" {word} "
        size = len(padded)
        grams: list[str] = []
        for n in range(self.min_n, self.max_n + 1):
            if size <= n:
                grams.append(padded)
                break
            grams.extend([padded[i:i + n] for i in range(size - n + 1)])
        return grams

    def _column(self, gram: str) -> int:
        """FeatureHasher's column: ``abs`` of the signed 32-bit MurmurHash3 of the UTF-8."""
        h = murmurhash(gram)
        if h == -(2**31):  # abs() overflows in int32; FeatureHasher's defined replacement
            return (2**31 - 1 - (self.n_features - 1)) % self.n_features
        return abs(h) % self.n_features

    def _word_columns(self, word: str) -> np.ndarray:
        cols = self._cache.get(word)
        if cols is None:
            if len(self._cache) > _CACHE_LIMIT:
                self._cache = {}
            cols = np.array([self._column(g) for g in self._grams(word)], dtype=np.int32)
            self._cache[word] = cols
        return cols

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        # lower() then split() is what the analyzer's preprocess, whitespace collapsing and
        # word split amount to
        splits = (doc.lower().split() for doc in docs)
        return _count_matrix(
            (np.concatenate([self._word_columns(w) for w in words]) if words else None
             for words in splits),
            len(docs), self.n_features,
        )
