"""Sentence boundaries (hypemeter.text.sentences): Punkt parameters learned by nltk's PunktTrainer,
applied by the one splitter the text pipeline uses, checked on a hand-written set."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from hypemeter.scoring.scorer import Scorer
from hypemeter.text.sentences import UNTRAINED, SentenceSplitter

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sentence_boundaries.jsonl"
CASES = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]


def sentences(splitter: SentenceSplitter, text: str) -> list[str]:
    return [text[a:b] for a, b in splitter.spans(text)]


def accuracy(splitter: SentenceSplitter) -> float:
    return sum(sentences(splitter, c["text"]) == c["sentences"] for c in CASES) / len(CASES)


@pytest.fixture(scope="module")
def learned(scorer: Scorer) -> SentenceSplitter:
    splitter = getattr(scorer.bundle.model, "sentences_", None)
    assert isinstance(splitter, SentenceSplitter), "the bundle stores its sentence splitter"
    return splitter


def test_the_bundle_learned_abbreviations_from_the_corpora(learned: SentenceSplitter) -> None:
    assert learned.trained_chars > 0
    assert sentences(learned, "Mr. Alvarez spoke first. The U.S. delegation left early.") == [
        "Mr. Alvarez spoke first.", "The U.S. delegation left early."]
    # nothing learned: a period after anything but an honorific or initial ends a sentence
    assert sentences(learned, "Gov. Hart spoke.") == ["Gov. Hart spoke."]
    assert sentences(UNTRAINED, "Gov. Hart spoke.") == ["Gov.", "Hart spoke."]
    assert sentences(UNTRAINED, "Mr. Hart spoke.") == ["Mr. Hart spoke."]  # HONORIFICS


def test_hand_checked_boundaries(learned: SentenceSplitter) -> None:
    """The learned splitter gets nearly every hand-checked passage exactly right, and much
    more than the untrained rules (benchmarks/bench_sentences.py prints both)."""
    assert accuracy(learned) >= 0.85
    assert accuracy(learned) > accuracy(UNTRAINED) + 0.15


def test_offsets_cover_the_text_in_order() -> None:
    text = "  First line without a stop\nSecond one. Third!\n\n\u201cQuoted.\u201d  Last ?  "
    spans = UNTRAINED.spans(text)
    assert [text[a:b] for a, b in spans] == [
        "First line without a stop", "Second one.", "Third!", "\u201cQuoted.\u201d", "Last ?"]
    assert all(b1 <= a2 for (_, b1), (a2, _) in pairwise(spans))
    assert UNTRAINED.spans("") == [] and UNTRAINED.spans(" \n ") == []
    assert UNTRAINED.count("") == 1  # a rate's denominator is never 0


def test_trainer_learns_an_abbreviation_from_text() -> None:
    text = " ".join(
        f"The plan of Gov. Hart number {k} was read aloud in the hall by a clerk today. "
        f"It was long and dull and the members said so." for k in range(60))
    learned = SentenceSplitter.train([text])
    assert "gov" in learned.abbrevs
    assert sentences(learned, "Gov. Hart spoke. Members left.") == ["Gov. Hart spoke.",
                                                                   "Members left."]
