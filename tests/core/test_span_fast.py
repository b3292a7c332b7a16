"""The fast span path (hypemeter.spans.fast, hypemeter.spans.sentence_rows) gives exactly what the
reference path of hypemeter.spans.model gives: same spans, weights, categories and sentence scores,
on
the real default model, the project's own texts and synthetic articles."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path

import pytest
from support.benchmarks import load_make_articles

from hypemeter.records.results import Article
from hypemeter.scoring.explain import explain
from hypemeter.scoring.scorer import Scorer
from hypemeter.spans import fast as span_fast
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


def both(scorer: Scorer, articles: list[Article], **kw: object) -> tuple[list, list]:
    model = scorer.bundle.model
    analyses = model.analyze(articles)
    fast = explain(model, articles, analyses, **kw)  # type: ignore[arg-type]
    ref = explain(model, articles, analyses, reference=True, **kw)  # type: ignore[arg-type]
    return fast, ref


@pytest.mark.parametrize("batch", [1, 5, 64])
def test_fast_path_equals_reference(scorer: Scorer, batch: int) -> None:
    articles = own_texts()
    spans_seen = 0
    for i in range(0, len(articles), batch):
        chunk = articles[i:i + batch]
        fast, ref = both(scorer, chunk, sentences=True)
        assert fast == ref, chunk
        spans_seen += sum(len(s) for s, _ in fast)
        fast, ref = both(scorer, chunk, max_spans=2)
        assert fast == ref
    assert spans_seen > 100  # the comparison covers many spans, not empty lists


@pytest.mark.parametrize("edge_ratio", [0.0, 0.3, 0.7])
def test_fast_path_equals_reference_with_any_edge_trimming(scorer: Scorer,
                                                           edge_ratio: float) -> None:
    model = copy.deepcopy(scorer.bundle.model)
    model.span_model_.edge_ratio = edge_ratio
    articles = own_texts()
    analyses = model.analyze(articles)
    fast = explain(model, articles, analyses)
    assert fast == explain(model, articles, analyses, reference=True)
    assert sum(len(s) for s, _ in fast) > 100


def test_spans_without_sentences_and_sentences_without_spans(scorer: Scorer) -> None:
    articles = own_texts()[:40]
    for kw in ({"spans": False, "sentences": True}, {"spans": True, "sentences": False}):
        fast, ref = both(scorer, articles, **kw)
        assert fast == ref


def test_a_full_token_cache_still_gives_the_reference(scorer: Scorer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    model = copy.deepcopy(scorer.bundle.model)  # a fresh span model: an empty cache
    sm: SpanModel = model.span_model_
    assert "_token_cache" not in sm.__dict__
    monkeypatch.setattr(span_fast, "MAX_CACHED", 50)
    articles = own_texts()[-20:]
    analyses = model.analyze(articles)
    fast = explain(model, articles, analyses, sentences=True)
    assert span_fast.token_cache(sm).size <= 50
    assert fast == explain(model, articles, analyses, sentences=True, reference=True)


def test_the_per_process_caches_are_not_pickled(scorer: Scorer) -> None:
    sm: SpanModel = scorer.bundle.model.span_model_
    explain(scorer.bundle.model, EDGE, scorer.bundle.model.analyze(EDGE))
    assert "_token_cache" in sm.__dict__
    restored = pickle.loads(pickle.dumps(sm))
    assert "_token_cache" not in restored.__dict__ and "_pair_filter" not in restored.__dict__


def test_new_span_is_the_dataclass(scorer: Scorer) -> None:
    from hypemeter.records.results import Span
    made = span_fast.new_span("body", 3, 9, "cowards", "name_calling", 0.81)
    assert made == Span("body", 3, 9, "cowards", "name_calling", 0.81)
    with pytest.raises(AttributeError):
        made.start = 4  # type: ignore[misc]
