"""The NumPy tokenizer gives exactly what the regular-expression reference gives."""

from __future__ import annotations

import random

import pytest

from hypemeter.text import tokens as text
from hypemeter.text.tokens import tokenize, tokenize_regex

# Hand-written: apostrophes inside and around words, underscores, non-ASCII letters and
# digits, case changes that alter length (İ), final sigma, NUL, a lone surrogate.
TEXTS = [
    "a''b 'tis rock'n'roll don't ’twas it’s o’clock x'' ''y __init__ x_y _z_ a_ b'",
    "ABCdefGHI NATO BREAKING!!! U.S.A. e.g. Mr. Smith... What?! “Quoted.” (Aside.) Next",
    "Ⅻ ² ١٢٣ ǅungla ßtraße İstanbul ΣΊΣΥΦΟΣ Ωmega ﬁne naïve café résumé 東京 😀 emoji",
    "\ttabs\tand\u00a0non-breaking\u2009spaces\u2028line\u2029para\r\nwindows\rmac\x0bvt",
    "nul\x00inside the text, which the separators would otherwise confuse with a token",
    "a lone surrogate \ud800 between words and another one at the end \udfff",
    "The council met on Tuesday. It approved the budget, 12 votes to 3, after a long debate.",
]


@pytest.fixture(autouse=True)
def _numpy_path_for_every_length(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text, "_SHORT", 0)


@pytest.mark.parametrize("sample", TEXTS)
def test_hand_written_texts(sample: str) -> None:
    assert tokenize(sample) == tokenize_regex(sample)
    assert tokenize(sample * 9) == tokenize_regex(sample * 9)


def test_random_texts() -> None:
    rng = random.Random(11)
    alphabet = list("ab'’ Z9_.\n\t!?\"“”é\u00dfİΣ\u2028\u00a0-😀²Ⅻ١\ud800")
    for _ in range(5000):
        sample = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        assert tokenize(sample) == tokenize_regex(sample), repr(sample)


def test_offsets_point_at_the_tokens() -> None:
    sample = TEXTS[2] + " " + TEXTS[0]
    toks = tokenize(sample)
    assert toks.raw and [sample[s:e] for s, e in zip(toks.starts, toks.ends, strict=True)] == \
        toks.raw
    assert toks.words[toks.raw.index("İstanbul")] == "i̇stanbul"
    assert "it’s" in toks.raw and "it's" in toks.words and "twas" in toks.words
