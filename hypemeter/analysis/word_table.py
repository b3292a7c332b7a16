"""What the text analysis reads from each distinct word, computed once per word and kept.

:func:`hypemeter.analysis.features.analyze_fields` counts cue words, superlatives and valence over a
field's words, asks the lexicon where a match can start, and hashes the words for
:class:`hypemeter.analysis.vectorize.HashedNgrams`. Rather than hash every word into a ``Counter``
and
look it up in several sets and dictionaries, each distinct normalised word gets a row here, so
a field costs one dictionary lookup per token and array operations. Kept per lexicon (it
depends on the lexicon's entries), bounded: past ``MAX_WORDS`` it starts again, so text made
of novel strings cannot grow memory.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from itertools import chain, repeat
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from hypemeter.analysis.identity import TRIGGERS
from hypemeter.analysis.vectorize import murmurhash
from hypemeter.text.tokens import (
    FORWARD_REFERENCES,
    HEDGES,
    INTENSIFIERS,
    SECOND_PERSON,
    URGENCY,
    is_superlative,
)

if TYPE_CHECKING:
    from hypemeter.analysis.lexicon import PhraseLexicon

# Distinct words kept per lexicon (about 200 bytes each with the dictionary entry: 200,000 is
# about 40 MB); past it the table starts again.
MAX_WORDS = 200_000
_FIRST_CAPACITY = 4096
PAIR_STRIDE = 1 << 32  # WordTable.pairs keys: first row * PAIR_STRIDE + second row
HEAD_PAIRS, FORWARD_PAIRS = 0, 1  # WordTable.pairs: lexicon phrases, forward references

# Columns of the per-word integer table; the first six are summed over a field's tokens.
SECOND, INTENS, HEDGE, URGENT, SUPERL, NEGATIVE, FLAGS = range(7)
# FLAGS bits
SINGLE = 1  # matches the lexicon on its own (a loaded word or a one-word phrase)
HEAD_FIRST = 2  # first word of a multi-word phrase
HEAD_SECOND = 4  # second word of a multi-word phrase
FORWARD = 8  # a word of a forward-reference cue phrase
IDENTITY = 16  # may be (part of) an identity term (hypemeter.analysis.identity.TRIGGERS)
EXTENDS = 32  # a loaded word (SINGLE) that takes a following content word along
TAKEABLE = 64  # a content word a loaded word can take along (no stop word, no entry, letters)
_EXTRA_SUPERLATIVES = frozenset({"most", "least", "best", "worst"})
_FORWARD_WORDS = frozenset(w for p in FORWARD_REFERENCES for w in p)


class Counts(NamedTuple):
    """What one field's words add up to."""

    second: int
    intens: int
    hedge: int
    urgent: int
    superl: int
    negative: int
    val_sum: float
    val_max: float
    # where the field's words begin a forward-reference cue phrase (its first two words)
    forward_at: list[int]
    hashes: np.ndarray  # MurmurHash3 of each word (int64), as HashedNgrams hashes them


class WordTable:
    """Rows of per-word properties for one lexicon and one valence lexicon."""

    def __init__(self, lexicon: PhraseLexicon, valence: dict[str, float]) -> None:
        self.lexicon = lexicon
        self.valence = valence
        self.index: dict[str, int] = {}
        # per word: the integer columns, |valence|, MurmurHash3 (HashedNgrams' unigram hash),
        # and what the word matches on its own in the lexicon: category code, weight
        self.arrays: tuple[np.ndarray, ...] = (
            np.zeros((0, 7), np.uint8), np.zeros(0), np.zeros(0, np.int64),
            np.zeros(0, np.int16), np.zeros(0))
        self.lock = threading.Lock()
        heads = lexicon.phrase_heads_
        self._firsts = frozenset(a for a, _ in heads)
        self._seconds = frozenset(b for _, b in heads)
        # the first two words of the lexicon's multi-word phrases, and of the forward-reference
        # cue phrases, as pairs of rows (row of the first word * PAIR_STRIDE + row of the
        # second), sorted: the pairs whose words both have a row so far
        self._links = [_links(heads), _links((p[0], p[1]) for p in FORWARD_REFERENCES)]
        self.pairs = [np.zeros(0, np.int64), np.zeros(0, np.int64)]
        # the categories of the lexicon's single-word entries (codes in arrays[3])
        self.categories: list[str] = sorted({c for c, _, _ in lexicon.single_entries_.values()})
        self._category_code = {c: k for k, c in enumerate(self.categories)}

    def _row(self, word: str) -> tuple[list[int], float, int, int, float]:
        from hypemeter.analysis.lexicon import STOPWORDS  # (lexicon imports this module)

        v = self.valence.get(word, 0.0)
        single = self.lexicon.single_entries_.get(word)
        flags = (
            SINGLE * (single is not None)
            + HEAD_FIRST * (word in self._firsts)
            + HEAD_SECOND * (word in self._seconds)
            + FORWARD * (word in _FORWARD_WORDS)
            + IDENTITY * (word in TRIGGERS)
            + EXTENDS * (single is not None and single[2])
            + TAKEABLE * (word not in STOPWORDS and word not in self.lexicon.entry_words_
                          and word.isalpha())
        )
        superl = (word.endswith("est") and is_superlative(word)) + (word in _EXTRA_SUPERLATIVES)
        code, weight = (-1, 0.0) if single is None else (self._category_code[single[0]],
                                                         single[1])
        return [word in SECOND_PERSON, word in INTENSIFIERS, word in HEDGES, word in URGENCY,
                superl, v < 0, flags], abs(v), murmurhash(word, signed=False), code, weight

    def ids(self, words: list[str]) -> np.ndarray:
        """The row of each word, adding the words not seen before."""
        index = self.index
        ids = np.fromiter(map(index.get, words, repeat(-1)), np.int64, len(words))
        missing = (ids < 0).nonzero()[0]
        if len(missing):
            new = list(dict.fromkeys(words[k] for k in missing.tolist()))
            with self.lock:
                new = [w for w in new if w not in index]  # another thread may have added some
                rows = [self._row(w) for w in new]
                arrays = self.arrays
                base = len(index)
                need = base + len(new)
                if need > len(arrays[0]):
                    cap = max(2 * len(arrays[0]), need, _FIRST_CAPACITY)
                    grown = tuple(np.zeros((cap, *a.shape[1:]), a.dtype) for a in arrays)
                    for old, bigger in zip(arrays, grown, strict=True):
                        bigger[:base] = old[:base]
                    arrays = grown
                if new:
                    for column, array in enumerate(arrays):
                        array[base:need] = [r[column] for r in rows]
                # rows and pairs first, then the index that points at them (a thread that
                # finds a word in the index finds its row and its pairs)
                self.arrays = arrays
                self._add_pairs({w: base + j for j, w in enumerate(new)})
                for j, w in enumerate(new):
                    index[w] = base + j
            ids[missing] = list(map(index.__getitem__, [words[k] for k in missing.tolist()]))
        return ids

    def _add_pairs(self, new: dict[str, int]) -> None:
        """Add to :attr:`pairs` the pairs that the ``new`` words (with their rows, not yet in
        the index) complete."""
        index = self.index
        for which, (after, before) in enumerate(self._links):
            found = set()
            for w, row in new.items():
                for b in after.get(w, ()):
                    other = new.get(b, index.get(b))
                    if other is not None:
                        found.add(row * PAIR_STRIDE + other)
                for a in before.get(w, ()):
                    other = new.get(a, index.get(a))
                    if other is not None:
                        found.add(other * PAIR_STRIDE + row)
            if found:
                self.pairs[which] = np.union1d(self.pairs[which],
                                               np.fromiter(found, np.int64, len(found)))

    def pairs_at(self, which: int, ids: np.ndarray, maybe: np.ndarray) -> np.ndarray:
        """Of the positions ``maybe`` in ``ids``, which ones hold with the next position one of
        the pairs ``which`` (HEAD_PAIRS, FORWARD_PAIRS)."""
        pairs = self.pairs[which]
        if not len(pairs) or not len(maybe):
            return np.zeros(len(maybe), bool)
        keys = ids.take(maybe) * PAIR_STRIDE + ids.take(maybe + 1)
        return pairs.take(pairs.searchsorted(keys).clip(max=len(pairs) - 1)) == keys

    def identity_candidates(self, ids: np.ndarray) -> np.ndarray:
        """Where ``ids`` (rows of :meth:`ids`) are words of :data:`TRIGGERS`."""
        return (self.arrays[0][ids, FLAGS] & IDENTITY).nonzero()[0]

    def counts(self, fields: Sequence[list[str]], ids: np.ndarray | None = None
               ) -> list[Counts]:
        """What each field's words add up to, for a whole batch of fields in array
        operations (one dictionary lookup per token is the only per-token Python work;
        ``ids``, the fields' words' rows end to end, when the caller has them)."""
        nf = len(fields)
        lens = np.fromiter(map(len, fields), np.int64, nf)
        bounds = np.zeros(nf + 1, np.int64)
        lens.cumsum(out=bounds[1:])
        if ids is None:
            ids = self.ids(list(chain.from_iterable(fields)))
        props, absval, hashes = self.arrays[:3]
        # (``take`` gathers the 7-byte rows several times faster than indexing; array methods
        # rather than NumPy's functions: a field or two at a time, their overhead dominates)
        per_token = props.take(ids, axis=0)
        token_hashes = hashes.take(ids)
        cuts = bounds.tolist()
        totals = np.zeros((nf, FLAGS), np.int64)
        filled = lens.nonzero()[0]
        if len(filled):
            totals[filled] = np.add.reduceat(per_token[:, :FLAGS], bounds[filled], axis=0,
                                             dtype=np.int64)
        # valence as a Counter gives it: |valence| times the count per distinct word of a
        # field, summed exactly (fsum: the order does not matter), and the largest |valence|
        rated = absval.take(ids).nonzero()[0]
        width = len(absval) + 1
        keys = bounds.searchsorted(rated, side="right") * width + ids.take(rated)
        keys.sort()  # (np.unique's own work, without its overhead)
        new = np.empty(len(keys) + 1, bool)  # where a distinct key begins; an end mark
        new[0] = new[-1] = True
        np.not_equal(keys[1:], keys[:-1], out=new[1:-1])
        at = new.nonzero()[0]
        keys, times = keys[at[:-1]], at[1:] - at[:-1]
        per_word = absval.take(keys % width)
        products = (per_word * times).tolist()
        vcut = (keys // width).searchsorted(np.arange(1, nf + 2))
        largest = np.zeros(nf)  # (|valence| > 0: the largest of none is 0.0, as max's default)
        rated_fields = (vcut[1:] > vcut[:-1]).nonzero()[0]
        if len(rated_fields):
            largest[rated_fields] = np.maximum.reduceat(per_word, vcut[rated_fields])
        vcuts = vcut.tolist()
        cue = (per_token[:, FLAGS] & FORWARD) != 0
        cue[:-1] &= cue[1:]
        if len(cue):  # no pair from a field's last word (an empty field: its predecessor's)
            cue[bounds[1:] - 1] = False
        maybe = cue.nonzero()[0]
        forward, fcut = _local(maybe[self.pairs_at(FORWARD_PAIRS, ids, maybe)], bounds)
        # one Counts per field, built by map over the columns (a loop costs twice as much)
        out = list(map(
            Counts, *totals.T.tolist(),
            map(math.fsum, map(products.__getitem__, map(slice, vcuts, vcuts[1:]))),
            largest.tolist(),
            map(forward.__getitem__, map(slice, fcut, fcut[1:])),
            map(token_hashes.__getitem__, map(slice, cuts, cuts[1:]))))
        return out


def _links(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per first word its second words, per second word its first words."""
    after: dict[str, list[str]] = {}
    before: dict[str, list[str]] = {}
    for a, b in pairs:
        after.setdefault(a, []).append(b)
        before.setdefault(b, []).append(a)
    return after, before


def _local(positions: np.ndarray, bounds: np.ndarray) -> tuple[list[int], list[int]]:
    """Batch token positions as positions in their fields, and where each field's begin."""
    cut = positions.searchsorted(bounds)
    field = np.arange(len(bounds) - 1).repeat(cut[1:] - cut[:-1])
    return (positions - bounds.take(field)).tolist(), cut.tolist()


def word_table(lexicon: PhraseLexicon, valence: dict[str, float]) -> WordTable:
    """The lexicon's table (made on first use, again when full or for another valence)."""
    table: WordTable | None = lexicon.__dict__.get("_word_table")
    if table is None or table.valence is not valence or len(table.index) > MAX_WORDS:
        table = lexicon.__dict__["_word_table"] = WordTable(lexicon, valence)
    return table
