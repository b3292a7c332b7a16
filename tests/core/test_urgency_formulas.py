"""A hand-written urgency formula is reported as it stands, even when every word of it is a stop
word ("now or never": now, or and never are all on the stop list), while a mined n-gram of stop
words alone still is not (``test_highlights.py``). Texts written for this test."""

from __future__ import annotations

from hypemeter.analysis.vocabulary import SEED_PHRASES, STOPWORDS
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer


def test_now_or_never_is_all_stop_words() -> None:
    assert "now or never" in SEED_PHRASES
    assert all(w in STOPWORDS for w in ["now", "or", "never"])


def test_an_all_stop_word_formula_is_highlighted_in_headline_and_body(scorer: Scorer) -> None:
    result = scorer.score_one(Article(
        "Council vote on the harbour plan: 'Now or never'",
        "The chair told members the decision was now or never. The vote is on Tuesday."))
    urgency = [(s.field, s.text) for s in result.spans if s.category == "urgency"]
    assert urgency == [("headline", "Now or never"), ("body", "now or never")], result.spans
    assert all(s.weight == 0.8 for s in result.spans if s.category == "urgency")
