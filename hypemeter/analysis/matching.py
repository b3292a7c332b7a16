"""Lexicon matches of many fields at once, from their rows in the word table.

:meth:`hypemeter.analysis.lexicon.PhraseLexicon.match` walks a field's tokens in Python. Here
the same matches are found for a chunk of fields laid end to end in array operations over the
fields' :class:`~hypemeter.analysis.word_table.WordTable` rows: a word that matches on its own
(and whether it takes the next word along) is a column of the table, so only the few places
where a multi-word phrase may start and the few loaded words followed by a content word are
looked at in Python.

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
    at = (extend | pair).nonzero()[0]
    if len(at):
        owner_of = bounds.searchsorted(at, side="right") - 1
        local = (at - bounds[owner_of]).tolist()
        lengths_of = lexicon.phrase_heads_
        is_pair = pair[at].tolist()
        is_ext = extend[at].tolist()
        covered = np.zeros(n + 1, np.int64)
        taken_until = 0
        for g, k, i, p, e in zip(at.tolist(), owner_of.tolist(), local, is_pair, is_ext,
                                 strict=True):
            if p:
                field = words[k]
                found = lexicon._phrase_at(field, seps[k], i, lengths_of[field[i], field[i + 1]])
                if found is not None:
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
                    continue
            if e and seps[k][i].isspace():
                last[g] = g + 1
        if taken_until:
            single &= np.cumsum(covered[:n]) == 0
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

