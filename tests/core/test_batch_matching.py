"""The lexicon matches and forward references found over a batch of fields from word-table
rows (hypemeter.analysis.matching, WordTable.pairs) are exactly the reference's, where the
batch could go wrong: phrases and cue phrases cut by a field's end or a clause break, nested and
overlapping phrases, loaded words taking the next word along (or not, at a field's end or
after punctuation), identity terms masked, words first seen in the batch."""

from __future__ import annotations

import random

import pytest

from hypemeter.analysis.features import analyze_field_reference, analyze_fields
from hypemeter.scoring.scorer import Scorer
from hypemeter.text.tokens import FORWARD_REFERENCES


def _fields(scorer: Scorer) -> list[tuple[str, bool]]:
    lexicon = scorer.bundle.model.lexicon_
    rng = random.Random(11)
    phrases = sorted(" ".join(p) for p in lexicon.phrases_ if len(p) >= 2)
    loaded = sorted(lexicon.words_)
    cues = [" ".join(p) for p in FORWARD_REFERENCES]
    pieces = rng.sample(phrases, min(300, len(phrases))) + rng.sample(loaded, 200) + cues
    fillers = ["the", "a", "of", "council", "budget", "Muslim", "gay", "zqxnovel", "why",
               "you", "this", "is"]
    seps = [" ", " ", " ", ", ", ". ", "; ", " - ", "\n"]
    out: list[tuple[str, bool]] = []
    for k in range(400):
        parts = [rng.choice(pieces if rng.random() < 0.6 else fillers)
                 for _ in range(rng.randint(0, 30))]
        text = ""
        for part in parts:
            text += part + rng.choice(seps)
        if k % 3 == 0 and parts:  # end the field inside or right after a phrase
            text = text.rstrip(" ,.;-\n")
            if k % 2:
                text = text.rsplit(" ", 1)[0]
        out.append((text if k % 5 else text.upper(), k % 2 == 0))
    # a phrase's first word ending one field, its second word opening the next
    for phrase in phrases[:40] + cues:
        first, _, rest = phrase.partition(" ")
        out += [(f"Today {first}", True), (f"{rest} today", False)]
    return out


@pytest.mark.parametrize("mask", [False, True])
def test_batch_matches_and_cues_are_the_reference(scorer: Scorer, mask: bool) -> None:
    model = scorer.bundle.model
    fields = _fields(scorer)
    got = analyze_fields(fields, model.lexicon_, model.valence_, mask=mask)
    n_matches = 0
    for (text, head), fa in zip(fields, got, strict=True):
        want = analyze_field_reference(text, model.lexicon_, model.valence_, is_headline=head,
                                       mask=mask)
        assert fa.tokens == want.tokens, text
        assert fa.matches == want.matches, text
        assert [type(m.weight) for m in fa.matches] == [float] * len(fa.matches)
        assert fa.style.tobytes() == want.style.tobytes(), (text, fa.style, want.style)
        n_matches += len(fa.matches)
    assert n_matches > 500  # the texts do exercise the lexicon
    assert sum(fa.style[10] > 0 for fa in got) > 20  # and the forward references
