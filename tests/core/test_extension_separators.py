"""A loaded word takes the next word along only when whitespace alone separates them: the batch
matcher reads those separators in one pass from the fields' texts (hypemeter.analysis.matching
._all_space) and must keep ``str.isspace``'s answer for every kind of separator (Unicode spaces,
line and paragraph separators, tabs, empty-looking punctuation), when the separators are cut
from texts, given as lists, or both in one chunk; and a phrase starting at a loaded word still
wins over taking the next word along."""

from __future__ import annotations

import random

import pytest

from hypemeter.analysis.features import analyze_field_reference
from hypemeter.analysis.matching import match_fields
from hypemeter.analysis.word_table import word_table
from hypemeter.scoring.scorer import Scorer
from hypemeter.text.token_batch import tokenize_many
from hypemeter.text.tokens import tokenize_regex
from hypemeter.text.views import Separators

SEPARATORS = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2009", "\u2028", "\u3000", "\x0b",
              "\x1c", " - ", "-", ", ", ". ", "_", " _ ", "\u200b", "/", " \u00a0 "]


def _texts(scorer: Scorer, ascii_only: bool) -> list[str]:
    lexicon = scorer.bundle.model.lexicon_
    rng = random.Random(5 + ascii_only)
    extending = sorted(w for w, e in lexicon.single_entries_.items() if e[2])
    phrases = sorted(" ".join(p) for p in lexicon.phrases_ if len(p) >= 2)
    takeable = ["council", "budget", "crowd", "Report", "zqxnovel", "markets", "2024"]
    seps = [s for s in SEPARATORS if s.isascii()] if ascii_only else SEPARATORS
    out = []
    for _ in range(120):
        parts = []
        for _ in range(rng.randint(1, 40)):
            r = rng.random()
            piece = (rng.choice(extending) if r < 0.45 else rng.choice(phrases) if r < 0.6
                     else rng.choice(takeable))
            parts.append(piece + rng.choice(seps))
        out.append("".join(parts).rstrip() if rng.random() < 0.5 else "".join(parts))
    return out


@pytest.mark.parametrize("ascii_only", [True, False])
def test_extensions_are_the_reference(scorer: Scorer, ascii_only: bool) -> None:
    model = scorer.bundle.model
    lexicon, valence = model.lexicon_, model.valence_
    table = word_table(lexicon, valence)
    texts = _texts(scorer, ascii_only)
    toks = tokenize_many(texts)
    words = [t.words for t in toks]
    flat = [w for ws in words for w in ws]
    ids = table.ids(flat)
    want = [analyze_field_reference(t, lexicon, valence, is_headline=False).matches
            for t in texts]
    taken = sum(m.last > m.first for ms in want for m in ms)
    assert taken > 50  # the texts do exercise extensions
    as_cut = [t.seps for t in toks]
    assert sum(type(s) is Separators for s in as_cut) > len(as_cut) // 2
    as_lists = [list(s) for s in as_cut]
    mixed = [s if k % 3 else list(s) for k, s in enumerate(as_cut)]
    for seps in (as_cut, as_lists, mixed):
        got, sums, sizes = match_fields(lexicon, table, words, seps, ids)
        assert got == want
        assert sizes == [len(m) for m in want]
        assert sums == [sum(m.weight * (m.last - m.first + 1) for m in ms) for ms in want]


def test_short_fields_with_list_separators(scorer: Scorer) -> None:
    """Headlines tokenised alone (by the regex) have plain lists of separators."""
    model = scorer.bundle.model
    lexicon, valence = model.lexicon_, model.valence_
    table = word_table(lexicon, valence)
    texts = [t[:150] for t in _texts(scorer, False)[:40]]
    toks = [tokenize_regex(t) for t in texts]
    words = [t.words for t in toks]
    ids = table.ids([w for ws in words for w in ws])
    got, _, _ = match_fields(lexicon, table, words, [t.seps for t in toks], ids)
    assert got == [analyze_field_reference(t, lexicon, valence, is_headline=True).matches
                   for t in texts]
