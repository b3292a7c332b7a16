"""Explanations of a batch: phrase spans and, on request, a score for every sentence.

Every token of the batch is scored in one vectorised pass by the model's span model
(:mod:`hypemeter.spans`); spans are decoded from those probabilities and sentence scores read
them sentence by sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np

from hypemeter.records.results import Article, Field, SentenceScore, Span
from hypemeter.spans.decoding import cap_spans, explain_spans
from hypemeter.spans.fast import encode_fast, token_proba
from hypemeter.spans.rounding import rounded
from hypemeter.spans.sentence_rows import batch_sentence_features

if TYPE_CHECKING:  # the model module imports this one
    from hypemeter.scoring.model import Analysis, HypeModel

Explained = tuple[list[Span], list[SentenceScore] | None]
CHUNK = 32  # articles the span model scores at once (about 20,000 tokens)
NAMES: tuple[Field, Field] = ("headline", "body")


def explain(
    model: HypeModel, articles: Sequence[Article], analyses: Sequence[Analysis], *,
    spans: bool = True, max_spans: int | None = None, sentences: bool = False,
) -> list[Explained]:
    """Spans (when ``spans``) and sentence scores (when ``sentences``) of each article."""
    if len(articles) > CHUNK:
        # every article's result depends on itself only; chunks keep the token arrays in the
        # processor's cache (a 256-article batch in one piece takes twice as long)
        chunked: list[Explained] = []
        for i in range(0, len(articles), CHUNK):
            chunked += explain(model, articles[i:i + CHUNK], analyses[i:i + CHUNK],
                               spans=spans, max_spans=max_spans, sentences=sentences)
        return chunked
    sm = model.span_model_
    fields = []
    for a, an in zip(articles, analyses, strict=True):
        fields.append((an.headline, a.headline, True))
        fields.append((an.body, a.body, False))
    enc = encode_fast(sm, fields)
    proba = token_proba(sm, enc)
    found = explain_spans(sm, fields, NAMES * len(articles), proba, enc) if spans else None
    out: list[Explained] = []
    for i in range(len(articles)):
        spans_of = found[2 * i] + found[2 * i + 1] if found is not None else []
        out.append((cap_spans(spans_of, max_spans), [] if sentences else None))
    if sentences:
        _score_sentences(model, fields, proba, enc.bounds, out)
    return out


def _score_sentences(model: HypeModel, fields: list, proba: np.ndarray, bounds: list[int],
                     out: list[Explained]) -> None:
    """Add every field's sentence scores to ``out`` (field ``k`` is article ``k // 2``'s)."""
    sm = model.span_model_
    sents = [model.sentences_.spans(text) for _, text, _ in fields]
    rows = batch_sentence_features(proba, bounds, fields, sents, sm.threshold)
    if not len(rows):
        return
    z = rows @ sm.sentence_coef + sm.sentence_intercept
    scores = rounded(1.0 / (1.0 + np.exp(-z)), 6)
    at = 0
    for k, spans in enumerate(sents):
        if spans:
            starts, ends = zip(*spans, strict=True)
            out[k // 2][1].extend(map(  # type: ignore[union-attr]
                new_sentence, repeat(NAMES[k % 2]), starts, ends, scores[at:at + len(spans)]))
            at += len(spans)


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
