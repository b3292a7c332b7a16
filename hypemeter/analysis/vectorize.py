"""Hashed unigram + bigram counts from already-tokenised text, fast.

Unigram columns come from MurmurHash3 of the word (``mmh3``, which gives scikit-learn's
``murmurhash3_32`` of the UTF-8; cached per process); a bigram's column is
derived arithmetically from its two unigram hashes with NumPy, so no bigram strings are built.
A batch's count matrix is built at once: every document's columns in one array pass, each
document's run sorted in place, the repeats counted with array operations (no matrix per
document, no ``sum_duplicates``). Follows scikit-learn's transformer conventions (stateless
``fit``, ``transform``). :class:`CharWbNgrams` computes a character n-gram
``HashingVectorizer``'s output the same way, without importing scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, pairwise
from typing import Any

import mmh3
import numpy as np
import scipy.sparse as sp

_MIX = np.uint64(0x9E3779B97F4A7C15)
_BIGRAM_ADD = np.uint64(0x632BE59BD9B4E019)


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

    def _batch_columns(self, hashes: np.ndarray, lens: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        """The int32 columns of the documents whose words' hashes (uint64) are ``hashes`` end
        to end, ``lens`` words each: each document's unigram and bigram columns together (in
        no particular order within it), and how many each document has."""
        n = self.n_features
        uni = _modulo(hashes, n)
        if not self.bigrams:
            return uni.astype(np.int32), lens
        total = len(hashes)
        both = np.empty((total, 2), np.int32)  # per word: its unigram, the bigram it starts
        both[:, 0] = uni
        both[:-1, 1] = _bigrams(hashes[:-1], hashes[1:], n)
        # a document's last word starts no bigram of its own: drop that slot of each
        # (array methods rather than NumPy's functions throughout: scoring one article at a
        # time makes these calls on a few numbers, where the functions' overhead dominates)
        keep = np.empty(2 * total, bool)
        keep.fill(True)
        filled = lens > 0
        keep[2 * lens.cumsum()[filled] - 1] = False
        return both.ravel()[keep], 2 * lens - filled

    def column(self, words: list[str]) -> int:
        """The column of one unigram (one word) or one bigram (two words)."""
        hashes = self._hashes(words)
        if len(hashes) == 1:
            return int(_modulo(hashes, self.n_features)[0])
        return int(_bigrams(hashes[-2:-1], hashes[-1:], self.n_features)[0])

    def transform(self, docs: Sequence[list[str]]) -> sp.csr_matrix:
        lens = np.fromiter(map(len, docs), np.int64, len(docs))
        cols, row_lens = self._batch_columns(self._hashes(list(chain.from_iterable(docs))),
                                             lens)
        return _count_matrix(cols, row_lens, self.n_features)

    def transform_hashes(self, docs: Sequence[np.ndarray]) -> sp.csr_matrix:
        """:meth:`transform` of documents given as their words' MurmurHash3 values (int64, as
        ``murmurhash(word, signed=False)`` gives them), e.g. from the text analysis."""
        lens = np.fromiter(map(len, docs), np.int64, len(docs))
        # (as int64 whatever the arrays' types: an empty ``np.array([])`` is float64)
        hashes = (np.concatenate(docs, dtype=np.int64, casting="unsafe") if len(docs)
                  else np.zeros(0, np.int64))
        cols, row_lens = self._batch_columns(hashes.view(np.uint64), lens)
        return _count_matrix(cols, row_lens, self.n_features)


def _bigrams(first: np.ndarray, second: np.ndarray, n: int) -> np.ndarray:
    """The columns of the bigrams whose words' hashes (uint64) are ``first`` and ``second``:
    derived arithmetically from the two (array arithmetic wraps around silently)."""
    return _modulo((first * _MIX) ^ (second + _BIGRAM_ADD), n)


def _modulo(values: np.ndarray, n: int) -> np.ndarray:
    """``values % n`` for uint64 ``values`` (a mask when ``n`` is a power of two: the
    same numbers, ten times faster than the division)."""
    if n & (n - 1) == 0:
        return values & np.uint64(n - 1)
    return values % np.uint64(n)


def _count_matrix(cols: np.ndarray, row_lens: np.ndarray, n_features: int) -> sp.csr_matrix:
    """The canonical CSR count matrix (columns sorted in each row, repeats summed) of rows
    whose int32 column indices are ``cols`` end to end, ``row_lens`` each (sorted in place).

    Each row is sorted on its own (a few microseconds; one sort of the whole batch by row and
    column takes several times longer), then the repeats are counted in array operations."""
    starts = np.zeros(len(row_lens) + 1, np.int64)
    row_lens.cumsum(out=starts[1:])
    cuts = starts.tolist()
    for lo, hi in pairwise(cuts):
        if hi - lo > 1:
            cols[lo:hi].sort()
    first = np.empty(len(cols) + 1, bool)  # where a (row, column) pair begins; an end mark
    np.not_equal(cols[1:], cols[:-1], out=first[1:-1])
    first[starts] = True
    at = first.nonzero()[0]
    # (indptr in int32 like the indices: the constructor converts mixed types, at a cost)
    indptr = at.searchsorted(starts).astype(np.int32 if len(at) < 2**31 else np.int64)
    X = sp.csr_matrix(((at[1:] - at[:-1]).astype(np.float64), cols[at[:-1]], indptr),
                      shape=(len(row_lens), n_features))
    X.has_canonical_format = True  # (also says the indices are sorted)
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
        splits = [doc.lower().split() for doc in docs]
        parts = list(map(self._word_columns, chain.from_iterable(splits)))
        ends = np.zeros(len(parts) + 1, np.int64)  # where each word's columns end
        np.fromiter(map(len, parts), np.int64, len(parts)).cumsum(out=ends[1:])
        words = np.zeros(len(docs) + 1, np.int64)  # where each document's words end
        np.fromiter(map(len, splits), np.int64, len(docs)).cumsum(out=words[1:])
        cols = np.concatenate(parts) if parts else np.zeros(0, np.int32)
        return _count_matrix(cols, np.diff(ends[words]), self.n_features)
