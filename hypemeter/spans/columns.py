"""Encoding for the span model: fields of a batch laid end to end as the arrays the token model
reads (vocabulary ids of the window, word pairs, suffixes, and dense clause and style features).

Training lays out its fields with :func:`encode` (every token's suffixes: the design matrix has
a column per suffix); scoring builds the same :class:`Encoded` from a per-process token cache
(:func:`hypemeter.spans.fast.encode_fast`). Both compute the dense columns with
:func:`_batch_dense`.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise, repeat

import numpy as np

from hypemeter.analysis.features import FieldAnalysis
from hypemeter.analysis.lexicon import PHRASE_BREAKS, STOPWORDS
from hypemeter.text.tokens import INTENSIFIERS, is_superlative

SPAN_TECHNIQUES = frozenset({
    "Loaded_Language", "Name_Calling,Labeling", "Exaggeration,Minimisation",
    "Appeal_to_fear-prejudice", "Flag-Waving",
})
OFFSETS = (-2, -1, 0, 1, 2)
SUFFIXES = (2, 3, 4)  # the word's last characters, for words the vocabulary does not hold
PAD = 2  # padding tokens between fields (the widest window reach)
UNKNOWN, EDGE = 0, 1  # vocabulary ids of an unseen word and of the padding
STATIC_NAMES = ("abs_valence", "neg_valence", "strong_valence", "stop", "long", "superlative",
                "intensifier")
DENSE_NAMES = ("all_caps", "title_inside", "headline", "quoted", "exclaim_after", "break_after",
               "break_before", "clause_exclaim", "clause_valence", "clause_len",
               "number_near", "clause_number")
NUMBER_REACH = 2  # "number_near": a number among the two tokens either side (or the token)
_OPEN_QUOTES = ("\u201c", "\u00ab")
_CLOSE_QUOTES = ("\u201d", "\u00bb")


def static_features(word: str, valence: dict[str, float]) -> list[float]:
    """Per-word features that generalise beyond the words seen in spans (STATIC_NAMES)."""
    v = valence.get(word, 0.0)
    return [abs(v) / 4.0, float(v < -1.0), float(abs(v) >= 2.0), float(word in STOPWORDS),
            float(len(word) >= 8), float(is_superlative(word)), float(word in INTENSIFIERS)]


@dataclass
class Encoded:
    """Tokens of several fields laid end to end, ``PAD`` padding tokens around each field."""

    ids: np.ndarray  # vocabulary id of every position, padding included
    bigrams: np.ndarray  # id of the pair (position, next position)
    suffixes: np.ndarray  # (len(SUFFIXES), positions): suffix ids
    pos: np.ndarray  # positions of the real tokens, in field order
    dense: np.ndarray  # (len(pos), len(DENSE_NAMES))
    bounds: list[int]  # field k's tokens are pos[bounds[k]:bounds[k + 1]]


def _sep_code(sep: str) -> int:
    """What the token model reads from the text between two tokens, packed in an int: a clause
    break (bit 0), an exclamation (bit 1), and counts of plain, opening and closing quotes."""
    return (
        (not PHRASE_BREAKS.isdisjoint(sep)) + 2 * ("!" in sep)
        + 4 * min(sep.count('"'), 7)
        + 32 * min(sum(sep.count(q) for q in _OPEN_QUOTES), 7)
        + 256 * min(sum(sep.count(q) for q in _CLOSE_QUOTES), 7)
    )


def is_number(raw: str) -> bool:
    """A token that starts with a digit ("298", "2014", "3rd"): counts, dates and figures, the
    matter of plain reporting ("killing all 298 people aboard")."""
    return raw[:1].isdigit()


def _batch_dense(fields: Sequence[tuple[FieldAnalysis, str, bool]], strong: np.ndarray,
                 case: tuple[np.ndarray, np.ndarray] | None = None,
                 codes: np.ndarray | None = None, number: np.ndarray | None = None
                 ) -> np.ndarray:
    """DENSE_NAMES for every token of every field, computed over the batch at once; running
    counts (quotes) and clauses restart at each field. ``case`` (all caps, title case),
    ``codes`` (:func:`_sep_code` of each separator) and ``number`` (:func:`is_number` of each
    token) are computed here unless given."""
    lengths = [len(fa.tokens.raw) for fa, _, _ in fields]
    n = sum(lengths)
    out = np.empty((n, len(DENSE_NAMES)))  # every column is written below
    if n == 0:
        return out
    lens = np.asarray(lengths)
    firsts = np.cumsum(lens) - lens  # each field's first token
    live = lens > 0
    if case is None:
        raw = [w for fa, _, _ in fields for w in fa.tokens.raw]
        # only tokens that lower-casing changes can be capitalised: one pass finds them
        lowered = [w for fa, _, _ in fields for w in fa.tokens.words]
        cased = np.flatnonzero(~np.fromiter(map(str.__eq__, raw, lowered), bool, n))
        upper = np.zeros(n, bool)
        title = np.zeros(n, bool)
        if len(cased):
            some = [raw[k] for k in cased]
            # a capital letter on its own ("I", "A") is not shouting
            upper[cased] = [w.isupper() and len(w) > 1 for w in some]
            title[cased] = [w.istitle() for w in some]
    else:
        upper, title = case
    if codes is None:
        seps = [s for fa, _, _ in fields for s in fa.tokens.seps]
        table = {sep: _sep_code(sep) for sep in set(seps)}
        codes = np.fromiter(map(table.__getitem__, seps), np.int64, n)
    brk = (codes & 1).astype(bool)
    excl = (codes & 2).astype(bool)
    before = np.empty(n, bool)
    before[0] = True
    before[1:] = brk[:-1]
    before[firsts[live]] = True
    out[:, 0] = upper
    out[:, 1] = title & ~before
    out[:, 2] = np.repeat([float(h) for _, _, h in fields], lens)
    # quotes: running counts within each field, from the text before its first token on
    prefixes = [text[:fa.tokens.starts[0]] if fa.tokens.starts else "" for fa, text, _ in fields]
    pre_plain = np.array([p.count('"') for p in prefixes])
    pre_open = np.array([sum(p.count(q) for q in _OPEN_QUOTES) for p in prefixes])
    pre_close = np.array([sum(p.count(q) for q in _CLOSE_QUOTES) for p in prefixes])

    def local_cumsum(x: np.ndarray) -> np.ndarray:
        c = np.cumsum(x)
        base = np.where(firsts > 0, c[np.maximum(firsts - 1, 0)], 0)
        return c - np.repeat(base, lens)

    plain = np.repeat(pre_plain, lens) + local_cumsum((codes >> 2) & 7)
    nested = np.repeat(pre_open - pre_close, lens) + local_cumsum(
        (codes >> 5) & 7) - local_cumsum((codes >> 8) & 7)
    quoted = np.empty(n, bool)
    quoted[1:] = ((plain % 2) + nested)[:-1] > 0
    quoted[firsts[live]] = ((pre_plain % 2 > 0) | (pre_open > 0))[live]
    out[:, 3] = quoted
    out[:, 4] = excl
    out[:, 5] = brk
    out[:, 6] = before
    clause = np.cumsum(before) - 1
    out[:, 7] = np.bincount(clause, weights=excl.astype(float))[clause] > 0
    out[:, 8] = np.log1p(np.bincount(clause, weights=strong))[clause]
    out[:, 9] = np.log1p(np.bincount(clause))[clause] / 3.0
    if number is None:
        number = np.fromiter((is_number(w) for fa, _, _ in fields for w in fa.tokens.raw),
                             bool, n)
    field = np.repeat(np.arange(len(lens)), lens)
    near = number.copy()
    for off in range(1, NUMBER_REACH + 1):
        near[off:] |= number[:-off] & (field[off:] == field[:-off])
        near[:-off] |= number[off:] & (field[:-off] == field[off:])
    out[:, 10] = near
    out[:, 11] = np.bincount(clause, weights=number.astype(float))[clause] > 0
    return out


def encode(
    vocab: dict[str, int], bigram_vocab: dict[tuple[str, str], int],
    suffix_vocab: dict[str, int], strong: np.ndarray,
    fields: Sequence[tuple[FieldAnalysis, str, bool]],
) -> Encoded:
    """Lay out ``(analysis, text, is_headline)`` fields for fitting the token model; ``strong``
    says per vocabulary id whether the word has a strong valence."""
    words: list[str] = [""] * PAD
    starts = []
    for fa, _, _ in fields:
        starts.append(len(words))
        words.extend(fa.tokens.words)
        words.extend([""] * PAD)
    total = len(words)
    ids = np.fromiter(map(vocab.get, words, repeat(UNKNOWN)), np.int64, total)
    bigrams = np.zeros(total, np.int64)
    bigrams[:-1] = np.fromiter(map(bigram_vocab.get, pairwise(words), repeat(0)),
                               np.int64, total - 1)
    suffixes = np.zeros((len(SUFFIXES), total), np.int64)
    for row, k in enumerate(SUFFIXES):
        suffixes[row] = np.fromiter(
            map(suffix_vocab.get, map(operator.itemgetter(slice(-k, None)), words), repeat(0)),
            np.int64, total)
    pos = np.concatenate([np.arange(start, start + len(fa.tokens.words))
                          for (fa, _, _), start in zip(fields, starts, strict=True)]) \
        if fields else np.zeros(0, np.int64)
    bounds = [0, *np.cumsum([len(fa.tokens.words) for fa, _, _ in fields]).tolist()]
    dense = _batch_dense(fields, strong[ids[pos]])
    return Encoded(ids, bigrams, suffixes, pos, dense, bounds)
