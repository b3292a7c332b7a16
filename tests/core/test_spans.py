"""Phrase spans read in context and sentence scores (hypemeter.spans, hypemeter.scoring.explain),
on the real default model and texts written for these tests."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer
from hypemeter.spans.decoding import Runs, span_weights
from hypemeter.spans.fast import encode_fast, token_proba
from hypemeter.spans.model import SpanModel

LOADED = "These cowardly thugs are killing our towns and laughing at every decent family!"
PLAIN = "The storm flooded the valley on Sunday, killing two farmers, the county police said."


def word_proba(scorer: Scorer, text: str, word: str) -> float:
    model = scorer.bundle.model
    sm: SpanModel = model.span_model_
    an = model.analyze([Article("", text)])[0]
    proba = token_proba(sm, encode_fast(sm, [(an.body, text, False)]))
    return float(proba[an.body.tokens.words.index(word)])


def test_the_same_word_is_loaded_in_one_sentence_and_plain_in_another(scorer: Scorer) -> None:
    loaded, plain = word_proba(scorer, LOADED, "killing"), word_proba(scorer, PLAIN, "killing")
    assert loaded > plain + 0.1, (loaded, plain)
    in_loaded = scorer.score_one(Article("", LOADED)).spans
    in_plain = scorer.score_one(Article("", PLAIN)).spans
    assert any(s.start <= LOADED.index("killing") < s.end for s in in_loaded)
    assert not any(s.start <= PLAIN.index("killing") < s.end for s in in_plain)


def test_context_moves_a_word_both_ways(scorer: Scorer) -> None:
    """An exclamation and name calling around a word raise it; a plain report lowers it."""
    base = word_proba(scorer, "Officials called the plan a disaster for the region.", "disaster")
    hot = word_proba(scorer, "These idiots call it a plan? A total disaster for all of us!",
                     "disaster")
    assert hot > base


def test_spans_point_at_their_text_and_weights_are_probabilities(scorer: Scorer) -> None:
    head = "Outrageous betrayal: corrupt officials destroy our beloved town"
    body = f"{PLAIN}\n\n{LOADED} The council meets on Monday."
    res = scorer.score_one(Article(head, body))
    assert res.spans
    for s in res.spans:
        text = head if s.field == "headline" else body
        assert text[s.start:s.end] == s.text and s.text.strip() == s.text
        assert 0.0 <= s.weight <= 1.0
        assert not any(c in s.text for c in ".!?\n")  # never across a sentence end


def test_sentences_cover_both_fields_in_order(scorer: Scorer) -> None:
    head = "Council approves road budget"
    body = f"{PLAIN} {LOADED}\nThe vote was 7 to 2. Mr. Ortiz abstained."
    res = scorer.score_one(Article(head, body), sentences=True)
    assert res.sentences is not None
    fields = {"headline": head, "body": body}
    got = [(s.field, fields[s.field][s.start:s.end]) for s in res.sentences]
    assert got == [("headline", head), ("body", PLAIN), ("body", LOADED),
                   ("body", "The vote was 7 to 2."), ("body", "Mr. Ortiz abstained.")]
    scores = {text: s.sensationalism for (_, text), s in zip(got, res.sentences, strict=True)}
    assert all(0.0 <= q <= 1.0 for q in scores.values())
    assert scores[LOADED] > scores[PLAIN] and scores[LOADED] > scores["The vote was 7 to 2."]
    # asking for sentences changes nothing else; not asking leaves the result as it was
    plain = scorer.score_one(Article(head, body))
    assert plain.sentences is None and "sentences" not in plain.to_dict()
    assert plain.spans == res.spans and plain.scores == res.scores
    only = scorer.score_one(Article(head, body), explain=False, sentences=True)
    assert only.spans == [] and only.sentences == res.sentences


def test_weights_are_calibrated_on_held_out_folds(scorer: Scorer) -> None:
    sm: SpanModel = scorer.bundle.model.span_model_
    assert 0.0 < sm.low <= sm.threshold < 1.0
    at = np.zeros(2, np.int64)
    low, high = span_weights(sm, Runs(at, at, at, np.array([sm.threshold, 0.95]),
                                      np.array([sm.threshold, 0.925]), np.array([1, 2])))
    assert 0.0 <= low < high <= 1.0
    assert sm.metrics["held_out_folds"] >= 2


@pytest.mark.slow
def test_cli_score_sentences() -> None:
    line = json.dumps({"id": "x", "headline": "Act now", "body": f"{PLAIN} {LOADED}"})
    from support.paths import REPO as REPO_ROOT

    res = subprocess.run([sys.executable, "-m", "hypemeter", "score", "-", "--sentences",
                          "--model", str(REPO_ROOT / "models" / "current")],
                         input=line, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert [(s["field"], s["start"], s["end"]) for s in out["sentences"]] == [
        ("headline", 0, 7), ("body", 0, len(PLAIN)),
        ("body", len(PLAIN) + 1, len(PLAIN) + 1 + len(LOADED))]


def test_edge_trimming_drops_weak_edge_words_and_keeps_the_peak() -> None:
    from hypemeter.spans.decoding import trim_runs

    #              the  sends deadly weapon  to | a  cold war | of  dull  the
    proba = np.array([.2, .14, .58, .34, .10, .5, .9, .2, .4, .12, .6])
    stop = np.array([1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1], bool)
    starts, ends = np.array([0, 5, 8]), np.array([4, 7, 10])
    # stop words only: "sends deadly weapon", "cold war"; "of dull the" keeps "dull"
    a, b, _ = trim_runs(proba, stop, starts, ends, 0.0)
    assert (a.tolist(), b.tolist()) == ([1, 6, 9], [3, 7, 9])
    # 30% of the peak: "sends" (0.14 < 0.174) goes, "weapon" (0.34) and "war" (0.2 < 0.27) ...
    a, b, _ = trim_runs(proba, stop, starts, ends, 0.3)
    assert (a.tolist(), b.tolist()) == ([2, 6, 9], [3, 6, 9])
    # a run's peak always survives, even when a stop word inside it is more probable
    a, b, _ = trim_runs(np.array([.3, .9, .2]), np.array([0, 1, 0], bool),
                     np.array([0]), np.array([2]), 1.0)
    assert (a.tolist(), b.tolist()) == ([0], [0])
    # a run of stop words only is dropped
    a, b, _ = trim_runs(np.array([.5, .5]), np.array([1, 1], bool), np.array([0]), np.array([1]),
                     0.3)
    assert len(a) == len(b) == 0


def test_number_context_columns_stay_in_their_field_and_clause() -> None:
    from hypemeter.spans.columns import DENSE_NAMES, _batch_dense
    from hypemeter.text.tokens import tokenize

    class _FA:  # the one part of a FieldAnalysis the dense features read
        def __init__(self, text: str) -> None:
            self.tokens = tokenize(text)

    first = "Crews said the crash killed 41 people; the rest of us just wept"
    second = "Brave words at last"
    fields = [(_FA(first), first, False), (_FA(second), second, True)]
    dense = _batch_dense(fields, np.zeros(len(tokenize(first).words) + 4))
    near = dense[:, DENSE_NAMES.index("number_near")]
    clause = dense[:, DENSE_NAMES.index("clause_number")]
    words = tokenize(first).words + tokenize(second).words
    at = words.index("41")
    assert near.tolist() == [float(abs(k - at) <= 2) for k in range(len(words))]
    semicolon = words.index("the", at)  # the second clause of the first field
    assert clause[:semicolon].all() and not clause[semicolon:].any()
