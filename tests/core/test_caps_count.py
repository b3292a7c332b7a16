"""``Tokens.caps`` (runs of three or more capitals, counted while tokenising) is what the style
features' ``ALL_CAPS_RE.findall`` gives, also after identity terms are masked."""

from __future__ import annotations

import random

from hypemeter.analysis.identity import mask_field
from hypemeter.text.tokens import ALL_CAPS_RE, tokenize


def test_caps_is_the_regex_count() -> None:
    rng = random.Random(3)
    alphabet = "ABCDEFGHIJ abcdef'’.!?\n-_éÉ😀ΣΊ0123"
    known = 0
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 700)))
        caps = tokenize(text).caps
        if caps is not None:
            known += 1
            assert caps == len(ALL_CAPS_RE.findall(text)), text
    assert known > 1000  # long texts take the counting path


def test_caps_after_masking() -> None:
    filler = " ".join(["the council met on Tuesday"] * 12)
    for text in (f"BREAKING: AMERICAN NATO chiefs say MUSLIMS. {filler} WOW",
                 f"{filler} Women's RIGHTS, AMERICANS'S, LGBTQ+ ABC AMERICAN",
                 f"{filler} Native AMERICAN and FAR RIGHT groups, USA USA"):
        masked, toks = mask_field(text, tokenize(text))
        assert masked != text and toks.caps is not None
        assert toks.caps == len(ALL_CAPS_RE.findall(masked)), text
