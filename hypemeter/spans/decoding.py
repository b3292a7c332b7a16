"""Decoding: from token probabilities to spans, the one path of scoring, the CLI and training.

A span is a run of tokens at or over ``low`` that stays inside one clause and one field, holds a
content word and reaches ``threshold`` somewhere (hysteresis: a confident word takes in its less
certain neighbours); its edges are trimmed by :func:`trim_runs`. Its weight is a Platt
calibration of :data:`CALIBRATION_FEATURES` (:func:`span_weights`); its category that of its most
probable word that has one, else of a lexicon match inside it, else loaded language
(:func:`run_categories`, :func:`match_category`). Phrases of the product vocabulary (urgency
formulas anywhere, clickbait teasers in headlines) are reported where no learned span covers
them, with the weight the vocabulary gives them.

Training decodes its held-out probabilities with :func:`find_runs` and
:func:`calibration_matrix` too, so the thresholds and the calibration are fit on the spans
scoring gives.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from hypemeter.analysis.features import FieldAnalysis
from hypemeter.records.results import Field, Span, public_category
from hypemeter.spans.columns import DENSE_NAMES, Encoded
from hypemeter.spans.fast import FastEncoded
from hypemeter.spans.model import SpanModel

VOCABULARY_CATEGORIES = frozenset({"urgency", "clickbait"})
CALIBRATION_FEATURES = ("logit_max", "logit_mean", "log_tokens")
_BREAK_AFTER = DENSE_NAMES.index("break_after")


class Runs(NamedTuple):
    """The runs of a batch as flat arrays, in token order: owning field, first and last token
    (batch indices, inclusive), highest and mean token probability, number of tokens."""

    field: np.ndarray
    first: np.ndarray
    last: np.ndarray
    top: np.ndarray
    mean: np.ndarray
    size: np.ndarray


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


def _inward(keep: np.ndarray, starts: np.ndarray, ends: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Per run, the first token at or after its start and the last at or before its end that
    ``keep`` holds (a run with none comes out with first > last)."""
    n = len(keep)
    at = np.arange(n)
    nxt = np.minimum.accumulate(np.where(keep, at, n)[::-1])[::-1]
    prv = np.maximum.accumulate(np.where(keep, at, -1))
    return nxt[starts], prv[ends]


def trim_runs(proba: np.ndarray, stop: np.ndarray, starts: np.ndarray, ends: np.ndarray,
              edge_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """The runs ``starts[i]..ends[i]`` (inclusive token indices, disjoint) trimmed to start and
    end on a content word (``stop`` marks "the", "of", ...), then to start and end on a word at
    least ``edge_ratio`` times as probable as the run's most probable content word: "sends
    deadly weapon" -> "deadly weapon" when "sends" is a weak neighbour the hysteresis took in.
    Runs left without a content word are dropped."""
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


def find_runs(proba: np.ndarray, enc: Encoded, stop: np.ndarray, threshold: float,
              low: float, edge_ratio: float) -> Runs:
    """The spans' runs of a batch (``enc``: its clause breaks and field bounds; ``stop``: per
    token, a stop word)."""
    n = len(proba)
    empty = np.zeros(0, np.int64)
    if n == 0:
        return Runs(empty, empty, empty, np.zeros(0), np.zeros(0), empty)
    hot = proba >= low
    brk = enc.dense[:, _BREAK_AFTER] > 0
    first_of_field = np.zeros(n, bool)
    starts = np.asarray(enc.bounds[:-1])
    first_of_field[starts[starts < n]] = True
    cont = np.zeros(n, bool)
    cont[1:] = hot[1:] & hot[:-1] & ~brk[:-1] & ~first_of_field[1:]
    firsts, lasts = trim_runs(proba, stop, np.flatnonzero(hot & ~cont),
                              np.flatnonzero(hot & ~np.r_[cont[1:], False]), edge_ratio)
    if not len(firsts):
        return Runs(empty, empty, empty, np.zeros(0), np.zeros(0), empty)
    tops = segment_reduce(np.maximum, proba, firsts, lasts)
    sums = segment_reduce(np.add, proba, firsts, lasts)
    sizes = lasts - firsts + 1
    sel = tops >= threshold
    firsts, lasts, tops, sums, sizes = firsts[sel], lasts[sel], tops[sel], sums[sel], sizes[sel]
    owners = np.searchsorted(enc.bounds, firsts, side="right") - 1
    return Runs(owners, firsts, lasts, tops, sums / sizes, sizes)


def calibration_matrix(runs: Runs) -> np.ndarray:
    """One row of :data:`CALIBRATION_FEATURES` per run."""
    q = np.clip(np.column_stack([runs.top, runs.mean]), 1e-4, 1 - 1e-4)
    return np.column_stack([np.log(q / (1 - q)), np.log(runs.size.astype(float))])


def span_weights(model: SpanModel, runs: Runs) -> np.ndarray:
    """The calibrated weight of each run (Platt scaling fit by training's span calibration)."""
    if not len(runs.top):
        return np.zeros(0)
    z = calibration_matrix(runs) @ model.calib_coef + model.calib_intercept
    return 1.0 / (1.0 + np.exp(-z))


def run_categories(proba: np.ndarray, enc: FastEncoded, runs: Runs) -> list[int]:
    """Per run the batch index of its most probable token that has a category (the first on
    ties), or -1."""
    firsts, sizes = runs.first, runs.size
    if not len(firsts):
        return []
    has = enc.cat >= 0
    seg = np.repeat(np.arange(len(firsts)), sizes)
    seg_start = np.cumsum(sizes) - sizes
    tok = np.repeat(firsts - seg_start, sizes) + np.arange(int(sizes.sum()))
    masked = np.where(has[tok], proba[tok], -1.0)
    best = np.maximum.reduceat(masked, seg_start)
    hit = (masked == best[seg]) & has[tok]
    first = np.minimum.reduceat(np.where(hit, tok, len(proba)), seg_start)
    return np.where(best >= 0, first, -1).tolist()


def match_category(fa: FieldAnalysis, first: int, last: int) -> str:
    """A run's category when none of its words has one: a lexicon match inside it, else
    loaded language."""
    for m in fa.matches:
        if m.first <= last and m.last >= first and m.category not in VOCABULARY_CATEGORIES:
            return public_category(m.category)
    return "loaded_language"


def explain_spans(model: SpanModel, fields: Sequence[tuple[FieldAnalysis, str, bool]],
                  names: Sequence[Field], proba: np.ndarray, enc: FastEncoded
                  ) -> list[list[Span]]:
    """The spans of every field (``names[k]`` is field k's name), in text order."""
    runs = find_runs(proba, enc, enc.stop, model.threshold, model.low, model.edge_ratio)
    weights = span_weights(model, runs).tolist()
    best = run_categories(proba, enc, runs)
    firsts, lasts = runs.first.tolist(), runs.last.tolist()
    cat_names, cat, bounds = enc.cat_names, enc.cat, enc.bounds
    codes = cat[np.maximum(np.asarray(best, np.int64), 0)].tolist() if best else []
    cats = [cat_names[c] if t >= 0 else None for c, t in zip(codes, best, strict=True)]
    # the spans of field k are rows cut[k]:cut[k + 1] (runs come in token order)
    cut = np.searchsorted(runs.field, np.arange(len(fields) + 1)).tolist()
    out: list[list[Span]] = []
    for k, ((fa, text, _), name) in enumerate(zip(fields, names, strict=True)):
        toks = fa.tokens
        base = bounds[k]
        spans: list[Span] = []
        for j in range(cut[k], cut[k + 1]):
            first, last = firsts[j] - base, lasts[j] - base
            start, end = toks.starts[first], toks.ends[last]
            c = cats[j]
            if c is None:
                c = match_category(fa, first, last)
            spans.append(new_span(name, start, end, text[start:end], c, round(weights[j], 4)))
        learned = len(spans)
        for m in fa.matches:  # the product vocabulary no corpus teaches
            if m.category not in VOCABULARY_CATEGORIES:
                continue
            if m.category == "clickbait" and name != "headline":
                continue  # teasers are learned from headlines: in body text they are noise
            # runs are in order and disjoint: only the first one ending at or after the
            # match's first token can overlap it
            j = bisect_left(lasts, m.first + base, cut[k], cut[k + 1])
            if j == cut[k + 1] or firsts[j] - base > m.last:
                start, end = toks.starts[m.first], toks.ends[m.last]
                spans.append(new_span(name, start, end, text[start:end], m.category, m.weight))
        if len(spans) > learned:
            spans.sort(key=_start)
        out.append(spans)
    return out


def cap_spans(found: list[Span], max_spans: int | None) -> list[Span]:
    """The ``max_spans`` heaviest spans (the earlier on ties), in text order."""
    if max_spans is not None and len(found) > max_spans:
        keep = sorted(range(len(found)), key=lambda k: (-found[k].weight, k))[:max_spans]
        found = [found[k] for k in sorted(keep)]
    return found


_set_field, _set_start, _set_end, _set_text, _set_category, _set_weight = (
    getattr(Span, f).__set__ for f in ("field", "start", "end", "text", "category", "weight"))


def new_span(field: Field, start: int, end: int, text: str, category: str, weight: float
             ) -> Span:
    """``Span(...)`` built through its slots (faster than the frozen dataclass's ``__init__``;
    a batch makes thousands)."""
    s = object.__new__(Span)
    _set_field(s, field)
    _set_start(s, start)
    _set_end(s, end)
    _set_text(s, text)
    _set_category(s, category)
    _set_weight(s, weight)
    return s


def _start(s: Span) -> int:
    return s.start
