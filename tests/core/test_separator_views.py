"""Separators and offsets kept as arrays (:mod:`hypemeter.text.views`) read as the lists they
stand for, and :func:`hypemeter.spans.columns.separator_codes` gives each separator the code
that reading its characters one by one gives (the reference below)."""

from __future__ import annotations

import random

import numpy as np

from hypemeter.analysis.features import FieldAnalysis
from hypemeter.analysis.vocabulary import PHRASE_BREAKS
from hypemeter.spans.columns import separator_codes
from hypemeter.text.token_batch import tokenize_many
from hypemeter.text.tokens import tokenize_regex
from hypemeter.text.views import Offsets, Separators, Slices, holds_any


def reference_code(sep: str) -> int:
    """A clause break (bit 0), an exclamation (bit 1), and counts of plain, opening and
    closing quotes (at most 7 each)."""
    return (
        (not PHRASE_BREAKS.isdisjoint(sep)) + 2 * ("!" in sep)
        + 4 * min(sep.count('"'), 7)
        + 32 * min(sep.count("\u201c") + sep.count("\u00ab"), 7)
        + 256 * min(sep.count("\u201d") + sep.count("\u00bb"), 7)
    )


def _texts(seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = 'Ab c1 .!?;:\n\r"“”«»\u2026\u2028\u2029-,\'’é😀 '
    texts = ["".join(rng.choice(alphabet[:24] if k % 2 else alphabet)
                     for _ in range(rng.randint(0, 600))) for k in range(300)]
    texts += ["", "   ", '""""""""""word""""""""""', "no punctuation at all", "!!!", "a!"]
    texts += ["A" * 250 + ' "' * 12, "w " + "“«" * 9 + " x " + "”»" * 9, "x\x00y. z"]
    rng.shuffle(texts)
    return texts


def test_separator_codes_read_each_separator_as_its_characters() -> None:
    texts = _texts(3)
    toks = tokenize_many(texts)
    fields = [(FieldAnalysis(t, np.zeros(1), []), text, False)
              for t, text in zip(toks, texts, strict=True)]
    want = [reference_code(s) for t in toks for s in t.seps]
    got = separator_codes(fields)
    assert got.tolist() == want
    assert max(want) > 256 + 32 + 4 + 3  # every part of the code occurs
    # a batch of one field, and of none
    assert separator_codes(fields[:1]).tolist() == [reference_code(s) for s in toks[0].seps]
    assert separator_codes([]).tolist() == []


def test_views_read_as_lists() -> None:
    text = "It's  “here”, now! And (then) 42 "
    toks = tokenize_many([text * 10])[0]
    assert isinstance(toks.seps, Separators) and isinstance(toks.starts, Offsets)
    want = tokenize_regex(text * 10)
    assert list(toks.seps) == want.seps and toks.seps == want.seps
    assert toks.starts == want.starts and want.ends == toks.ends
    assert toks.seps[-1] == want.seps[-1] and toks.seps[1:4] == want.seps[1:4]
    assert toks.starts[3] == want.starts[3] and type(toks.starts[3]) is int
    assert toks.ends[-2:] == want.ends[-2:]
    assert np.asarray(toks.starts, np.int64).tolist() == want.starts
    assert toks.starts != want.starts[:-1] and toks.seps != want.seps[1:]



def test_separators_hold_a_break_as_each_separator_does() -> None:
    text = "One, two; three!  “Four” five\n\nsix. seven eight: nine" * 6
    toks = tokenize_many([text])[0]
    listed = list(toks.seps)
    n = len(listed)
    for chars in (PHRASE_BREAKS, frozenset("“")):
        for first in range(n):
            for stop in range(first, n):
                want = any(not chars.isdisjoint(s) for s in listed[first:stop])
                assert holds_any(toks.seps, first, stop, chars) == want
                assert holds_any(listed, first, stop, chars) == want


def test_tokens_without_raw_strings_are_the_same_tokens() -> None:
    texts = [*_texts(4), "Mixed CASE Words, O'Brien's ABCs and 3Com. " * 9]
    cut = tokenize_many(texts, raw=False)
    full = tokenize_many(texts)
    assert cut == full
    assert any(isinstance(t.raw, Slices) for t in cut)
    for c, f in zip(cut, full, strict=True):
        assert list(c.raw) == f.raw and c.words == f.words
        if f.raw:
            assert c.raw[0] == f.raw[0] and c.raw[-1] == f.raw[-1]
            assert c.raw[1:3] == f.raw[1:3]
