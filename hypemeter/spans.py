"""Phrase spans read in context, with weights that are calibrated probabilities.

A token classifier (logistic regression, trained by :mod:`hypemeter.training.spans`) gives each
token the probability that an annotator marked it as loaded language, name calling,
exaggeration, an appeal to fear or flag-waving (the five techniques of the Propaganda Techniques
Corpus that are about wording). It reads the word and its neighbours two either side, the pair
of words each side, the words' valence and shape, the phrase lexicon's matches around it, and its
clause (exclamation, other loaded words, length): "killing" in a plain clause about a crash and
"killing" in a tirade get different probabilities.

Scoring is vectorised: all fields of a batch are laid end to end with padding between them, the
words are looked up in the vocabulary once (``map`` over a dict, in C), and the linear model is
folded into one table per window position, so a token's logit is five table reads, two bigram
reads and a small dense product. A span is a run of tokens over the tuned threshold inside one
clause; its ``weight`` is a Platt calibration (fit on held-out folds) of the run's highest and
mean token probability and length, so a weight of 0.7 means that about 70% of such a span's
characters lie inside phrases annotators marked.

Scoring a batch goes through :mod:`hypemeter.span_fast`, which keeps what the model reads from
each distinct token string in a per-process cache and finds runs and categories with array
operations; the functions here are the reference it is tested against (identical output).

Phrases of the product vocabulary (urgency formulas anywhere, clickbait teasers in headlines; see
:data:`hypemeter.lexicon.SEED_PHRASES`) are reported too where no learned span covers them, with
the weight the vocabulary gives them.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise, repeat
from typing import Any

import numpy as np

from hypemeter.features import FieldAnalysis
from hypemeter.lexicon import PHRASE_BREAKS, STOPWORDS
from hypemeter.schema import Field, Span
from hypemeter.text import INTENSIFIERS, is_superlative

SPAN_TECHNIQUES = frozenset({
    "Loaded_Language", "Name_Calling,Labeling", "Exaggeration,Minimisation",
    "Appeal_to_fear-prejudice", "Flag-Waving",
})
OFFSETS = (-2, -1, 0, 1, 2)
SUFFIXES = (2, 3, 4)  # the word's last characters, for words the vocabulary does not hold
PAD = 2  # padding tokens between fields (the widest window reach)
UNKNOWN, EDGE = 0, 1  # vocabulary ids of an unseen word and of the padding
STATIC_NAMES = ("abs_valence", "neg_valence", "strong_valence", "stop", "long", "superlative",
                "intensifier")
DENSE_NAMES = ("all_caps", "title_inside", "headline", "quoted", "exclaim_after", "break_after",
               "break_before", "clause_exclaim", "clause_valence", "clause_len")
VOCABULARY_CATEGORIES = frozenset({"urgency", "clickbait"})
_OPEN_QUOTES = ("\u201c", "\u00ab")
_CLOSE_QUOTES = ("\u201d", "\u00bb")


def static_features(word: str, valence: dict[str, float]) -> list[float]:
    """Per-word features that generalise beyond the words seen in spans (STATIC_NAMES)."""
    v = valence.get(word, 0.0)
    return [abs(v) / 4.0, float(v < -1.0), float(abs(v) >= 2.0), float(word in STOPWORDS),
            float(len(word) >= 8), float(is_superlative(word)), float(word in INTENSIFIERS)]


@dataclass
class Encoded:
    """Tokens of several fields laid end to end, ``PAD`` padding tokens around each field."""

    ids: np.ndarray  # vocabulary id of every position, padding included
    bigrams: np.ndarray  # id of the pair (position, next position)
    suffixes: np.ndarray  # (len(SUFFIXES), positions): suffix ids
    pos: np.ndarray  # positions of the real tokens, in field order
    dense: np.ndarray  # (len(pos), len(DENSE_NAMES))
    bounds: list[int]  # field k's tokens are pos[bounds[k]:bounds[k + 1]]


def _sep_code(sep: str) -> int:
    """What the token model reads from the text between two tokens, packed in an int: a clause
    break (bit 0), an exclamation (bit 1), and counts of plain, opening and closing quotes."""
    return (
        (not PHRASE_BREAKS.isdisjoint(sep)) + 2 * ("!" in sep)
        + 4 * min(sep.count('"'), 7)
        + 32 * min(sum(sep.count(q) for q in _OPEN_QUOTES), 7)
        + 256 * min(sum(sep.count(q) for q in _CLOSE_QUOTES), 7)
    )


def _batch_dense(fields: Sequence[tuple[FieldAnalysis, str, bool]], strong: np.ndarray,
                 case: tuple[np.ndarray, np.ndarray] | None = None,
                 codes: np.ndarray | None = None) -> np.ndarray:
    """DENSE_NAMES for every token of every field, computed over the batch at once; running
    counts (quotes) and clauses restart at each field. ``case`` (all caps, title case) and
    ``codes`` (:func:`_sep_code` of each separator) are computed here unless given."""
    lengths = [len(fa.tokens.raw) for fa, _, _ in fields]
    n = sum(lengths)
    out = np.empty((n, len(DENSE_NAMES)))  # every column is written below
    if n == 0:
        return out
    lens = np.asarray(lengths)
    firsts = np.cumsum(lens) - lens  # each field's first token
    live = lens > 0
    if case is None:
        raw = [w for fa, _, _ in fields for w in fa.tokens.raw]
        # only tokens that lower-casing changes can be capitalised: one pass finds them
        lowered = [w for fa, _, _ in fields for w in fa.tokens.words]
        cased = np.flatnonzero(~np.fromiter(map(str.__eq__, raw, lowered), bool, n))
        upper = np.zeros(n, bool)
        title = np.zeros(n, bool)
        if len(cased):
            some = [raw[k] for k in cased]
            # a capital letter on its own ("I", "A") is not shouting
            upper[cased] = [w.isupper() and len(w) > 1 for w in some]
            title[cased] = [w.istitle() for w in some]
    else:
        upper, title = case
    if codes is None:
        seps = [s for fa, _, _ in fields for s in fa.tokens.seps]
        table = {sep: _sep_code(sep) for sep in set(seps)}
        codes = np.fromiter(map(table.__getitem__, seps), np.int64, n)
    brk = (codes & 1).astype(bool)
    excl = (codes & 2).astype(bool)
    before = np.empty(n, bool)
    before[0] = True
    before[1:] = brk[:-1]
    before[firsts[live]] = True
    out[:, 0] = upper
    out[:, 1] = title & ~before
    out[:, 2] = np.repeat([float(h) for _, _, h in fields], lens)
    # quotes: running counts within each field, from the text before its first token on
    prefixes = [text[:fa.tokens.starts[0]] if fa.tokens.starts else "" for fa, text, _ in fields]
    pre_plain = np.array([p.count('"') for p in prefixes])
    pre_open = np.array([sum(p.count(q) for q in _OPEN_QUOTES) for p in prefixes])
    pre_close = np.array([sum(p.count(q) for q in _CLOSE_QUOTES) for p in prefixes])

    def local_cumsum(x: np.ndarray) -> np.ndarray:
        c = np.cumsum(x)
        base = np.where(firsts > 0, c[np.maximum(firsts - 1, 0)], 0)
        return c - np.repeat(base, lens)

    plain = np.repeat(pre_plain, lens) + local_cumsum((codes >> 2) & 7)
    nested = np.repeat(pre_open - pre_close, lens) + local_cumsum(
        (codes >> 5) & 7) - local_cumsum((codes >> 8) & 7)
    quoted = np.empty(n, bool)
    quoted[1:] = ((plain % 2) + nested)[:-1] > 0
    quoted[firsts[live]] = ((pre_plain % 2 > 0) | (pre_open > 0))[live]
    out[:, 3] = quoted
    out[:, 4] = excl
    out[:, 5] = brk
    out[:, 6] = before
    clause = np.cumsum(before) - 1
    out[:, 7] = np.bincount(clause, weights=excl.astype(float))[clause] > 0
    out[:, 8] = np.log1p(np.bincount(clause, weights=strong))[clause]
    out[:, 9] = np.log1p(np.bincount(clause))[clause] / 3.0
    return out


def encode(
    vocab: dict[str, int], bigram_vocab: dict[tuple[str, str], int],
    suffix_vocab: dict[str, int], strong: np.ndarray,
    fields: Sequence[tuple[FieldAnalysis, str, bool]], *, all_suffixes: bool = True,
    pair_index: tuple[np.ndarray, np.ndarray] | None = None,
) -> Encoded:
    """Lay out ``(analysis, text, is_headline)`` fields for the token model; ``strong`` says
    per vocabulary id whether the word has a strong valence. ``all_suffixes=False`` looks up
    suffixes only for words outside the vocabulary (scoring folds the others into a table);
    ``pair_index`` (:meth:`SpanModel.pair_index`) finds word pairs by their ids."""
    words: list[str] = [""] * PAD
    starts = []
    for fa, _, _ in fields:
        starts.append(len(words))
        words.extend(fa.tokens.words)
        words.extend([""] * PAD)
    total = len(words)
    ids = np.fromiter(map(vocab.get, words, repeat(UNKNOWN)), np.int64, total)
    bigrams = np.zeros(total, np.int64)
    if pair_index is not None:  # word pairs as integer keys, looked up in one sorted array
        keys, values = pair_index
        wanted = ids[:-1] * (len(vocab) + 2) + ids[1:]
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        bigrams[:-1] = np.where(keys[at] == wanted, values[at], 0) if len(keys) else 0
    else:
        bigrams[:-1] = np.fromiter(map(bigram_vocab.get, pairwise(words), repeat(0)),
                                   np.int64, total - 1)
    suffixes = np.zeros((len(SUFFIXES), total), np.int64)
    at = np.arange(total) if all_suffixes else np.flatnonzero(ids == UNKNOWN)
    chosen = [words[k] for k in at]
    for row, k in enumerate(SUFFIXES):
        suffixes[row, at] = np.fromiter(
            map(suffix_vocab.get, map(operator.itemgetter(slice(-k, None)), chosen), repeat(0)),
            np.int64, len(chosen))
    pos = np.concatenate([np.arange(start, start + len(fa.tokens.words))
                          for (fa, _, _), start in zip(fields, starts, strict=True)]) \
        if fields else np.zeros(0, np.int64)
    bounds = [0, *np.cumsum([len(fa.tokens.words) for fa, _, _ in fields]).tolist()]
    dense = _batch_dense(fields, strong[ids[pos]])
    return Encoded(ids, bigrams, suffixes, pos, dense, bounds)


@dataclass
class SpanModel:
    """The fitted token model folded into lookup tables, decoding and calibration settings."""

    vocab: dict[str, int]
    bigram_vocab: dict[tuple[str, str], int]
    suffix_vocab: dict[str, int]  # "-2:ly", "-3:ist", ...; 0 = unseen
    tables: np.ndarray  # (len(OFFSETS), len(vocab)) logit contribution per window position
    bigram_left: np.ndarray  # pair (previous word, word)
    bigram_right: np.ndarray  # pair (word, next word)
    suffix_tables: np.ndarray  # (len(SUFFIXES), len(suffix_vocab) + 1)
    dense_coef: np.ndarray
    intercept: float
    strong: np.ndarray  # per vocabulary id: the word's valence is strong (a clause feature)
    threshold: float  # a span needs a token this probable ...
    low: float  # ... and takes in the tokens of its clause around it down to this
    calib_coef: np.ndarray  # Platt calibration of a span (fit on held-out folds) on
    calib_intercept: float  # CALIBRATION_FEATURES
    categories: dict[str, str]  # word -> category of the spans it sat in
    sentence_coef: np.ndarray  # sentence score: logistic regression on SENTENCE_FEATURES
    sentence_intercept: float
    metrics: dict[str, Any]  # what fitting measured on held-out folds

    def token_proba(self, enc: Encoded) -> np.ndarray:
        p = enc.pos
        z = np.full(len(p), self.intercept)
        for k, off in enumerate(OFFSETS):
            z += self.tables[k][enc.ids[p + off]]
        z += self.bigram_left[enc.bigrams[p - 1]] + self.bigram_right[enc.bigrams[p]]
        known = self._known_suffixes()
        z += known[enc.ids[p]]
        unknown = enc.ids[p] == UNKNOWN
        if unknown.any():
            q = p[unknown]
            z[unknown] += sum(self.suffix_tables[k][enc.suffixes[k, q]]
                              for k in range(len(SUFFIXES)))
        z += enc.dense @ self.dense_coef
        return 1.0 / (1.0 + np.exp(-z))

    def _known_suffixes(self) -> np.ndarray:
        """Per vocabulary id, what its word's suffixes add (kept per process, not pickled)."""
        cached = self.__dict__.get("_suffix_of_id")
        if cached is None:
            cached = np.zeros(len(self.vocab) + 1)
            for word, v in self.vocab.items():
                if v != UNKNOWN and word:
                    cached[v] = sum(
                        self.suffix_tables[k][self.suffix_vocab.get(word[-size:], 0)]
                        for k, size in enumerate(SUFFIXES))
            self.__dict__["_suffix_of_id"] = cached
        return cached

    def pair_index(self) -> tuple[np.ndarray, np.ndarray]:
        """The bigram vocabulary as sorted integer keys (both words' ids) and bigram ids: every
        counted pair's words are in the vocabulary, so ids identify it."""
        cached = self.__dict__.get("_pair_index")
        if cached is None:
            width = len(self.vocab) + 2
            pairs = [(self.vocab.get(a, UNKNOWN) * width + self.vocab.get(b, UNKNOWN), v)
                     for (a, b), v in self.bigram_vocab.items()
                     if a in self.vocab and b in self.vocab]
            pairs.sort()
            cached = (np.array([k for k, _ in pairs], np.int64),
                      np.array([v for _, v in pairs], np.int64))
            self.__dict__["_pair_index"] = cached
        return cached

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()
                if k not in _PER_PROCESS}

    def weight(self, proba: np.ndarray) -> float:
        """The calibrated weight of a span from its tokens' probabilities."""
        z = calibration_features(proba) @ self.calib_coef + self.calib_intercept
        return float(1.0 / (1.0 + np.exp(-z)))


_PER_PROCESS = ("_suffix_of_id", "_pair_index", "_pair_filter", "_token_cache")
CALIBRATION_FEATURES = ("logit_max", "logit_mean", "log_tokens")


def calibration_features(proba: np.ndarray) -> np.ndarray:
    q = np.clip(proba, 1e-4, 1 - 1e-4)
    top, mean = q.max(), q.mean()
    return np.array([np.log(top / (1 - top)), np.log(mean / (1 - mean)), np.log(len(q))])


def runs(
    proba: np.ndarray, fa: FieldAnalysis, threshold: float, low: float | None = None
) -> list[tuple[int, int, float]]:
    """``(first, last, max probability)`` of each run of tokens at or over ``low`` that stays
    inside one clause, holds a content word and reaches ``threshold`` somewhere (hysteresis:
    a confident word takes in its less certain neighbours)."""
    low = threshold if low is None else low
    words, seps = fa.tokens.words, fa.tokens.seps
    out = []
    hot = np.flatnonzero(proba >= low)
    k = 0
    while k < len(hot):
        first = last = int(hot[k])
        k += 1
        while k < len(hot) and hot[k] == last + 1 and PHRASE_BREAKS.isdisjoint(seps[last]):
            last = int(hot[k])
            k += 1
        # trim stop words at either end ("the", "of"): a span starts and ends on content
        while first <= last and words[first] in STOPWORDS:
            first += 1
        while last >= first and words[last] in STOPWORDS:
            last -= 1
        if first <= last:
            top = float(proba[first:last + 1].max())
            if top >= threshold:
                out.append((first, last, top))
    return out


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
    threshold: float, low: float,
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
    field_of = np.searchsorted(enc.bounds, run_starts, side="right") - 1
    words = [w for fa, _, _ in fields for w in fa.tokens.words]
    firsts, lasts, owners = [], [], []
    for a, b, f in zip(run_starts.tolist(), ends.tolist(), field_of.tolist(), strict=True):
        while a <= b and words[a] in STOPWORDS:
            a += 1
        while b >= a and words[b] in STOPWORDS:
            b -= 1
        if a <= b:
            firsts.append(a)
            lasts.append(b)
            owners.append(f)
    if not firsts:
        return out
    fa_ = np.asarray(firsts)
    la_ = np.asarray(lasts) + 1
    cuts = np.empty(2 * len(fa_), np.int64)
    cuts[0::2], cuts[1::2] = fa_, la_
    safe = cuts.copy()
    safe[safe >= n] = n - 1  # reduceat needs indices < n; the last slice ends at n anyway
    tops = np.maximum.reduceat(proba, safe)[0::2]
    sums = np.add.reduceat(proba, safe)[0::2]
    ends_at_n = la_ >= n
    if ends_at_n.any():  # a run ending at the last token: its slice is [first, n)
        k = np.flatnonzero(ends_at_n)
        tops[k] = [proba[a:].max() for a in fa_[k]]
        sums[k] = [proba[a:].sum() for a in fa_[k]]
    lens = la_ - fa_
    for a, b, f, top, total, size in zip(firsts, lasts, owners, tops.tolist(), sums.tolist(),
                                         lens.tolist(), strict=True):
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
    inside the span, else loaded language."""
    cats = model.categories
    known = [(p, -i) for i, p in enumerate(proba[first:last + 1].tolist(), first)
             if words[i] in cats]
    if known:
        return cats[words[-max(known)[1]]]
    for m in fa.matches:
        if m.first <= last and m.last >= first and m.category not in VOCABULARY_CATEGORIES:
            return m.category
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
        found = [(a, b, 0.0, 0.0, 0) for a, b, _ in runs(proba, fa, model.threshold, model.low)]
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
