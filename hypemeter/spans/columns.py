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
from hypemeter.analysis.vocabulary import PHRASE_BREAKS, STOPWORDS
from hypemeter.text.tokens import INTENSIFIERS, is_superlative
from hypemeter.text.views import int_array

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


# What the token model reads from the text between two tokens, packed in an int: a clause
# break (bit 0: a character of PHRASE_BREAKS), an exclamation (bit 1), and counts of plain (bits
# 2-4), opening (bits 5-7) and closing (bits 8-10) quotes, each at most 7. _KIND numbers the
# characters that count (0: any other; the last slot stands for every code point past them).
_BREAK, _EXCLAIM, _PLAIN, _OPEN, _CLOSE = range(1, 6)
_KIND_OF = {ch: _BREAK for ch in PHRASE_BREAKS} | {"!": _EXCLAIM, '"': _PLAIN}
_KIND_OF |= {q: _OPEN for q in _OPEN_QUOTES} | {q: _CLOSE for q in _CLOSE_QUOTES}
_KIND = np.zeros(max(map(ord, _KIND_OF)) + 2, np.uint8)
for _ch, _kind in _KIND_OF.items():
    _KIND[ord(_ch)] = _kind
_ASCII_KIND = _KIND[:256].tobytes()


def separator_codes(fields: Sequence[tuple[FieldAnalysis, str, bool]]) -> np.ndarray:
    """The code (above) of each separator of each field, in token order (``fa.tokens.seps``
    end to end), from the characters of the fields' texts: the few characters that count are
    found in one pass over the batch, each is given to the separator it lies in (no token holds
    one), and they are counted per separator."""
    texts = [text for _, text, _ in fields]
    nf = len(texts)
    base = np.zeros(nf + 1, np.int64)  # text k is joined[base[k]:base[k + 1]]
    np.cumsum(np.fromiter(map(len, texts), np.int64, nf), out=base[1:])
    sizes = np.fromiter((len(fa.tokens.starts) for fa, _, _ in fields), np.int64, nf)
    n = int(sizes.sum())
    if not n:
        return np.zeros(0, np.int64)
    shift = np.repeat(base[:-1], sizes)
    # separator j is joined[begins[j]:stops[j]]: from its token's end to the next token's
    # start, or to the end of the text after a field's last token
    begins = np.concatenate([int_array(fa.tokens.ends) for fa, _, _ in fields])
    begins += shift
    stops = np.empty(n, np.int64)
    stops[:-1] = np.concatenate([int_array(fa.tokens.starts) for fa, _, _ in fields])[1:]
    stops[:-1] += shift[1:]
    filled = sizes > 0
    stops[np.cumsum(sizes)[filled] - 1] = base[1:][filled]
    joined = "".join(texts)
    if joined.isascii():  # O(1); bytes.translate reads a byte table faster than NumPy indexing
        kinds = np.frombuffer(joined.encode("ascii").translate(_ASCII_KIND), np.uint8)
    else:
        code = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), np.uint32)
        kinds = _KIND[np.minimum(code, np.uint32(len(_KIND) - 1))]
    at = (kinds != 0).nonzero()[0]  # (nonzero of a bool array is much faster than of uint8)
    sep = begins.searchsorted(at, side="right") - 1
    inside = (sep >= 0) & (at < stops[np.maximum(sep, 0)])  # not before a field's first token
    at = at[inside]
    counts = np.bincount(sep[inside] * 6 + kinds[at], minlength=6 * n).reshape(n, 6)
    np.minimum(counts, 7, out=counts)
    return ((counts[:, _BREAK] | counts[:, _EXCLAIM]) > 0) + 2 * (counts[:, _EXCLAIM] > 0) \
        + 4 * counts[:, _PLAIN] + 32 * counts[:, _OPEN] + 256 * counts[:, _CLOSE]


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
    ``codes`` (:func:`separator_codes`) and ``number`` (:func:`is_number` of each
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
        cased = (~np.fromiter(map(str.__eq__, raw, lowered), bool, n)).nonzero()[0]
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
        codes = separator_codes(fields)
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
    pre_plain, pre_open, pre_close = np.array(
        [(p.count('"'), sum(map(p.count, _OPEN_QUOTES)), sum(map(p.count, _CLOSE_QUOTES)))
         if p else (0, 0, 0) for p in prefixes], np.int64).reshape(-1, 3).T

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
    clauses = int(clause[-1]) + 1
    out[:, 7] = np.bincount(clause[excl], minlength=clauses)[clause] > 0
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
    out[:, 11] = np.bincount(clause[number], minlength=clauses)[clause] > 0
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
