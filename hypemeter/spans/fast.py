"""Token probabilities of a batch, with what the span model reads from each token cached.

Everything the model reads from a token's own characters (vocabulary id, capitals, the suffix
score of an unseen word, stop word, phrase mark, category) is computed once per distinct
token string and kept per process in :class:`TokenCache`, so encoding a batch
(:func:`encode_fast`, the layout of :func:`hypemeter.spans.columns.encode`) costs array
operations and, for the tokens the text analysis's word table does not give, one dictionary
lookup each; :func:`token_proba` is a few table reads per token. The analysis has already
found each word's row in its word table (one dictionary lookup per token there): a token spelt
as its word (not capitalised) takes its row here from an array by word row, filled as words
are met (:meth:`TokenCache.lookup_rows`). Decoding the probabilities into spans is
:mod:`hypemeter.spans.decoding`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from itertools import repeat
from operator import itemgetter

import numpy as np

from hypemeter.analysis.features import FieldAnalysis
from hypemeter.analysis.vocabulary import PHRASE_MARKS, STOPWORDS
from hypemeter.analysis.word_table import WordTable
from hypemeter.records.results import public_category
from hypemeter.spans.columns import (
    PAD,
    SUFFIXES,
    UNKNOWN,
    Encoded,
    _batch_dense,
    is_number,
    separator_codes,
)
from hypemeter.spans.model import SpanModel
from hypemeter.text.tokens import normalise_token

# Distinct token strings kept per loaded model (about 280 bytes each: 100,000 is about 28 MB);
# beyond, misses are computed for their batch only. Real news text repeats its vocabulary, so
# the cache fills with what recurs; text made of novel strings cannot grow memory past this.
MAX_CACHED = 100_000
_NO_CATEGORY = -1


class TokenCache:
    """Per distinct raw token string: vocabulary id, all-caps, title case, the suffix score of
    an unseen word, stop word, phrase mark, category code and whether it is a number."""

    def __init__(self, model: SpanModel) -> None:
        self.model = model
        self.index: dict[str, int] = {}
        self.size = 0
        self.ids = np.zeros(1024, np.int64)
        self.upper = np.zeros(1024, bool)
        self.title = np.zeros(1024, bool)
        self.unseen = np.zeros(1024)
        self.stop = np.zeros(1024, bool)
        self.mark = np.zeros(1024, np.int8)
        self.cat = np.full(1024, _NO_CATEGORY, np.int64)
        self.number = np.zeros(1024, bool)
        learned = sorted(set(model.categories.values()))
        self._cat_code = {c: k for k, c in enumerate(learned)}
        self.cat_names: list[str] = [public_category(c) for c in learned]  # as results say
        self.lock = threading.Lock()
        # a word table and per row of it the row here of its word (:meth:`lookup_rows`)
        self._by_word: tuple[WordTable, np.ndarray] | None = None

    def _rows(self, raws: list[str]) -> tuple[np.ndarray, ...]:
        m = self.model
        words = [normalise_token(r) for r in raws]
        ids = np.fromiter(map(m.vocab.get, words, repeat(UNKNOWN)), np.int64, len(words))
        cased = [r != w for r, w in zip(raws, words, strict=True)]
        upper = [c and r.isupper() and len(r) > 1 for c, r in zip(cased, raws, strict=True)]
        title = [c and r.istitle() for c, r in zip(cased, raws, strict=True)]
        unseen = np.zeros(len(words))
        for j, (w, v) in enumerate(zip(words, ids.tolist(), strict=True)):
            if v == UNKNOWN:
                unseen[j] = sum(m.suffix_tables[k][m.suffix_vocab.get(w[-size:], 0)]
                                for k, size in enumerate(SUFFIXES))
        stop = [w in STOPWORDS for w in words]
        mark = [PHRASE_MARKS.get(w, 0) for w in words]
        cat = [self._cat_code.get(m.categories.get(w, ""), _NO_CATEGORY) for w in words]
        number = [is_number(r) for r in raws]
        return (ids, np.asarray(upper, bool), np.asarray(title, bool), unseen,
                np.asarray(stop, bool), np.asarray(mark, np.int8), np.asarray(cat, np.int64),
                np.asarray(number, bool))

    _FIELDS = ("ids", "upper", "title", "unseen", "stop", "mark", "cat", "number")

    def lookup(self, raws: list[str]) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """Row indices of ``raws`` and the property arrays to read them from."""
        idx, arrays, _ = self._lookup(raws)
        return idx, arrays

    def lookup_rows(self, table: WordTable, rows: np.ndarray, raws: Sequence[str],
                    cased: np.ndarray, initial: np.ndarray
                    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """:meth:`lookup` of ``raws``, given that each raw token but those at the positions
        ``cased`` is the word of row ``rows[k]`` of ``table``, and that those at the
        positions ``initial`` (some of ``cased``) are that word with its first character
        upper-cased: their rows are gathered through two per-table arrays of the rows here of
        the table's words so spelt (filled as words are met), the other ``cased`` tokens
        looked up by their strings."""
        known = self._word_rows(table)
        idx = known[0].take(rows)
        fresh = (idx < 0).nonzero()[0]  # words not met yet (few, once the cache is warm)
        idx[cased] = -1
        fresh_initial = _NONE
        if len(initial):
            idx[initial] = capital = known[1].take(rows.take(initial))
            fresh_initial = initial[capital < 0]
        missing = (idx < 0).nonzero()[0]
        if not len(missing):
            return idx, tuple(getattr(self, f) for f in self._FIELDS)
        strings = itemgetter(*missing.tolist())(raws)
        got, arrays, kept = self._lookup([strings] if len(missing) == 1 else strings)
        idx[missing] = got
        # the rows of the words met for the first time (not those kept for one batch only)
        if len(fresh):
            learn = np.ones(len(rows), bool)
            learn[cased] = False
            fresh = fresh[learn[fresh]]
            fresh = fresh[idx[fresh] < kept]
            known[0][rows[fresh]] = idx[fresh]
        if len(fresh_initial):
            fresh_initial = fresh_initial[idx[fresh_initial] < kept]
            known[1][rows[fresh_initial]] = idx[fresh_initial]
        return idx, arrays

    def _word_rows(self, table: WordTable) -> np.ndarray:
        """Per row of ``table`` the row here of its word as a raw token (first line) and of
        its word with the first character upper-cased (second line), -1 while not known; at
        least as long as the table has rows."""
        size = len(table.index)  # (more than any row handed out so far: rows precede keys)
        by_word = self._by_word
        if by_word is None or by_word[0] is not table or by_word[1].shape[1] < size:
            with self.lock:
                by_word = self._by_word
                if by_word is None or by_word[0] is not table:
                    by_word = (table, np.full((2, max(size, 1024)), -1, np.int64))
                elif by_word[1].shape[1] < size:
                    old = by_word[1]
                    grown = np.full((2, max(size, 2 * old.shape[1])), -1, np.int64)
                    grown[:, :old.shape[1]] = old  # (a write to the old one is lost: that
                    by_word = (table, grown)        # word is looked up again)
                self._by_word = by_word
        return by_word[1]

    def _lookup(self, raws: Sequence[str]) -> tuple[np.ndarray, tuple[np.ndarray, ...], int]:
        """:meth:`lookup`, and a row count below which every row given is kept."""
        n = len(raws)
        idx = np.fromiter(map(self.index.get, raws, repeat(-1)), np.int64, n)
        missing = (idx < 0).nonzero()[0]
        if not len(missing):
            arrays = tuple(getattr(self, f) for f in self._FIELDS)
            return idx, arrays, len(arrays[0])
        new = list(dict.fromkeys(raws[k] for k in missing.tolist()))
        rows = self._rows(new)
        with self.lock:
            base = self.size
            if base + len(new) <= MAX_CACHED:
                need = base + len(new)
                if need > len(self.ids):
                    cap = max(2 * len(self.ids), need)
                    for f in self._FIELDS:
                        old = getattr(self, f)
                        grown = np.empty(cap, old.dtype)
                        grown[:base] = old[:base]
                        setattr(self, f, grown)
                for f, r in zip(self._FIELDS, rows, strict=True):
                    getattr(self, f)[base:need] = r
                self.size = need
                for j, r in enumerate(new):  # rows first, then the index that points at them
                    self.index[r] = base + j
                arrays = tuple(getattr(self, f) for f in self._FIELDS)
                kept = need
            else:  # full: these rows live for this batch only
                arrays = tuple(np.concatenate([getattr(self, f)[:base], r])
                               for f, r in zip(self._FIELDS, rows, strict=True))
                kept = base
        local = {r: base + j for j, r in enumerate(new)}
        idx[missing] = [local[raws[k]] for k in missing.tolist()]
        return idx, arrays, kept


def token_cache(model: SpanModel) -> TokenCache:
    cache = model.__dict__.get("_token_cache")
    if cache is None:
        cache = model.__dict__.setdefault("_token_cache", TokenCache(model))
    return cache


class FastEncoded(Encoded):
    """:class:`Encoded` plus the cached token properties of the real tokens."""

    unseen: np.ndarray  # per real token: suffix score if the word is unseen
    stop: np.ndarray
    mark: np.ndarray  # PHRASE_MARKS of each real token
    cat: np.ndarray
    cat_names: list[str]


def encode_fast(model: SpanModel, fields: Sequence[tuple[FieldAnalysis, str, bool]]
                ) -> FastEncoded:
    """What :func:`hypemeter.spans.columns.encode` lays out (suffixes left empty: the token
    model reads known words' suffixes from :meth:`SpanModel.known_suffixes`), from the
    cache."""
    cache = token_cache(model)
    lens = [len(fa.tokens.raw) for fa, _, _ in fields]
    total = sum(lens) + PAD * (len(fields) + 1)
    lens_a = np.asarray(lens, np.int64)
    n = int(lens_a.sum())
    field_starts = PAD + np.cumsum(lens_a + PAD) - (lens_a + PAD)
    bounds = np.zeros(len(lens) + 1, np.int64)
    bounds[1:] = np.cumsum(lens_a)
    pos = np.repeat(field_starts - bounds[:-1], lens_a) + np.arange(n)
    raws: list[str] = []
    for fa, _, _ in fields:
        raws += fa.tokens.raw
    raws.append("")  # the padding
    via = _word_rows(fields, bounds)
    if via is None:
        real, arrays = cache.lookup(raws)
    else:  # capitalised tokens and the padding looked up by their strings, the others by row
        table, rows, cased, initial = via
        real, arrays = cache.lookup_rows(table, rows, raws, cased, initial)
    idx = np.full(total, real[-1])
    real = real[:-1]
    idx[pos] = real
    ids_of, upper_of, title_of, unseen_of, stop_of, mark_of, cat_of, number_of = arrays
    ids = ids_of[idx]
    bigrams = np.zeros(total, np.int64)
    keys, values = model.pair_index()
    if len(keys):
        wanted = ids[:-1] * (len(model.vocab) + 2) + ids[1:]
        bigrams[:-1] = _pair_ids(model, keys, values, wanted)
    codes = separator_codes(fields)
    dense = _batch_dense(fields, model.strong[ids[pos]],
                         case=(upper_of[real], title_of[real]), codes=codes,
                         number=number_of[real])
    enc = FastEncoded(ids, bigrams, np.zeros((len(SUFFIXES), 0), np.int64), pos, dense,
                      bounds.tolist())
    enc.unseen = unseen_of[real]
    enc.stop = stop_of[real]
    enc.mark = mark_of[real]
    enc.cat = cat_of[real]
    enc.cat_names = cache.cat_names
    return enc


def _word_rows(fields: Sequence[tuple[FieldAnalysis, str, bool]], bounds: np.ndarray
               ) -> tuple[WordTable, np.ndarray, np.ndarray, np.ndarray] | None:
    """The word table of the fields' analysis, their words' rows in it end to end, the
    positions among those of the tokens whose word may not be their raw token
    (:attr:`Tokens.cased <hypemeter.text.tokens.Tokens.cased>`; all of a field's when not
    known) then one more position, the padding's (its row -1), and of the tokens spelt as
    their word with a capital first (:attr:`Tokens.initial
    <hypemeter.text.tokens.Tokens.initial>`); None unless every field's rows are kept, of one
    table."""
    if not fields:
        return None
    table = fields[0][0].table
    if table is None:
        return None
    rows = []
    cased = []
    initial = []
    for fa, _, _ in fields:
        if fa.table is not table or fa.rows is None:
            return None
        rows.append(fa.rows)
        tokens = fa.tokens
        c = tokens.cased
        cased.append(c if c is not None else np.arange(len(fa.rows)))
        i = tokens.initial
        initial.append(i if i is not None else _NONE)
    rows.append(_PADDING_ROW)
    cased.append(_PADDING_AT)  # (after the last field: at bounds[-1])
    return (table, np.concatenate(rows), _end_to_end(cased, bounds),
            _end_to_end(initial, bounds[:-1]))


def _end_to_end(positions: list, starts: np.ndarray) -> np.ndarray:
    """Positions in each field (``positions[k]`` from ``starts[k]`` on) as positions in the
    fields laid end to end."""
    lens = np.fromiter(map(len, positions), np.int64, len(positions))
    flat = np.concatenate(positions).astype(np.int64, copy=False)
    flat += np.repeat(starts, lens)
    return flat


_NONE = np.zeros(0, np.int64)
_PADDING_ROW = np.array([-1], np.int32)  # (the analysis keeps rows as int32)
_PADDING_AT = np.array([0], np.int64)


_HASH_BITS = 20


def _pair_hash(keys: np.ndarray) -> np.ndarray:
    """A multiplicative hash of pair keys into ``2**_HASH_BITS`` slots."""
    return (keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - _HASH_BITS)


def _pair_table(model: SpanModel) -> np.ndarray:
    """Per hash slot of :func:`_pair_hash`: 0 when no counted pair falls there, ``k + 1`` when
    only the pair ``keys[k]`` of :meth:`SpanModel.pair_index` does, -1 when several do (a
    few hundred of some 20,000 pairs)."""
    cached = model.__dict__.get("_pair_table")
    if cached is None:
        keys, _ = model.pair_index()
        slots = _pair_hash(keys).astype(np.int64)
        cached = np.zeros(2 ** _HASH_BITS, np.int32)
        cached[slots] = np.arange(1, len(keys) + 1, dtype=np.int32)
        cached[np.bincount(slots, minlength=2 ** _HASH_BITS) > 1] = -1
        cached = model.__dict__.setdefault("_pair_table", cached)
    return cached


def _pair_ids(model: SpanModel, keys: np.ndarray, values: np.ndarray, wanted: np.ndarray
              ) -> np.ndarray:
    """The bigram id of each pair key in ``wanted`` (0: not a counted pair): one read of the
    hash table per pair, a search of the sorted ``keys`` only where several pairs share a
    slot. (A binary search per pair read the keys some 14 times each, mostly from memory.)"""
    out = np.zeros(len(wanted), np.int64)
    slot = _pair_table(model)[_pair_hash(wanted)]
    one = (slot > 0).nonzero()[0]
    k = slot[one] - 1
    out[one] = np.where(keys[k] == wanted[one], values[k], 0)
    several = (slot < 0).nonzero()[0]
    if len(several):
        some = wanted[several]
        at = np.minimum(keys.searchsorted(some), len(keys) - 1)
        out[several] = np.where(keys[at] == some, values[at], 0)
    return out


def token_proba(model: SpanModel, enc: FastEncoded) -> np.ndarray:
    """Each real token's probability of being loaded wording: the folded linear model's
    window, pair, suffix and dense terms (unseen words' suffix scores from the cache)."""
    ids, p = enc.ids, enc.pos
    # over every position, padding too (its values are dropped): shifted slices, no index arrays
    z_all = np.full(len(ids), model.intercept)
    for k in range(len(model.tables)):
        part = model.tables[k][ids]
        off = k - PAD
        if off < 0:
            z_all[-off:] += part[:off]
        elif off > 0:
            z_all[:-off] += part[off:]
        else:
            z_all += part
    z_all[1:] += model.bigram_left[enc.bigrams[:-1]] + model.bigram_right[enc.bigrams[1:]]
    z_all += model.known_suffixes()[ids]
    z = z_all[p]
    unknown = ids[p] == UNKNOWN
    if unknown.any():
        z[unknown] += enc.unseen[unknown]
    z += enc.dense @ model.dense_coef
    return 1.0 / (1.0 + np.exp(-z))
