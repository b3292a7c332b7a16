"""Decoding: from token probabilities to spans, the one path of scoring, the CLI and training.

A span is a run of tokens at or over ``low`` that stays inside one clause and one field, holds a
content word and reaches ``threshold`` somewhere (hysteresis: a confident word takes in its less
certain neighbours); its edges are trimmed by :func:`trim_runs` and its end completed by
:func:`complete_ends`. Its weight is a Platt
calibration of :data:`CALIBRATION_FEATURES` (:func:`span_weights`); its category that of its most
probable word that has one, else of a lexicon match inside it, else loaded language
(:func:`run_categories`, :func:`match_category`).

Phrases of the product vocabulary (urgency formulas anywhere, clickbait teasers in headlines:
:func:`vocabulary_spans`) are always reported as themselves, with their category and the weight
the vocabulary gives them; learned runs stop at them (``blocked`` in :func:`find_runs`), so
"Act now" is ``urgency`` whether or not the token model finds it loaded too.

Training decodes its held-out probabilities with :func:`find_runs` and
:func:`calibration_matrix` too, so the thresholds and the calibration are fit on the spans
scoring gives.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from itertools import repeat
from typing import NamedTuple

import numpy as np

from hypemeter.analysis.features import FieldAnalysis
from hypemeter.analysis.lexicon import Match
from hypemeter.analysis.vocabulary import PHRASE_BREAKS, SEED_PHRASES
from hypemeter.records.results import Field, Span, public_category
from hypemeter.spans.columns import DENSE_NAMES, Encoded
from hypemeter.spans.fast import FastEncoded
from hypemeter.spans.model import SpanModel
from hypemeter.spans.rounding import rounded
from hypemeter.text.views import int_array

VOCABULARY_CATEGORIES = frozenset({"urgency", "clickbait"})
CALIBRATION_FEATURES = ("logit_max", "logit_mean", "log_tokens")
_BREAK_AFTER = DENSE_NAMES.index("break_after")
NOUN_PHRASE = 2  # content words a span's completed end takes in at most


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
    at_end = (lasts + 1 >= n).nonzero()[0]
    if len(at_end):  # a segment ending at the last token: its slice is [first, n)
        out[at_end] = [ufunc.reduce(values[a:]) for a in firsts[at_end]]
    return out


def _inward(keep: np.ndarray, starts: np.ndarray, ends: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Per run, the first token at or after its start and the last at or before its end that
    ``keep`` holds (a run with none comes out with first > last)."""
    # searched among the kept positions: a run costs two searches, not a pass over the batch
    kept = keep.nonzero()[0]
    bounded = np.append(kept, len(keep))  # none at or after the start: len(keep)
    nxt = bounded[kept.searchsorted(starts, side="left")]
    at = kept.searchsorted(ends, side="right") - 1
    prv = np.where(at >= 0, kept[np.maximum(at, 0)] if len(kept) else -1, -1)
    return nxt, prv


def trim_runs(proba: np.ndarray, stop: np.ndarray, starts: np.ndarray, ends: np.ndarray,
              edge_ratio: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The runs ``starts[i]..ends[i]`` (inclusive token indices, disjoint) trimmed to start and
    end on a content word (``stop`` marks "the", "of", ...), then to start and end on a word at
    least ``edge_ratio`` times as probable as the run's most probable content word: "sends
    deadly weapon" -> "deadly weapon" when "sends" is a weak neighbour the hysteresis took in.
    Runs left without a content word are dropped; the third array is the kept runs' ends."""
    firsts, lasts = _inward(~stop, starts, ends)
    keep = firsts <= lasts
    firsts, lasts, ends = firsts[keep], lasts[keep], ends[keep]
    if edge_ratio <= 0 or not len(firsts):
        return firsts, lasts, ends
    # the peak is a content word's, so it survives and every trimmed run keeps a word
    peak = segment_reduce(np.maximum, np.where(stop, -1.0, proba), firsts, lasts)
    sizes = lasts - firsts + 1
    inside = np.repeat(firsts - (np.cumsum(sizes) - sizes), sizes) + np.arange(sizes.sum())
    cutoff = np.zeros(len(proba))
    cutoff[inside] = np.repeat(edge_ratio * peak, sizes)
    firsts, lasts = _inward(~stop & (proba >= cutoff), firsts, lasts)
    return firsts, lasts, ends


def complete_ends(lasts: np.ndarray, ends: np.ndarray, stop: np.ndarray, mark: np.ndarray,
                  opens: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """Span ends that do not cut a verb from its object. When trimming ended a span right
    before a determiner or possessive its run went on with ("breaking | the internet", "losing
    | their minds"), the span takes in that noun phrase: the content words after it, up to
    :data:`NOUN_PHRASE` of them, to the next stop word or clause; before an object pronoun
    ("losing | it"), the pronoun. (``mark``: PHRASE_MARKS per token; ``opens``: a token starts
    a clause or field; ``taken``: a token of another run or of a vocabulary phrase.)"""
    n = len(stop)
    out = lasts.copy()
    after = np.minimum(lasts + 1, n - 1)
    for i in ((lasts < ends) & (mark[after] > 0)).nonzero()[0].tolist():
        k = int(lasts[i]) + 1
        j = k + 1
        while j < n and j - k <= NOUN_PHRASE and not (stop[j] or opens[j]) and (
                j <= ends[i] or not taken[j]):
            j += 1
        if j > k + 1 and mark[k] & 1:
            out[i] = j - 1
        elif mark[k] & 2:
            out[i] = k
    return out


def find_runs(proba: np.ndarray, enc: Encoded, stop: np.ndarray, mark: np.ndarray,
              threshold: float, low: float, edge_ratio: float,
              blocked: np.ndarray | None = None) -> Runs:
    """The spans' runs of a batch (``enc``: its clause breaks and field bounds; ``stop`` and
    ``mark``: per token, a stop word, its PHRASE_MARKS; ``blocked``: tokens no run takes, those
    of :func:`vocabulary_spans`)."""
    n = len(proba)
    empty = np.zeros(0, np.int64)
    if n == 0:
        return Runs(empty, empty, empty, np.zeros(0), np.zeros(0), empty)
    hot = proba >= low
    if blocked is not None:
        hot &= ~blocked
    brk = enc.dense[:, _BREAK_AFTER] > 0
    opens = np.zeros(n, bool)  # a token that starts a field or a clause
    starts = np.asarray(enc.bounds[:-1])
    opens[starts[starts < n]] = True
    cont = np.zeros(n, bool)
    cont[1:] = hot[1:] & hot[:-1] & ~brk[:-1] & ~opens[1:]
    firsts, lasts, ends = trim_runs(proba, stop, (hot & ~cont).nonzero()[0],
                                    (hot & ~np.r_[cont[1:], False]).nonzero()[0], edge_ratio)
    if not len(firsts):
        return Runs(empty, empty, empty, np.zeros(0), np.zeros(0), empty)
    opens[1:] |= brk[:-1]
    lasts = complete_ends(lasts, ends, stop, mark, opens, hot if blocked is None else hot | blocked)
    tops = segment_reduce(np.maximum, proba, firsts, lasts)
    sums = segment_reduce(np.add, proba, firsts, lasts)
    sizes = lasts - firsts + 1
    sel = tops >= threshold
    firsts, lasts, tops, sums, sizes = firsts[sel], lasts[sel], tops[sel], sums[sel], sizes[sel]
    owners = np.searchsorted(enc.bounds, firsts, side="right") - 1
    return Runs(owners, firsts, lasts, tops, sums / sizes, sizes)


def vocabulary_spans(fa: FieldAnalysis, headline: bool, stop: np.ndarray) -> list[Match]:
    """The product vocabulary's phrases a field reports (``stop``: the field's stop words):
    urgency formulas anywhere, clickbait teasers in headlines (learned from headlines: in body
    text they are noise). A mined phrase holds a content word, as a span does: the n-gram "you
    will" is a piece of "You will not believe", not a teaser; a hand-written formula is one as it
    stands ("now or never" is all stop words). A one-word formula is one as a
    label only, opening its field or closed by a clause break ("BREAKING: ...", not "photos are
    breaking the internet")."""
    out = []
    seps = fa.tokens.seps
    for m in fa.matches:
        if m.category != "urgency" and not (m.category == "clickbait" and headline):
            continue
        if stop[m.first:m.last + 1].all() and " ".join(
                fa.tokens.words[m.first:m.last + 1]).lower() not in SEED_PHRASES:
            continue
        if m.first == m.last and m.first > 0 and PHRASE_BREAKS.isdisjoint(seps[m.last]) \
                and m.last + 1 < len(seps):
            continue
        out.append(m)
    return out


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


def vocabulary_mask(vocabulary: Sequence[list[Match]], bounds: Sequence[int], n: int
                    ) -> np.ndarray | None:
    """The tokens of the vocabulary phrases of each field (field ``k``'s tokens start at
    ``bounds[k]``), or None when there are none."""
    if not any(vocabulary):
        return None
    mask = np.zeros(n, bool)
    for base, matches in zip(bounds, vocabulary, strict=False):
        for m in matches:
            mask[base + m.first:base + m.last + 1] = True
    return mask


def explain_spans(model: SpanModel, fields: Sequence[tuple[FieldAnalysis, str, bool]],
                  names: Sequence[Field], proba: np.ndarray, enc: FastEncoded
                  ) -> list[list[Span]]:
    """The spans of every field (``names[k]`` is field k's name), in text order."""
    bounds = enc.bounds
    vocabulary = [vocabulary_spans(fa, head, enc.stop[bounds[k]:bounds[k + 1]])
                  for k, (fa, _, head) in enumerate(fields)]
    runs = find_runs(proba, enc, enc.stop, enc.mark, model.threshold, model.low,
                     model.edge_ratio, vocabulary_mask(vocabulary, bounds, len(proba)))
    weights = span_weights(model, runs)
    best = run_categories(proba, enc, runs)
    firsts, lasts = runs.first.tolist(), runs.last.tolist()
    # each run's character offsets, read from the fields' offsets laid end to end
    span_starts = np.concatenate([int_array(fa.tokens.starts) for fa, _, _ in fields]
                                 )[runs.first].tolist() if firsts else []
    span_ends = np.concatenate([int_array(fa.tokens.ends) for fa, _, _ in fields]
                               )[runs.last].tolist() if firsts else []
    cat_names, cat = enc.cat_names, enc.cat
    codes = cat[np.maximum(np.asarray(best, np.int64), 0)].tolist() if best else []
    cats = [cat_names[c] if t >= 0 else None for c, t in zip(codes, best, strict=True)]
    owners = runs.field.tolist()
    for j in [j for j, c in enumerate(cats) if c is None]:
        k = owners[j]
        cats[j] = match_category(fields[k][0], firsts[j] - bounds[k], lasts[j] - bounds[k])
    texts = [text for _, text, _ in fields]
    found = new_spans(list(map(names.__getitem__, owners)), span_starts, span_ends,
                      list(map(str.__getitem__, map(texts.__getitem__, owners),
                               map(slice, span_starts, span_ends))),
                      cats, rounded(weights, 4))
    # the spans of field k are found[cut[k]:cut[k + 1]] (runs come in token order)
    cut = runs.field.searchsorted(np.arange(len(fields) + 1)).tolist()
    out: list[list[Span]] = []
    for k, ((fa, text, _), name) in enumerate(zip(fields, names, strict=True)):
        spans = found[cut[k]:cut[k + 1]]
        if vocabulary[k]:
            toks = fa.tokens
            for m in vocabulary[k]:
                start, end = toks.starts[m.first], toks.ends[m.last]
                spans.append(new_span(name, start, end, text[start:end], m.category, m.weight))
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


def new_spans(fields: list[Field], starts: list[int], ends: list[int], texts: list[str],
              categories: list[str], weights: list[float]) -> list[Span]:
    """``list(map(new_span, ...))`` with the slots set by C-level maps (no Python call per
    span: a batch makes tens of thousands)."""
    spans = list(map(object.__new__, repeat(Span, len(starts))))
    for setter, values in ((_set_field, fields), (_set_start, starts), (_set_end, ends),
                           (_set_text, texts), (_set_category, categories),
                           (_set_weight, weights)):
        deque(map(setter, spans, values), maxlen=0)
    return spans


def _start(s: Span) -> int:
    return s.start
