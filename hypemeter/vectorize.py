"""Hashed unigram + bigram counts from already-tokenised text, fast.

Unigram columns come from MurmurHash3 of the word (cached per process); a bigram's column is
derived arithmetically from its two unigram hashes with NumPy, so no bigram strings are built.
Follows scikit-learn's transformer conventions (stateless ``fit``, ``transform``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

_MIX = np.uint64(0x9E3779B97F4A7C15)
_CACHE_LIMIT = 1_000_000


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
                    cache[word] = murmurhash3_32(word, positive=True)
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
        indptr = [0]
        chunks: list[np.ndarray] = []
        total = 0
        for words in docs:
            if words:
                # Columns fit in int32, and sorting them per document in int32 is several
                # times faster than scipy's per-row sort in ``sum_duplicates``, which then
                # finds the rows sorted and only adds up the repeats.
                cols = self._columns(self._hashes(words)).astype(np.int32)
                cols.sort()
                chunks.append(cols)
                total += len(cols)
            indptr.append(total)
        indices = np.concatenate(chunks) if chunks else np.zeros(0, np.int32)
        data = np.ones(len(indices), dtype=np.float64)
        X = sp.csr_matrix((data, indices, np.asarray(indptr, dtype=np.int64)),
                          shape=(len(docs), self.n_features))
        X.sum_duplicates()
        return X
