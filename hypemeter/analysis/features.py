"""Per-field analysis: stylistic signals, sentiment intensity and loaded-phrase density.

:func:`analyze_fields` tokenises each field once and returns both the dense style vector the models
read and the lexicon matches the explanations report, so scoring with explanations costs one
pass over the text.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import accumulate, compress, count, repeat

import numpy as np

from hypemeter.analysis.identity import PLACEHOLDER, identity_positions, mask_field
from hypemeter.analysis.lexicon import Match, PhraseLexicon
from hypemeter.analysis.matching import match_fields
from hypemeter.analysis.word_table import WordTable, word_table
from hypemeter.text.punctuation import Punctuation, punctuation, punctuation_counts
from hypemeter.text.slots import build_many
from hypemeter.text.token_batch import tokenize_many
from hypemeter.text.tokens import (
    ALL_CAPS_RE,
    FORWARD_REFERENCES,
    HEDGES,
    INTENSIFIERS,
    SECOND_PERSON,
    URGENCY,
    Tokens,
    is_superlative,
    tokenize,
)

STYLE_NAMES: tuple[str, ...] = (
    "empty",
    "log_chars",
    "log_words",
    "exclamations_per_sentence",
    "questions_per_sentence",
    "all_caps_rate",
    "leading_number",
    "second_person_rate",
    "superlative_rate",
    "intensifier_rate",
    "forward_references",
    "quotes_per_sentence",
    "hedge_rate",
    "words_per_sentence",
    "sentiment_intensity",
    "negative_sentiment_share",
    "max_sentiment_intensity",
    "loaded_density",
    "loaded_count",
    "urgency_rate",
)
N_STYLE = len(STYLE_NAMES)
CHUNK_FIELDS = 64  # fields whose words are counted at once


@lru_cache(maxsize=1)
def vader_valence() -> dict[str, float]:
    """VADER's valence lexicon, read from the vaderSentiment package (no download)."""
    text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text("utf-8")
    valence: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            try:
                valence[parts[0].lower()] = float(parts[1])
            except ValueError:
                continue
    return valence


@dataclass(frozen=True, slots=True)
class FieldAnalysis:
    tokens: Tokens
    style: np.ndarray
    matches: list[Match]
    # each word's MurmurHash3 when the analysis has them (HashedNgrams.transform_hashes)
    hashes: np.ndarray | None = None
    # the field's text with identity terms masked (hypemeter.analysis.identity), when the
    # analysis masked any: what character features read
    masked: str | None = None
    # each word's row in ``table`` (the word table of the analysis; identity terms: the
    # placeholder's row), when the analysis kept them (with ``matches``: explanations read them)
    rows: np.ndarray | None = field(default=None, compare=False, repr=False)
    table: WordTable | None = field(default=None, compare=False, repr=False)


def _count_in(counts: Counter[str], vocabulary: frozenset[str]) -> int:
    # the vocabularies are small (tens of words): look each up rather than intersect the
    # field's distinct words (dict.get: a missing word is 0 without Counter.__missing__)
    return sum(map(counts.get, vocabulary, repeat(0)))


# The cue phrases with the set of their words, in FORWARD_REFERENCES order.
_FORWARD_PHRASES = tuple((list(p), frozenset(p)) for p in FORWARD_REFERENCES)
_FORWARD_WORDS = frozenset(w for p in FORWARD_REFERENCES for w in p)


def _forward_references(words: list[str], counts: Counter[str] | AbstractSet[str],
                        at: list[int] | None = None) -> int:
    """How many non-overlapping cue phrases ``FORWARD_REFERENCE_RE.findall(" ".join(words))``
    finds, counted on the tokens instead of a regex over the whole joined field.

    Only phrases whose words all occur in the field can match (``keys >= set`` is one C-level
    check), and only at a token holding a first word of one of those. Tokens never contain
    spaces, so the regex's matches start and end at token boundaries; at a token it takes the
    first phrase in list order and resumes after it, as below. ``at``, when given, lists
    positions in order that include every position where a cue phrase occurs (the word table
    gives the positions of a cue phrase's first two words; ``counts`` may then be all of
    the cue words: a phrase whose words are not all there does not match anyway).
    """
    keys = counts.keys() if isinstance(counts, Counter) else counts
    live = [phrase for phrase, needed in _FORWARD_PHRASES if keys >= needed]
    if not live:
        return 0
    by_first: dict[str, list[list[str]]] = {}
    for phrase in live:
        by_first.setdefault(phrase[0], []).append(phrase)
    found = 0
    resume = 0
    if at is None:
        at = list(compress(count(), map(by_first.__contains__, words)))
    for i in at:
        if words[i] not in by_first:
            continue
        if i < resume:
            continue
        for phrase in by_first[words[i]]:
            if words[i:i + len(phrase)] == phrase:
                found += 1
                resume = i + len(phrase)
                break
    return found


def _est_superlatives(counts: Counter[str]) -> int:
    """Occurrences of the words ending in "est" that ``is_superlative`` accepts.

    Rather than test every distinct word, split the distinct words joined by spaces at
    "est ": each piece but the last ends where such a word's "est" starts (words contain no
    spaces), so only those few words reach Python code.
    """
    pieces = (" ".join(counts) + " ").split("est ")
    total = 0
    for piece in pieces[:-1]:
        word = piece.rpartition(" ")[2] + "est"
        if is_superlative(word):
            total += counts[word]
    return total


def _valence_stats(counts: Counter[str], valence: dict[str, float]) -> tuple[float, float, int]:
    """Sum of |valence| over the tokens, the largest |valence|, and negative tokens.

    The set intersection runs in C; fsum is exactly rounded, so the result does not depend on
    the (hash-seed dependent) order in which the set yields words.
    """
    rated = counts.keys() & valence.keys()
    values = list(map(valence.__getitem__, rated))
    weights = list(map(counts.__getitem__, rated))  # same order: the set is not changed
    magnitudes = list(map(abs, values))
    val_sum = math.fsum(map(operator.mul, magnitudes, weights))
    val_max = max(magnitudes, default=0.0)
    neg = sum([c for v, c in zip(values, weights, strict=True) if v < 0])
    return val_sum, val_max, neg


def analyze_fields(
    fields: Sequence[tuple[str, bool]], lexicon: PhraseLexicon | None,
    valence: dict[str, float], *, mask: bool = False, matches: bool = True,
) -> list[FieldAnalysis]:
    """The style vector and lexicon matches of each ``(text, is_headline)``, the word counts
    of the whole batch taken at once from the lexicon's
    :class:`~hypemeter.analysis.word_table.WordTable` (same values as
    :func:`analyze_field_reference`, which counts with a ``Counter``). With ``mask``,
    identity terms read as one placeholder word (:mod:`hypemeter.analysis.identity`). Without
    ``matches`` each analysis's ``matches`` is left empty (the style vector still counts them:
    scoring without explanations reads nothing else of them)."""
    if lexicon is None:
        return [analyze_field_reference(text, lexicon, valence, is_headline=head, mask=mask)
                for text, head in fields]
    texts = [text for text, _ in fields]
    # without matches nothing reads more than a few raw tokens (explanations read them all)
    toks = tokenize_many(texts, raw=matches)
    # (masking changes no punctuation: the counts of the texts as given)
    punct = punctuation_counts(texts)
    masked: list[str | None] = [None] * len(fields)
    table = word_table(lexicon, valence)
    counts = []
    matched: list[list[Match]] = []
    loaded: list[float] = []
    n_matches: list[int] = []
    rows: list[np.ndarray | None] = []
    for k in range(0, len(toks), CHUNK_FIELDS):  # keeps the token arrays in the cache
        chunk = [t.words for t in toks[k:k + CHUNK_FIELDS]]
        flat: list[str] = []  # (extending by whole lists: half the time of list(chain(...)))
        for words in chunk:
            flat += words
        ids = table.ids(flat)
        if mask:
            _mask_chunk(table, k, chunk, ids, texts, toks, masked)
        counts += table.counts(chunk, ids)
        if matches:  # the rows after masking (int32: a table holds far fewer than 2**31)
            cut = list(accumulate(map(len, chunk), initial=0))
            rows += map(ids.astype(np.int32).__getitem__, map(slice, cut, cut[1:]))
        found, weights, sizes = match_fields(
            lexicon, table, chunk, [t.seps for t in toks[k:k + CHUNK_FIELDS]], ids,
            objects=matches)
        matched += found if found is not None else [[]] * len(chunk)
        loaded += weights
        n_matches += sizes
    styles = []
    for (_, is_headline), text, tk, c, weight, size, p in zip(
            fields, texts, toks, counts, loaded, n_matches, punct, strict=True):
        style = np.zeros(N_STYLE, dtype=np.float64)
        if not tk.words:
            style[0] = 1.0
            styles.append(style)
            continue
        forward = (_forward_references(tk.words, _FORWARD_WORDS, c.forward_at)
                   if c.forward_at else 0)
        styles.append(_style(
            text, tk, p, style, is_headline, c.second, c.intens, c.hedge, c.urgent, c.superl,
            c.val_sum, c.val_max, c.negative, size, weight, forward))
    # (a field without words has no matches and nothing masked)
    return build_many(FieldAnalysis, tokens=toks, style=styles, matches=matched,
                      hashes=[c.hashes for c in counts], masked=masked,
                      rows=rows if matches else [None] * len(toks),
                      table=[table if matches else None] * len(toks))


def _mask_chunk(table: WordTable, first: int, chunk: list[list[str]], ids: np.ndarray,
                texts: list[str], toks: list[Tokens], masked: list[str | None]) -> None:
    """Mask the identity terms of fields ``first ...`` (:func:`analyze_fields`): their texts,
    tokens and ``chunk`` words in place, and their words' rows in ``ids``. The word table
    says where the candidates are, so only those few words are looked at in Python."""
    hits = table.identity_candidates(ids)
    if not len(hits):
        return
    lens = np.fromiter(map(len, chunk), np.int64, len(chunk))
    bounds = np.zeros(len(chunk) + 1, np.int64)
    np.cumsum(lens, out=bounds[1:])
    owner = bounds.searchsorted(hits, side="right") - 1
    cut = owner.searchsorted(np.arange(len(chunk) + 1)).tolist()
    local = (hits - bounds[owner]).tolist()
    placeholder: int | None = None
    for j in np.unique(owner).tolist():
        at = identity_positions(chunk[j], local[cut[j]:cut[j + 1]])
        if not at:
            continue
        k = first + j
        texts[k], toks[k] = mask_field(texts[k], toks[k], at)
        masked[k] = texts[k]
        chunk[j] = toks[k].words
        if placeholder is None:
            placeholder = int(table.ids([PLACEHOLDER])[0])
        ids[int(bounds[j]) + np.asarray(at)] = placeholder


def analyze_field_reference(
    text: str, lexicon: PhraseLexicon | None, valence: dict[str, float], *, is_headline: bool,
    mask: bool = False,
) -> FieldAnalysis:
    """:func:`analyze_fields` of one field counting words with a ``Counter`` (the
    reference)."""
    toks = tokenize(text)
    masked = None
    if mask:
        new_text, new_toks = mask_field(text, toks)
        if new_toks is not toks:
            text, toks, masked = new_text, new_toks, new_text
    words = toks.words
    n = len(words)
    style = np.zeros(N_STYLE, dtype=np.float64)
    if n == 0:
        style[0] = 1.0
        return FieldAnalysis(toks, style, [])
    counts = Counter(words)
    second = _count_in(counts, SECOND_PERSON)
    intens = _count_in(counts, INTENSIFIERS)
    hedge = _count_in(counts, HEDGES)
    urgent = _count_in(counts, URGENCY)
    superl = _est_superlatives(counts) + sum(
        counts[w] for w in ("most", "least", "best", "worst") if w in counts
    )
    val_sum, val_max, neg = _valence_stats(counts, valence)
    matches = lexicon.match(toks, counts) if lexicon is not None else []
    forward = _forward_references(words, counts)
    loaded = sum(m.weight * (m.last - m.first + 1) for m in matches)
    return FieldAnalysis(toks, _style(text, toks, punctuation(text), style, is_headline,
                                      second, intens, hedge, urgent, superl, val_sum, val_max,
                                      neg, len(matches), loaded, forward),
                         matches, masked=masked)


def _style(
    text: str, toks: Tokens, punct: Punctuation, style: np.ndarray, is_headline: bool,
    second: int, intens: int, hedge: int, urgent: int, superl: int, val_sum: float,
    val_max: float, neg: int, n_matches: int, loaded: float, forward: int,
) -> np.ndarray:
    """Fill the style vector of a non-empty field from its counts (``loaded``: the lexicon
    matches' weights times their lengths, summed)."""
    n = len(toks.words)
    inv = 1.0 / n
    sentences = punct.sentences
    caps = toks.caps if toks.caps is not None else len(ALL_CAPS_RE.findall(text))
    # the only ASCII quote character is '"' (isascii is O(1))
    quotes = punct.quotes
    style[1] = math.log1p(len(text)) / 10.0
    style[2] = math.log1p(n) / 8.0
    style[3] = min(punct.exclamations / sentences, 3.0)
    style[4] = min(punct.questions / sentences, 3.0)
    style[5] = caps * inv
    style[6] = 1.0 if is_headline and toks.raw and toks.raw[0][0].isdigit() else 0.0
    style[7] = second * inv
    style[8] = superl * inv
    style[9] = intens * inv
    style[10] = min(forward, 3)
    style[11] = min(quotes / sentences, 4.0)
    style[12] = hedge * inv
    style[13] = min(n / sentences / 30.0, 3.0)
    style[14] = val_sum * inv
    style[15] = neg * inv
    style[16] = val_max / 4.0
    style[17] = loaded * inv
    style[18] = math.log1p(n_matches) / 4.0
    style[19] = urgent * inv
    return style
