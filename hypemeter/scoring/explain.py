"""Explanations of a batch: phrase spans and, on request, a score for every sentence.

Models trained with a span model (``span_model_``) and a sentence splitter (``sentences_``)
score every token of the batch in one vectorised pass (:mod:`hypemeter.spans.model`). Older bundles
keep their lexicon spans, and score sentences by running the whole model on each sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import repeat
from typing import Any

import numpy as np

from hypemeter.records.results import Article, Field, SentenceScore, Span, public_category
from hypemeter.spans.fast import encode_fast, explain_spans, token_proba_fast
from hypemeter.spans.model import batch_runs, batch_weights, encode, field_spans, sentence_features
from hypemeter.spans.sentence_rows import batch_sentence_features
from hypemeter.text.sentences import UNTRAINED, SentenceSplitter

Explained = tuple[list[Span], list[SentenceScore] | None]
CHUNK = 32  # articles the span model scores at once (about 20,000 tokens)


def splitter_of(model: Any) -> SentenceSplitter:
    return getattr(model, "sentences_", None) or UNTRAINED


def _cap(found: list[Span], max_spans: int | None) -> list[Span]:
    if max_spans is not None and len(found) > max_spans:
        keep = sorted(range(len(found)), key=lambda k: (-found[k].weight, k))[:max_spans]
        found = [found[k] for k in sorted(keep)]
    return found


def explain(
    model: Any, articles: Sequence[Article], analyses: Sequence[Any], *,
    spans: bool = True, max_spans: int | None = None, sentences: bool = False,
    reference: bool = False,
) -> list[Explained]:
    """Spans (when ``spans``) and sentence scores (when ``sentences``) of each article;
    ``reference`` takes the slower reference path of :mod:`hypemeter.spans.model` (the tests check
    that both give the same results) instead of :mod:`hypemeter.spans.fast`."""
    sm = getattr(model, "span_model_", None)
    if sm is None:
        return _explain_legacy(model, articles, analyses, spans, max_spans, sentences)
    if not reference and len(articles) > CHUNK:
        # every article's result depends on itself only; chunks keep the token arrays in the
        # processor's cache (a 256-article batch in one piece takes twice as long)
        chunked: list[Explained] = []
        for i in range(0, len(articles), CHUNK):
            chunked += explain(model, articles[i:i + CHUNK], analyses[i:i + CHUNK],
                               spans=spans, max_spans=max_spans, sentences=sentences)
        return chunked
    fields = []
    for a, an in zip(articles, analyses, strict=True):
        fields.append((an.headline, a.headline, True))
        fields.append((an.body, a.body, False))
    names: tuple[Field, Field] = ("headline", "body")
    if reference:
        enc = encode(sm.vocab, sm.bigram_vocab, sm.suffix_vocab, sm.strong, fields,
                     all_suffixes=False, pair_index=sm.pair_index())
        proba = sm.token_proba(enc)
        if spans:
            found = batch_runs(proba, enc, fields, sm.threshold, sm.low, sm.edge_ratio)
            weights = batch_weights(sm, found)
    else:
        enc = encode_fast(sm, fields)
        proba = token_proba_fast(sm, enc)
        if spans:
            fast_spans = explain_spans(sm, fields, names * len(articles), proba, enc)
    splitter = splitter_of(model)
    out: list[Explained] = []
    sent_rows: list[np.ndarray] = []
    sent_fields: list[tuple[int, Field, list[tuple[int, int]]]] = []
    sent_spans: list[list[tuple[int, int]]] = []
    for i in range(len(articles)):
        spans_of: list[Span] = []
        for j, name in enumerate(names):
            k = 2 * i + j
            fa, text, _ = fields[k]
            p = proba[enc.bounds[k]:enc.bounds[k + 1]]
            if spans and reference:
                spans_of += field_spans(sm, name, text, fa, p, found[k], weights[k])
            elif spans:
                spans_of += fast_spans[k]
            if sentences:
                sents = splitter.spans(text)
                if reference:
                    sent_rows.append(sentence_features(p, fa, text, sents, sm.threshold))
                else:
                    sent_spans.append(sents)
                if sents:
                    sent_fields.append((i, name, sents))
        out.append((_cap(spans_of, max_spans), [] if sentences else None))
    if sentences and not reference:
        sent_rows = [batch_sentence_features(proba, enc.bounds, fields, sent_spans,
                                             sm.threshold)]
    if sentences and sent_fields:
        z = np.vstack(sent_rows) @ sm.sentence_coef + sm.sentence_intercept
        scores = list(map(round, (1.0 / (1.0 + np.exp(-z))).tolist(), repeat(6)))
        at = 0
        for i, name, sents in sent_fields:
            starts, ends = zip(*sents, strict=True)
            out[i][1].extend(map(  # type: ignore[union-attr]
                new_sentence, repeat(name), starts, ends, scores[at:at + len(sents)]))
            at += len(sents)
    return out


_set_field, _set_start, _set_end, _set_score = (
    getattr(SentenceScore, f).__set__ for f in ("field", "start", "end", "sensationalism"))


def new_sentence(field: Field, start: int, end: int, score: float) -> SentenceScore:
    """``SentenceScore(...)`` built through its slots (faster than the frozen dataclass's
    ``__init__``; a batch makes thousands)."""
    s = object.__new__(SentenceScore)
    _set_field(s, field)
    _set_start(s, start)
    _set_end(s, end)
    _set_score(s, score)
    return s


def _explain_legacy(
    model: Any, articles: Sequence[Article], analyses: Sequence[Any], spans: bool,
    max_spans: int | None, sentences: bool,
) -> list[Explained]:
    out: list[Explained] = []
    splitter = splitter_of(model)
    for a, an in zip(articles, analyses, strict=True):
        found = model.spans(a, an, max_spans) if spans else []
        found = [s if public_category(s.category) == s.category
                 else replace(s, category=public_category(s.category)) for s in found]
        scored: list[SentenceScore] | None = None
        if sentences:
            pieces = [(name, s, e) for name in ("headline", "body")
                      for s, e in splitter.spans(getattr(a, name))]
            texts = [Article("", getattr(a, name)[s:e]) for name, s, e in pieces]
            q = model.predict_scores(texts)[:, 0] if texts else []
            scored = [SentenceScore(name, s, e, round(float(v), 6))  # type: ignore[arg-type]
                      for (name, s, e), v in zip(pieces, q, strict=True)]
        out.append((found, scored))
    return out
