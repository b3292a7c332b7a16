"""Highlights that read right (issue 22 item 5), on the shipped model and texts written for these
tests: no teaser fragment reported alone, no phrase cut before its object, and a vocabulary
phrase has one category wherever it appears."""

from __future__ import annotations

from hypemeter.records.results import Article, Span
from hypemeter.scoring.scorer import Scorer


def spans(scorer: Scorer, headline: str, body: str = "") -> list[Span]:
    return scorer.score_one(Article(headline, body)).spans


def test_a_teaser_fragment_is_not_reported_alone(scorer: Scorer) -> None:
    """"you will" is a mined n-gram of the clickbait vocabulary (two stop words): a piece of
    "You will not believe", not a teaser; a teaser the vocabulary holds is still reported."""
    vocabulary = scorer.bundle.model.lexicon_.phrases_
    assert ("you", "will") in vocabulary  # the fragment is in the vocabulary ...
    for headline in ("You will not believe this miracle cure",
                     "You will never guess what the mayor grows in her garden"):
        found = spans(scorer, headline)
        assert not any(s.text.lower() == "you will" for s in found), found  # ... not reported
    teaser = spans(scorer, "You won't believe what happened next at the county fair")
    assert [s.text for s in teaser if s.category == "clickbait"] == [
        "You won't believe", "what happened next"]


def test_a_phrase_is_not_cut_before_its_object(scorer: Scorer) -> None:
    body = ("Readers are absolutely losing it over the new bridge. These insane photos are "
            "breaking the internet, and fans are absolutely losing their minds.")
    texts = [s.text for s in spans(scorer, "", body)]
    for cut in ("absolutely losing", "insane photos are breaking"):
        assert cut not in texts, texts
    assert any(t.endswith("losing it") for t in texts), texts
    # the model need not mark "breaking" here (2026-12-07.1 does not); a span that does takes
    # its object along
    assert all(t.endswith("breaking the internet") for t in texts if "breaking" in t), texts


def test_a_vocabulary_phrase_has_one_category_wherever_it_is(scorer: Scorer) -> None:
    """"Act now" alone, before a loaded clause and inside one: always urgency, as a span of its
    own; the loaded words around it are spans of their own."""
    texts = ["Act now.", "Act now before it's too late",
             "Act now before these cowardly thugs destroy everything you love",
             "Residents must act now, the corrupt elite is lying to every one of us!"]
    for text in texts:
        for field in ("headline", "body"):
            found = spans(scorer, *((text, "") if field == "headline" else ("", text)))
            act = [s for s in found if "act now" in s.text.lower()]
            assert [(s.text.lower(), s.category) for s in act] == [("act now", "urgency")], found
    found = spans(scorer, "", texts[2])
    assert any(s.category != "urgency" and "thugs" in s.text for s in found), found


def test_a_one_word_formula_is_one_only_as_a_label(scorer: Scorer) -> None:
    """"breaking" is urgency as the label of news ("BREAKING: ...", "Breaking news"), not in
    "photos are breaking the internet" or "breaking the record"."""
    for headline in ("BREAKING: council votes tonight", "Breaking news from the harbour"):
        assert any(s.text.lower() == "breaking" and s.category == "urgency"
                   for s in spans(scorer, headline)), headline
    for body in ("These photos are breaking the internet.",
                 "The runner is breaking the record set in 1998."):
        assert not any(s.category == "urgency" for s in spans(scorer, "", body)), body
