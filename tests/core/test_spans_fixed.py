"""Spans checked against fixed, hand-written expectations (not against offsets the model
itself produced): multi-word phrases must come out whole, at the right offsets."""

from __future__ import annotations

from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

# Clickbait teasers count in headlines only (a body that quotes one is not a teaser).
HEADLINE = "Act now: you won't believe what happened next"
BODY = ("Residents who read the notice on Monday said the plan was fine. You won't believe "
        "what happened next, one neighbour wrote.")
URGENT = Article(headline=HEADLINE, body=BODY, id="fixed-1")

# (field, start, end, text): written by hand from the texts above.
EXPECTED = [
    ("headline", 0, 7, "Act now"),
    ("headline", 9, 26, "you won't believe"),
    ("headline", 27, 45, "what happened next"),
]


def test_fixed_texts_are_what_the_offsets_say() -> None:
    for field, start, end, text in EXPECTED:  # the expectations themselves are right
        assert getattr(URGENT, field)[start:end] == text


def test_multi_word_phrases_come_out_whole_at_fixed_offsets(scorer: Scorer) -> None:
    spans = scorer.score_one(URGENT).spans
    got = {(s.field, s.start, s.end, s.text) for s in spans}
    for expected in EXPECTED:
        assert expected in got, (expected, sorted(got))
    by_text = {s.text: s for s in spans}
    assert by_text["Act now"].category == "urgency"
    # no span cuts one of these phrases short or runs past it
    for field, start, end, _ in EXPECTED:
        overlapping = [s for s in spans if s.field == field and s.start < end and start < s.end]
        assert [(s.start, s.end) for s in overlapping] == [(start, end)], overlapping
