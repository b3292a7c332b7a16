"""Lexicon matches of many fields at once, from their rows in the word table.

:meth:`hypemeter.analysis.lexicon.PhraseLexicon.match` walks a field's tokens in Python. Here
the same matches are found for a chunk of fields laid end to end in array operations over the
fields' :class:`~hypemeter.analysis.word_table.WordTable` rows: a word that matches on its own
(and whether it takes the next word along) is a column of the table, so only the few places
where a multi-word phrase may start are looked at in Python; the separators after the loaded
words followed by a content word are read in one pass.

Why the result is the same as ``match``'s left-to-right walk: a match starts where a word
matches on its own or a word and its successor begin a phrase; a word taken along by a loaded
word is no entry word, so it never starts one; only a multi-word phrase can cover where another
match would start. So every start candidate keeps its own match unless a phrase kept before it
covers it, and the phrases are the only matches resolved in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat

import numpy as np

from hypemeter.analysis.lexicon import Match, PhraseLexicon
from hypemeter.analysis.word_table import (
    EXTENDS,
    FLAGS,
    HEAD_FIRST,
    HEAD_PAIRS,
    HEAD_SECOND,
    SINGLE,
    TAKEABLE,
    WordTable,
)
from hypemeter.text.views import Separators


def match_fields(lexicon: PhraseLexicon, table: WordTable, words: Sequence[list[str]],
                 seps: Sequence[Sequence[str]], ids: np.ndarray, *, objects: bool = True
                 ) -> tuple[list[list[Match]] | None, list[float], list[int]]:
    """``[lexicon.match(field) for field in fields]`` for fields given by their ``words`` and
    ``seps`` (separators after each token), ``ids`` their words' rows in ``table`` end to end
    (None without ``objects``: scoring without explanations reads only the two sums); and per
    field ``sum(m.weight * (m.last - m.first + 1) for m in matches)`` (the loaded weight the
    style vector reads) and the number of matches."""
    nf = len(words)
    lens = np.fromiter(map(len, words), np.int64, nf)
    bounds = np.zeros(nf + 1, np.int64)
    np.cumsum(lens, out=bounds[1:])
    n = int(bounds[-1])
    if n == 0:
        return [[] for _ in range(nf)] if objects else None, [0] * nf, [0] * nf
    props, _, _, codes, weights = table.arrays
    flags = props[ids, FLAGS]
    # a field's last token has no successor in its field
    has_next = np.ones(n, bool)
    has_next[bounds[1:][lens > 0] - 1] = False
    single = (flags & SINGLE) != 0
    pair = np.zeros(n, bool)
    pair[:-1] = ((flags[:-1] & HEAD_FIRST) != 0) & ((flags[1:] & HEAD_SECOND) != 0)
    pair &= has_next
    # of those, the pairs that do begin a phrase ("the" and "of" begin some, rarely together)
    maybe = pair.nonzero()[0]
    pair[maybe] = table.pairs_at(HEAD_PAIRS, ids, maybe)
    # loaded words that take the next word along when only whitespace separates them
    extend = np.zeros(n, bool)
    extend[:-1] = single[:-1] & ((flags[:-1] & EXTENDS) != 0) & ((flags[1:] & TAKEABLE) != 0)
    extend &= has_next
    last = np.arange(n)
    cat = codes[ids].astype(np.int64)
    weight = weights[ids]
    phrase_cats: list[str] = []
    found_at = np.zeros(n, bool)  # a phrase starts there (kept or not)
    heads = pair.nonzero()[0]
    if len(heads):
        owner_of = bounds.searchsorted(heads, side="right") - 1
        local = (heads - bounds[owner_of]).tolist()
        lengths_of = lexicon.phrase_heads_
        covered = np.zeros(n + 1, np.int64)
        taken_until = 0
        for g, k, i in zip(heads.tolist(), owner_of.tolist(), local, strict=True):
            field = words[k]
            found = lexicon._phrase_at(field, seps[k], i, lengths_of[field[i], field[i + 1]])
            if found is not None:
                found_at[g] = True
                length, (category, w) = found
                if g >= taken_until:  # a phrase inside a kept phrase is not kept
                    last[g] = g + length - 1
                    cat[g] = -2 - len(phrase_cats)
                    phrase_cats.append(category)
                    weight[g] = w
                    single[g] = True
                    covered[g + 1] += 1
                    covered[g + length] -= 1
                    taken_until = g + length
        if taken_until:
            single &= np.cumsum(covered[:n]) == 0
    # a loaded word where no phrase starts takes the next word when only whitespace separates
    # them (the separators read in one pass)
    takes = (extend & ~found_at).nonzero()[0]
    if len(takes):
        last[takes[_all_space(seps, bounds, takes)]] += 1
    starts = single.nonzero()[0]
    lasts = last[starts]
    owners = bounds.searchsorted(starts, side="right") - 1
    w = weight[starts]
    loaded = (w * (lasts - starts + 1)).tolist()
    cut = owners.searchsorted(np.arange(nf + 1)).tolist()
    sums = [sum(loaded[cut[k]:cut[k + 1]]) for k in range(nf)]
    sizes = np.diff(cut).tolist()
    if not objects:
        return None, sums, sizes
    base = bounds[owners]
    names = table.categories
    cat_list = cat[starts].tolist()
    category = [names[c] if c >= 0 else phrase_cats[-2 - c] for c in cat_list]
    # what Match._make does, without a Python call per match
    matches = list(map(tuple.__new__, repeat(Match), zip(
        (starts - base).tolist(), (lasts - base).tolist(), category, w.tolist(), strict=True)))
    return [matches[cut[k]:cut[k + 1]] for k in range(nf)], sums, sizes



def _all_space(seps: Sequence[Sequence[str]], bounds: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Per batch token index in ``at`` (fields laid end to end from ``bounds``; each token has
    a successor in its field): whether the separator after it is whitespace alone
    (``str.isspace``). When every field's separators are a
    :class:`~hypemeter.text.views.Separators` (tokenised in a batch), they are cut from the
    texts by the offsets laid end to end, with no Python call per separator."""
    owner = bounds.searchsorted(at, side="right") - 1
    if not all(type(s) is Separators for s in seps):
        return np.array([seps[k][i].isspace() for k, i in zip(
            owner.tolist(), (at - bounds[owner]).tolist(), strict=True)], bool)
    cuts: list[Separators] = seps  # type: ignore[assignment]
    ends = np.concatenate([s.ends for s in cuts])[at].tolist()
    stops = np.concatenate([s.starts for s in cuts])[at + 1].tolist()
    texts = [s.text for s in cuts]
    cut = map(str.__getitem__, map(texts.__getitem__, owner.tolist()), map(slice, ends, stops))
    return np.fromiter(map(str.isspace, cut), bool, len(at))
