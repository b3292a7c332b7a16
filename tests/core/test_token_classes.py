"""The byte classes ``tokenize_many`` splits ASCII text with (one ``bytes.translate`` for
letters, digits, capitals and apostrophes; another for the characters a token keeps): with and
without raw token strings, each text's words, raw tokens, offsets, separators and capitals are
those of the regular-expression tokenizer, apostrophes at every position included."""

from __future__ import annotations

import random

from hypemeter.text.token_batch import tokenize_many
from hypemeter.text.tokens import ALL_CAPS_RE, tokenize_regex


def _texts() -> list[str]:
    rng = random.Random(11)
    alphabet = "ABCZ abyz''' .!\n\t\x00\x7f09-_\"`"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 600)))
             for _ in range(400)]
    texts += ["'" * 300, "a'" * 150, "'a" * 150, "A''B " * 60, "it's rock 'n' roll, 'quoted' "
              * 10, "X" * 250, "x'Y'z " * 50]
    return texts


def test_words_and_tokens_are_the_regex_tokenizers() -> None:
    texts = _texts()
    for raw in (True, False):
        for text, got in zip(texts, tokenize_many(texts, raw=raw), strict=True):
            want = tokenize_regex(text)
            assert got.words == want.words, text[:60]
            assert list(got.raw) == want.raw
            assert list(got.starts) == want.starts and list(got.ends) == want.ends
            assert list(got.seps) == want.seps
            assert got.caps == len(ALL_CAPS_RE.findall(text))
