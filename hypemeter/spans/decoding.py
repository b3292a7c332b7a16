"""Decoding for the span model: from token probabilities to spans (runs of probable tokens
inside a clause), their calibrated weights and categories, and sentence features.

The functions here are the reference path; :mod:`hypemeter.spans.fast` does the same on whole
batches with array operations (tests/core/test_span_fast.py checks they agree).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hypemeter.analysis.features import FieldAnalysis
from hypemeter.analysis.lexicon import PHRASE_BREAKS, STOPWORDS
from hypemeter.records.results import Field, Span, public_category
from hypemeter.spans.columns import DENSE_NAMES, Encoded

if TYPE_CHECKING:
    from hypemeter.spans.model import SpanModel

VOCABULARY_CATEGORIES = frozenset({"urgency", "clickbait"})
CALIBRATION_FEATURES = ("logit_max", "logit_mean", "log_tokens")


def calibration_features(proba: np.ndarray) -> np.ndarray:
    q = np.clip(proba, 1e-4, 1 - 1e-4)
    top, mean = q.max(), q.mean()
    return np.array([np.log(top / (1 - top)), np.log(mean / (1 - mean)), np.log(len(q))])


def runs(
    proba: np.ndarray, fa: FieldAnalysis, threshold: float, low: float | None = None,
    edge_ratio: float = 0.0,
) -> list[tuple[int, int, float]]:
    """``(first, last, max probability)`` of each run of tokens at or over ``low`` that stays
    inside one clause, holds a content word and reaches ``threshold`` somewhere (hysteresis:
    a confident word takes in its less certain neighbours), its edges trimmed by
    :func:`trim_runs`."""
    low = threshold if low is None else low
    words, seps = fa.tokens.words, fa.tokens.seps
    bounds = []
    hot = np.flatnonzero(proba >= low)
    k = 0
    while k < len(hot):
        first = last = int(hot[k])
        k += 1
        while k < len(hot) and hot[k] == last + 1 and PHRASE_BREAKS.isdisjoint(seps[last]):
            last = int(hot[k])
            k += 1
        bounds.append((first, last))
    if not bounds:
        return []
    stop = np.fromiter((w in STOPWORDS for w in words), bool, len(words))
    firsts, lasts = trim_runs(proba, stop, np.array([a for a, _ in bounds]),
                              np.array([b for _, b in bounds]), edge_ratio)
    out = []
    for first, last in zip(firsts.tolist(), lasts.tolist(), strict=True):
        top = float(proba[first:last + 1].max())
        if top >= threshold:
            out.append((first, last, top))
    return out


def _inward(keep: np.ndarray, starts: np.ndarray, ends: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Per run, the first token at or after its start and the last at or before its end that
    ``keep`` holds (a run with none comes out with first > last)."""
    n = len(keep)
    at = np.arange(n)
    nxt = np.minimum.accumulate(np.where(keep, at, n)[::-1])[::-1]
    prv = np.maximum.accumulate(np.where(keep, at, -1))
    return nxt[starts], prv[ends]


def segment_reduce(ufunc: np.ufunc, values: np.ndarray, firsts: np.ndarray,
                   lasts: np.ndarray) -> np.ndarray:
    """``ufunc.reduce(values[first:last + 1])`` for each pair of non-empty segments."""
    n = len(values)
    cuts = np.empty(2 * len(firsts), np.int64)
    cuts[0::2], cuts[1::2] = firsts, lasts + 1
    cuts[cuts >= n] = n - 1  # reduceat needs indices < n; the last slice ends at n anyway
    out = ufunc.reduceat(values, cuts)[0::2]
    at_end = np.flatnonzero(lasts + 1 >= n)
    if len(at_end):  # a segment ending at the last token: its slice is [first, n)
        out[at_end] = [ufunc.reduce(values[a:]) for a in firsts[at_end]]
    return out


def trim_runs(proba: np.ndarray, stop: np.ndarray, starts: np.ndarray, ends: np.ndarray,
              edge_ratio: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The runs ``starts[i]..ends[i]`` (inclusive token indices, disjoint) trimmed to start and
    end on a content word (``stop`` marks "the", "of", ...), then, with ``edge_ratio``, to
    start and end on a word at least ``edge_ratio`` times as probable as the run's most
    probable content word: "sends deadly weapon" -> "deadly weapon" when "sends" is a weak
    neighbour the hysteresis took in. Runs left without a content word are dropped. The one
    trimming rule of every decoding path (reference, batch and fast)."""
    firsts, lasts = _inward(~stop, starts, ends)
    keep = firsts <= lasts
    firsts, lasts = firsts[keep], lasts[keep]
    if edge_ratio <= 0 or not len(firsts):
        return firsts, lasts
    # the peak is a content word's, so it survives and every trimmed run keeps a word
    peak = segment_reduce(np.maximum, np.where(stop, -1.0, proba), firsts, lasts)
    sizes = lasts - firsts + 1
    inside = np.repeat(firsts - (np.cumsum(sizes) - sizes), sizes) + np.arange(sizes.sum())
    cutoff = np.zeros(len(proba))
    cutoff[inside] = np.repeat(edge_ratio * peak, sizes)
    return _inward(~stop & (proba >= cutoff), firsts, lasts)


def run_bounds(proba: np.ndarray, enc: Any, low: float) -> tuple[np.ndarray, np.ndarray]:
    """First and last token of each run of tokens at or over ``low`` over a batch: a run
    stops at a clause break and at a field's first token (``enc``: ``dense``, ``bounds``)."""
    n = len(proba)
    hot = proba >= low
    brk = enc.dense[:, DENSE_NAMES.index("break_after")] > 0
    first_of_field = np.zeros(n, bool)
    starts = np.asarray(enc.bounds[:-1])
    first_of_field[starts[starts < n]] = True
    cont = np.zeros(n, bool)
    cont[1:] = hot[1:] & hot[:-1] & ~brk[:-1] & ~first_of_field[1:]
    return np.flatnonzero(hot & ~cont), np.flatnonzero(hot & ~np.r_[cont[1:], False])


def batch_runs(
    proba: np.ndarray, enc: Encoded, fields: Sequence[tuple[FieldAnalysis, str, bool]],
    threshold: float, low: float, edge_ratio: float = 0.0,
) -> list[list[tuple[int, int, float, float, int]]]:
    """What :func:`runs` finds in each field, for the whole batch with array operations:
    per field ``(first, last, max, mean, tokens)`` with field-local token indices."""
    n = len(proba)
    out: list[list[tuple[int, int, float, float, int]]] = [[] for _ in fields]
    if n == 0:
        return out
    run_starts, ends = run_bounds(proba, enc, low)
    if not len(run_starts):
        return out
    words = [w for fa, _, _ in fields for w in fa.tokens.words]
    stop = np.fromiter((w in STOPWORDS for w in words), bool, n)
    fa_, lasts = trim_runs(proba, stop, run_starts, ends, edge_ratio)
    if not len(fa_):
        return out
    tops = segment_reduce(np.maximum, proba, fa_, lasts)
    sums = segment_reduce(np.add, proba, fa_, lasts)
    owners = np.searchsorted(enc.bounds, fa_, side="right") - 1
    lens = lasts - fa_ + 1
    for a, b, f, top, total, size in zip(fa_.tolist(), lasts.tolist(), owners.tolist(),
                                         tops.tolist(), sums.tolist(), lens.tolist(),
                                         strict=True):
        if top >= threshold:
            base = enc.bounds[f]
            out[f].append((a - base, b - base, top, total / size, size))
    return out


def batch_weights(model: SpanModel, found: list[list[tuple[int, int, float, float, int]]]
                  ) -> list[list[float]]:
    """Calibrated weights of :func:`batch_runs`' spans (``calibration_features`` in arrays)."""
    flat = [r for rs in found for r in rs]
    if not flat:
        return [[] for _ in found]
    arr = np.asarray([(r[2], r[3], r[4]) for r in flat], dtype=float)
    q = np.clip(arr[:, :2], 1e-4, 1 - 1e-4)
    X = np.column_stack([np.log(q / (1 - q)), np.log(arr[:, 2])])
    w = (1.0 / (1.0 + np.exp(-(X @ model.calib_coef + model.calib_intercept)))).tolist()
    out, k = [], 0
    for rs in found:
        out.append(w[k:k + len(rs)])
        k += len(rs)
    return out


def category(model: SpanModel, words: list[str], proba: np.ndarray, first: int,
             last: int, fa: FieldAnalysis) -> str:
    """The category of the span's most probable word that has one, else of a lexicon match
    inside the span, else loaded language; as results report it (:func:`public_category`)."""
    cats = model.categories
    known = [(p, -i) for i, p in enumerate(proba[first:last + 1].tolist(), first)
             if words[i] in cats]
    if known:
        return public_category(cats[words[-max(known)[1]]])
    for m in fa.matches:
        if m.first <= last and m.last >= first and m.category not in VOCABULARY_CATEGORIES:
            return public_category(m.category)
    return "loaded_language"


def field_spans(
    model: SpanModel, name: Field, text: str, fa: FieldAnalysis, proba: np.ndarray,
    found: list[tuple[int, int, float, float, int]] | None = None,
    weights: list[float] | None = None,
) -> list[Span]:
    """The spans of one field; ``found``/``weights`` from :func:`batch_runs` and
    :func:`batch_weights` (else computed here)."""
    toks = fa.tokens
    out = []
    taken = np.zeros(len(toks.words), bool)
    if found is None or weights is None:
        found = [(a, b, 0.0, 0.0, 0) for a, b, _ in runs(proba, fa, model.threshold, model.low,
                                               model.edge_ratio)]
        weights = [model.weight(proba[a:b + 1]) for a, b, *_ in found]
    for (first, last, *_), w in zip(found, weights, strict=True):
        taken[first:last + 1] = True
        start, end = toks.starts[first], toks.ends[last]
        cat = category(model, toks.words, proba, first, last, fa)
        out.append(Span(name, start, end, text[start:end], cat, round(w, 4)))
    for m in fa.matches:  # the product vocabulary no corpus teaches
        if m.category == "clickbait" and name != "headline":
            continue  # teasers are learned from headlines: in body text they are noise
        if m.category in VOCABULARY_CATEGORIES and not taken[m.first:m.last + 1].any():
            start, end = toks.starts[m.first], toks.ends[m.last]
            out.append(Span(name, start, end, text[start:end], m.category, m.weight))
    out.sort(key=lambda s: s.start)
    return out


SENTENCE_FEATURES = ("max_token", "loaded_mass", "hot_tokens", "log_tokens", "exclaim",
                     "vocabulary")


def sentence_features(
    proba: np.ndarray, fa: FieldAnalysis, text: str, sentences: list[tuple[int, int]],
    threshold: float,
) -> np.ndarray:
    """One row of SENTENCE_FEATURES per sentence (character spans into the field)."""
    out = np.zeros((len(sentences), len(SENTENCE_FEATURES)))
    if not sentences:
        return out
    starts = np.asarray(fa.tokens.starts, dtype=np.int64)
    lo = np.searchsorted(starts, [a for a, _ in sentences], side="left")
    hi = np.searchsorted(starts, [b for _, b in sentences], side="left")
    vocab_at = np.zeros(len(starts))
    for m in fa.matches:
        if m.category in VOCABULARY_CATEGORIES:
            vocab_at[m.first] = 1.0
    mass = -np.log1p(-np.minimum(proba, 0.999))
    hot = (proba >= threshold).astype(float)
    cum = [np.concatenate([[0.0], np.cumsum(a)]) for a in (mass, hot, vocab_at)]
    for j, (a, b) in enumerate(zip(lo, hi, strict=True)):
        if b > a:
            out[j, 0] = proba[a:b].max()
        out[j, 1] = cum[0][b] - cum[0][a]
        out[j, 2] = np.log1p(cum[1][b] - cum[1][a])
        out[j, 3] = np.log1p(b - a) / 3.0
        out[j, 4] = "!" in text[sentences[j][0]:sentences[j][1]]
        out[j, 5] = cum[2][b] - cum[2][a]
    return out
