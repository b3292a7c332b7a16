"""The batch text analysis (word table, lexicon starts) gives exactly what the reference gives,
its per-process table stays bounded, and scoring restores the garbage collector's state."""

from __future__ import annotations

import gc
import random

import numpy as np
import pytest

from hypemeter.analysis import word_table as wt
from hypemeter.analysis.features import analyze_field_reference, analyze_fields
from hypemeter.analysis.lexicon import PhraseLexicon
from hypemeter.records.results import Article
from hypemeter.scoring.gcpause import gc_paused
from hypemeter.scoring.scorer import Scorer

TEXTS = [
    ("You won't believe what happened next: the BEST and WORST deals ever", True),
    ("This is why you need to know the latest, biggest, deadliest and honest news. Find out "
     "now! Here's why it matters: this is what they said, and this one is the worst. You won't "
     "believe it. Act now or never; the most shocking, least honest claims.", False),
    ("", True),
    ("   ", False),
    ("The council met on Tuesday and approved the budget after a short debate.", False),
    ("Terrible, horrifying, catastrophic disaster! Furious residents fear the worst.", True),
    ("Ⅻ ΣΊΣΥΦΟΣ İstanbul naïve it’s don’t won’t believe — “quoted” ‘words’", False),
]


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert a.tokens == b.tokens
    assert a.style.tobytes() == b.style.tobytes(), (a.style, b.style)
    assert a.matches == b.matches


def _texts() -> list[tuple[str, bool]]:
    rng = random.Random(5)
    words = [t for text, _ in TEXTS for t in text.split()] + ["the", "a", "of", "now"]
    out = list(TEXTS)
    for k in range(300):
        out.append((" ".join(rng.choice(words) for _ in range(rng.randint(0, 120))), k % 2 == 0))
    return out


def test_batch_analysis_matches_the_reference(scorer: Scorer) -> None:
    model = scorer.bundle.model
    fields = _texts()
    fast = analyze_fields(fields, model.lexicon_, model.valence_)
    for (text, head), got in zip(fields, fast, strict=True):
        _same(got, analyze_field_reference(text, model.lexicon_, model.valence_,
                                           is_headline=head))
    # field by field (other batch neighbours) gives the same as well
    for (text, head), got in zip(fields[:20], fast[:20], strict=True):
        _same(analyze_fields([(text, head)], model.lexicon_, model.valence_)[0], got)


def test_the_reference_counts_are_what_the_texts_say(scorer: Scorer) -> None:
    model = scorer.bundle.model
    text = "You won't believe the best, the worst and the latest. Honest!"
    got = analyze_fields([(text, False)], model.lexicon_, model.valence_)[0]
    n = len(got.tokens.words)
    assert n == 11
    # second person: "you"; superlatives: best (counted twice: an "-est" word and a listed
    # superlative) and worst; "latest" and "honest" are not superlatives
    assert got.style[7] == pytest.approx(1 / n)
    assert got.style[8] == pytest.approx(3 / n)
    assert got.style[10] == 1  # "you won't believe"


def test_word_table_is_bounded_and_follows_the_lexicon(
    scorer: Scorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = scorer.bundle.model
    monkeypatch.setattr(wt, "MAX_WORDS", 50)
    rng = random.Random(9)
    for _ in range(5):
        body = " ".join("".join(rng.choice("klmnopqrst") for _ in range(9)) for _ in range(80))
        analyze_fields([(body, False)], model.lexicon_, model.valence_)
        assert len(wt.word_table(model.lexicon_, model.valence_).index) <= 50 + 80
    # a lexicon that changes gets a new table: a new phrase is matched at once
    lex = PhraseLexicon()
    lex.__setstate__({k: v for k, v in model.lexicon_.__getstate__().items()})
    lex.phrases_ = dict(lex.phrases_)
    text = "zorbly quint appeared"
    assert not analyze_fields([(text, False)], lex, model.valence_)[0].matches
    lex.add_phrases({("zorbly", "quint"): ("loaded_language", 0.9)})
    matches = analyze_fields([(text, False)], lex, model.valence_)[0].matches
    assert [(m.first, m.last) for m in matches] == [(0, 1)]
    assert "_word_table" not in lex.__getstate__()  # derived, never pickled


def test_scoring_restores_the_collector_state(scorer: Scorer) -> None:
    article = Article("Plain words here", "The council met on Tuesday.")
    assert gc.isenabled()
    scorer.score([article])
    assert gc.isenabled()
    gc.disable()
    try:
        scorer.score([article])
        assert not gc.isenabled()  # the caller's choice is kept
    finally:
        gc.enable()
    with pytest.raises(ZeroDivisionError), gc_paused():
        assert not gc.isenabled()
        _ = 1 / 0
    assert gc.isenabled()
    assert np.isfinite(scorer.score([article])[0].scores["sensationalism"])


def test_word_hashes_give_the_same_counts_as_the_words(scorer: Scorer) -> None:
    model = scorer.bundle.model
    fields = _texts()
    analyses = analyze_fields(fields, model.lexicon_, model.valence_)
    vec = model.body_words_
    from_words = vec.transform([fa.tokens.words for fa in analyses])
    from_hashes = vec.transform_hashes([fa.hashes for fa in analyses])
    assert from_words.nnz > 1000
    assert (from_words != from_hashes).nnz == 0
    assert (from_words.indptr == from_hashes.indptr).all()


def test_threads_filling_the_word_table_get_the_same_analyses(scorer: Scorer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from hypemeter.analysis.lexicon import PhraseLexicon

    model = scorer.bundle.model
    rng = random.Random(13)
    batches = [[(" ".join("".join(rng.choice("abcdefgh") for _ in range(5)) + " the worst"
                          for _ in range(60)), False) for _ in range(8)] for _ in range(8)]
    expected = [[analyze_field_reference(t, model.lexicon_, model.valence_, is_headline=h)
                 for t, h in batch] for batch in batches]
    lex = PhraseLexicon()
    lex.__setstate__(model.lexicon_.__getstate__())  # a fresh table, filled by the threads
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda b: analyze_fields(b, lex, model.valence_), batches * 3))
    for k, analyses in enumerate(got):
        for a, b in zip(analyses, expected[k % len(batches)], strict=True):
            _same(a, b)
