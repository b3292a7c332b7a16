"""A reference for the span path, written for reading rather than speed: one field at a time,
one token at a time, with the rules as the docs state them. tests/core/test_span_path.py checks
that :func:`hypemeter.scoring.explain.explain` (array operations over whole batches, a token
cache) gives the same spans, weights, categories and sentence scores."""

from __future__ import annotations

import math

import numpy as np

from hypemeter.analysis.features import FieldAnalysis
from hypemeter.analysis.lexicon import Match
from hypemeter.analysis.vocabulary import (
    DETERMINERS,
    OBJECT_PRONOUNS,
    PHRASE_BREAKS,
    SEED_PHRASES,
    STOPWORDS,
)
from hypemeter.records.results import Article, Field, SentenceScore, Span, public_category
from hypemeter.scoring.model import HypeModel
from hypemeter.spans.columns import OFFSETS, SUFFIXES, encode
from hypemeter.spans.model import SpanModel

VOCABULARY = ("urgency", "clickbait")


def token_proba(sm: SpanModel, fa: FieldAnalysis, text: str, headline: bool) -> np.ndarray:
    """Every token's probability: the window's table entries, the two word pairs, the word's
    suffixes, the dense features, summed and squashed."""
    enc = encode(sm.vocab, sm.bigram_vocab, sm.suffix_vocab, sm.strong, [(fa, text, headline)])
    out = []
    for i, p in enumerate(enc.pos.tolist()):
        z = sm.intercept
        for k, off in enumerate(OFFSETS):
            z += sm.tables[k][enc.ids[p + off]]
        z += sm.bigram_left[enc.bigrams[p - 1]] + sm.bigram_right[enc.bigrams[p]]
        z += sum(sm.suffix_tables[k][enc.suffixes[k, p]] for k in range(len(SUFFIXES)))
        z += float(enc.dense[i] @ sm.dense_coef)
        out.append(1.0 / (1.0 + math.exp(-z)))
    return np.asarray(out)


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def vocabulary(name: Field, fa: FieldAnalysis) -> list[Match]:
    """Urgency formulas anywhere, clickbait teasers in headlines; a mined one holds a content
    word (a hand-written one counts as it stands: "now or never"); a one-word formula opens its
    field or is followed by a clause break or the field's end."""
    words, seps = fa.tokens.words, fa.tokens.seps
    out = []
    for m in fa.matches:
        if not (m.category == "urgency" or (m.category == "clickbait" and name == "headline")):
            continue
        phrase = words[m.first:m.last + 1]
        if all(w in STOPWORDS for w in phrase) and " ".join(phrase).lower() not in SEED_PHRASES:
            continue
        label = m.first == 0 or m.last == len(words) - 1 or not PHRASE_BREAKS.isdisjoint(
            seps[m.last])
        if m.first == m.last and not label:
            continue
        out.append(m)
    return out


def field_spans(sm: SpanModel, name: Field, text: str, fa: FieldAnalysis, proba: np.ndarray
                ) -> list[Span]:
    words, seps, toks = fa.tokens.words, fa.tokens.seps, fa.tokens
    stop = [w in STOPWORDS for w in words]
    phrases = vocabulary(name, fa)
    free = [not any(m.first <= t <= m.last for m in phrases) for t in range(len(words))]
    out: list[Span] = []
    i = 0
    while i < len(words):
        if proba[i] < sm.low or not free[i]:
            i += 1
            continue
        a = b = i  # the run: neighbours at or over `low`, within the clause, off the vocabulary
        while b + 1 < len(words) and proba[b + 1] >= sm.low and free[b + 1] \
                and PHRASE_BREAKS.isdisjoint(seps[b]):
            b += 1
        i = end = b + 1
        end -= 1
        while a <= b and stop[a]:  # a span starts and ends on a content word ...
            a += 1
        while b >= a and stop[b]:
            b -= 1
        if a > b:
            continue
        peak = max(proba[t] for t in range(a, b + 1) if not stop[t])
        # ... at least edge_ratio as probable as its most probable content word
        while stop[a] or proba[a] < sm.edge_ratio * peak:
            a += 1
        while stop[b] or proba[b] < sm.edge_ratio * peak:
            b -= 1
        if b < end and words[b + 1] in DETERMINERS | OBJECT_PRONOUNS:  # a cut object
            noun = []  # "breaking the internet": up to 2 content words of the same clause, not
            for j in range(b + 2, min(b + 4, len(words))):  # another span's or a phrase's
                if stop[j] or not PHRASE_BREAKS.isdisjoint(seps[j - 1]) or (
                        j > end and (proba[j] >= sm.low or not free[j])):
                    break
                noun.append(j)
            if noun and words[b + 1] in DETERMINERS:
                b = noun[-1]
            elif words[b + 1] in OBJECT_PRONOUNS:  # "losing it"
                b += 1
        inside = [float(p) for p in proba[a:b + 1]]
        if max(inside) < sm.threshold:
            continue
        x = np.array([_logit(max(inside)), _logit(sum(inside) / len(inside)),
                      math.log(len(inside))])
        weight = 1.0 / (1.0 + math.exp(-(x @ sm.calib_coef + sm.calib_intercept)))
        out.append(Span(name, toks.starts[a], toks.ends[b], text[toks.starts[a]:toks.ends[b]],
                        _category(sm, fa, proba, a, b), round(weight, 4)))
    for m in phrases:
        start, stop_at = toks.starts[m.first], toks.ends[m.last]
        out.append(Span(name, start, stop_at, text[start:stop_at], m.category, m.weight))
    return sorted(out, key=lambda s: s.start)


def _category(sm: SpanModel, fa: FieldAnalysis, proba: np.ndarray, a: int, b: int) -> str:
    """The category of the most probable word that has one (the first on ties), else of a
    lexicon match inside the span, else loaded language."""
    best = None
    for t in range(a, b + 1):
        if fa.tokens.words[t] in sm.categories and (best is None or proba[t] > proba[best]):
            best = t
    if best is not None:
        return public_category(sm.categories[fa.tokens.words[best]])
    for m in fa.matches:
        if m.first <= b and m.last >= a and m.category not in VOCABULARY:
            return public_category(m.category)
    return "loaded_language"


def sentence_scores(model: HypeModel, name: Field, text: str, fa: FieldAnalysis,
                    proba: np.ndarray) -> list[SentenceScore]:
    sm = model.span_model_
    starts = fa.tokens.starts
    vocab_at = {m.first for m in fa.matches if m.category in VOCABULARY}
    out = []
    for s, e in model.sentences_.spans(text):
        inside = [k for k, at in enumerate(starts) if s <= at < e]
        p = [float(proba[k]) for k in inside]
        row = np.array([
            max(p, default=0.0),
            sum(-math.log1p(-min(q, 0.999)) for q in p),
            math.log1p(sum(q >= sm.threshold for q in p)),
            math.log1p(len(p)) / 3.0,
            float("!" in text[s:e]),
            float(len(vocab_at.intersection(inside))),
        ])
        z = row @ sm.sentence_coef + sm.sentence_intercept
        out.append(SentenceScore(name, s, e, round(1.0 / (1.0 + math.exp(-z)), 6)))
    return out


def explain(model: HypeModel, article: Article, max_spans: int | None = None
            ) -> tuple[list[Span], list[SentenceScore]]:
    an = model.analyze([article])[0]
    spans: list[Span] = []
    sentences: list[SentenceScore] = []
    for name, fa in (("headline", an.headline), ("body", an.body)):
        text = getattr(article, name)
        proba = token_proba(model.span_model_, fa, text, name == "headline")
        spans += field_spans(model.span_model_, name, text, fa, proba)  # type: ignore[arg-type]
        sentences += sentence_scores(model, name, text, fa, proba)  # type: ignore[arg-type]
    if max_spans is not None and len(spans) > max_spans:  # the heaviest, the first on ties
        heaviest = sorted(spans, key=lambda s: -s.weight)[:max_spans]
        spans = [s for s in spans if s in heaviest]
    return spans, sentences
