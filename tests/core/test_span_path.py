"""The span path (hypemeter.spans: token cache, token probabilities, decoding, sentence rows)
gives what the readable reference of tests/span_reference.py gives, field by field and
token by token: same spans, categories and sentence scores, weights to their rounding, on the
real default model, the project's own texts and synthetic articles, in batches of any size."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path

import pytest
import span_reference
from support.benchmarks import load_make_articles

from hypemeter.records.results import Article, SentenceScore, Span
from hypemeter.scoring.model import HypeModel
from hypemeter.scoring.scorer import Scorer
from hypemeter.spans import fast as span_fast
from hypemeter.spans.decoding import new_span
from hypemeter.spans.model import SpanModel

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

EDGE = [
    Article("SHOCKING!!!", ""),
    Article("", "a"),
    Article("\u201cQuoted\u201d \u00abnested\u00bb \"plain\"",
            "Now or never! They will DESTROY us."),
    Article("x", "the the the of"),
    Article("Deadly weapon", "killing all 298 people on board"),
    Article("You won't believe what happens next", "Act now: this is the last chance."),
    Article("\u0394\u0399\u0391\u03a3\u03a9\u03a3\u0397 \u039f\u0394\u039f\u03a3",
            "Stra\u00dfe \u00c9COLE don\u2019t Don\u2019t XYLOPHONEZZZ quixotically-wrongheaded"),
    Article("Cowardly thugs", "These cowardly thugs are killing our towns and laughing at us"),
]


def own_texts() -> list[Article]:
    out = list(EDGE)
    for name in ("sober_report.json", "loaded_report.json"):
        d = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        out.append(Article(d["headline"], d["body"]))
    for line in (FIXTURES / "sentence_boundaries.jsonl").read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        out += [Article(text[:80], text), Article("", text), Article(text, "")]
    rows = load_make_articles().generate(120, seed=11)
    out += [Article(r["headline"], r["body"], r["id"]) for r in rows]
    return out


def assert_same_spans(got: list[Span], want: list[Span]) -> None:
    """Equal spans; weights may differ by one in their last (4th) decimal: the batch sums a
    span's probabilities in another order, which can round the other way."""
    assert [(s.field, s.start, s.end, s.text, s.category) for s in got] == [
        (s.field, s.start, s.end, s.text, s.category) for s in want]
    assert all(abs(a.weight - b.weight) <= 1.0001e-4 for a, b in zip(got, want, strict=True))


def assert_same_sentences(got: list[SentenceScore] | None, want: list[SentenceScore]) -> None:
    assert got is not None
    assert [(s.field, s.start, s.end) for s in got] == [(s.field, s.start, s.end) for s in want]
    assert all(abs(a.sensationalism - b.sensationalism) <= 1.0001e-6
               for a, b in zip(got, want, strict=True))


def check(model: HypeModel, articles: list[Article], batch: int,
          max_spans: int | None = None) -> int:
    """Compare in batches of ``batch``; return how many spans were compared."""
    seen = 0
    for i in range(0, len(articles), batch):
        chunk = articles[i:i + batch]
        got = model.explain(chunk, model.analyze(chunk), max_spans=max_spans, sentences=True)
        for article, (spans, sentences) in zip(chunk, got, strict=True):
            want_spans, want_sentences = span_reference.explain(model, article, max_spans)
            assert_same_spans(spans, want_spans)
            assert_same_sentences(sentences, want_sentences)
            seen += len(spans)
    return seen


@pytest.mark.parametrize("batch", [1, 7, 64])
def test_the_span_path_gives_the_reference(scorer: Scorer, batch: int) -> None:
    assert check(scorer.bundle.model, own_texts(), batch) > 100  # many spans, not empty lists


def test_the_cap_keeps_the_heaviest_spans(scorer: Scorer) -> None:
    assert check(scorer.bundle.model, own_texts(), 16, max_spans=2) > 50


@pytest.mark.parametrize("edge_ratio", [0.0, 0.7])
def test_the_span_path_gives_the_reference_with_any_edge_trimming(scorer: Scorer,
                                                                  edge_ratio: float) -> None:
    model = copy.deepcopy(scorer.bundle.model)
    model.span_model_.edge_ratio = edge_ratio
    assert check(model, own_texts(), 32) > 100


def test_spans_without_sentences_and_sentences_without_spans(scorer: Scorer) -> None:
    model = scorer.bundle.model
    articles = own_texts()[:40]
    analyses = model.analyze(articles)
    both = model.explain(articles, analyses, sentences=True)
    assert model.explain(articles, analyses, spans=False, sentences=True) == [
        ([], s) for _, s in both]
    assert model.explain(articles, analyses) == [(s, None) for s, _ in both]


def test_a_full_token_cache_still_gives_the_reference(scorer: Scorer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    model = copy.deepcopy(scorer.bundle.model)  # a fresh span model: an empty cache
    sm: SpanModel = model.span_model_
    assert "_token_cache" not in sm.__dict__
    monkeypatch.setattr(span_fast, "MAX_CACHED", 50)
    assert check(model, own_texts()[-20:], 20) > 10
    assert span_fast.token_cache(sm).size <= 50


def test_the_per_process_caches_are_not_pickled(scorer: Scorer) -> None:
    sm: SpanModel = scorer.bundle.model.span_model_
    scorer.bundle.model.explain(EDGE, scorer.bundle.model.analyze(EDGE))
    assert "_token_cache" in sm.__dict__
    restored = pickle.loads(pickle.dumps(sm))
    assert "_token_cache" not in restored.__dict__ and "_pair_table" not in restored.__dict__


def test_new_span_is_the_dataclass() -> None:
    made = new_span("body", 3, 9, "cowards", "name_calling", 0.81)
    assert made == Span("body", 3, 9, "cowards", "name_calling", 0.81)
    with pytest.raises(AttributeError):
        made.start = 4  # type: ignore[misc]
