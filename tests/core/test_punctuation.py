"""The punctuation the style features read, counted for a batch at once
(:func:`hypemeter.text.punctuation.punctuation_counts`), is what ``str.count`` gives text by
text: sentence ends as :func:`count_sentences` counts them (runs of newlines, '." ', the end of
the text), exclamation and question marks, quote characters."""

from __future__ import annotations

import random

from hypemeter.text.punctuation import Punctuation, punctuation_counts
from hypemeter.text.tokens import QUOTE_CHARS, count_sentences


def by_hand(text: str) -> Punctuation:
    return Punctuation(count_sentences(text), text.count("!"), text.count("?"),
                       sum(text.count(q) for q in QUOTE_CHARS))


def test_batch_counts_are_str_counts() -> None:
    rng = random.Random(7)
    alphabet = 'ab .!?\n\n"  \t\x00'
    texts = ["".join(rng.choice(alphabet + ("”“«é" if k % 4 == 0 else ""))
                     for _ in range(rng.randint(0, 300))) for k in range(800)]
    texts += ["", " ", "\n" * 7, "\n\n\n", "End.", "End. ", "End.\n\n", 'He said." Then',
              "Wow!!! Really?? ", "a" * 50, "x\n\n\ny", "Quote.” Next", "tail ?  \t"]
    rng.shuffle(texts)
    got = punctuation_counts(texts)
    assert got == [by_hand(t) for t in texts]
    assert {g.sentences for g in got} > {1, 2, 3}  # the texts do exercise the counting
    assert punctuation_counts([]) == []
