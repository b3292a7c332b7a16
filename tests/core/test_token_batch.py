"""``tokenize_many`` (texts classified together) gives each text exactly ``tokenize``'s tokens:
words, offsets, raw tokens, separators and the capitals count (which the batch also gives for
short texts)."""

from __future__ import annotations

import random

from hypemeter.text.token_batch import tokenize_many
from hypemeter.text.tokens import ALL_CAPS_RE, tokenize


def test_many_is_one_by_one() -> None:
    rng = random.Random(5)
    alphabet = "ABCDEFGHIJ abcdefgh''.!?\n-_0123\t\"é’😀"
    texts = ["".join(rng.choice(alphabet[:34] if k % 3 else alphabet)
                     for _ in range(rng.randint(0, 700))) for k in range(600)]
    texts += ["a" * 250, "' " * 150, "A'B " * 80, " " * 300, "ABC" * 100, "x" * 199,
              "'" + "b" * 300 + "'", "ABC " * 60 + "\x00 DEF", "", "Short HEADLINE!"]
    rng.shuffle(texts)
    got = tokenize_many(texts)
    assert len(got) == len(texts)
    for text, tokens in zip(texts, got, strict=True):
        want = tokenize(text)
        assert tokens == want, text[:80]
        # the batch counts capitals for short texts too, which tokenize leaves to the style
        # features (None)
        assert want.caps is None or tokens.caps == want.caps
        if tokens.caps is not None:
            assert tokens.caps == len(ALL_CAPS_RE.findall(text))
        for k, (s, e) in enumerate(zip(tokens.starts, tokens.ends, strict=True)):
            assert text[s:e] == tokens.raw[k]
