"""Phrase spans read in context, with weights that are calibrated probabilities.

A token classifier (logistic regression, trained by :mod:`hypemeter.training.spans`) gives each
token the probability that an annotator marked it as loaded language, name calling,
exaggeration, an appeal to fear or flag-waving (the five techniques of the Propaganda Techniques
Corpus that are about wording). It reads the word and its neighbours two either side, the pair
of words each side, the words' valence and shape, the phrase lexicon's matches around it, and its
clause (exclamation, other loaded words, length): "killing" in a plain clause about a crash and
"killing" in a tirade get different probabilities.

Scoring a batch: :func:`hypemeter.spans.fast.encode_fast` lays the fields end to end and
looks each distinct token string up once, :func:`hypemeter.spans.fast.token_proba` gives every
token's probability from tables the linear model is folded into (a token's logit is five table
reads, two bigram reads and a small dense product), and :mod:`hypemeter.spans.decoding` turns
them into spans: runs of tokens over the tuned threshold inside one clause, with a ``weight``
that is a Platt calibration of the run's highest and mean token probability and length, fit
per span on held-out folds of exhaustively annotated articles
(:mod:`hypemeter.training.span_calibration`), so that about 70% of the spans weighted 0.7 match
a phrase annotators marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np

from hypemeter.spans.columns import SUFFIXES, UNKNOWN


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
    calib_intercept: float  # hypemeter.spans.decoding.CALIBRATION_FEATURES
    categories: dict[str, str]  # word -> category of the spans it sat in
    sentence_coef: np.ndarray  # sentence score: logistic regression on
    # hypemeter.spans.sentence_rows.SENTENCE_FEATURES
    sentence_intercept: float
    metrics: dict[str, Any]  # what fitting measured on held-out folds
    # a span's edge words carry at least this share of its strongest word's probability
    # (:func:`hypemeter.spans.decoding.trim_runs`)
    edge_ratio: float

    def known_suffixes(self) -> np.ndarray:
        """Per vocabulary id, what its word's suffixes add (kept per process, not pickled)."""
        cached = self.__dict__.get("_suffix_of_id")
        if cached is None:
            # sum(table_k[suffix id of word[-size_k:]] for each k) of each word, added up in
            # that order over all the words at once (C-level maps: the first call of a process)
            items = [(w, v) for w, v in self.vocab.items() if v != UNKNOWN and w]
            words = [w for w, _ in items]
            total = np.zeros(len(words))
            for k, size in enumerate(SUFFIXES):
                ends = map(itemgetter(slice(-size, None)), words)
                at = np.fromiter(map(self.suffix_vocab.get, ends, repeat(0)), np.int64,
                                 len(words))
                total += self.suffix_tables[k][at]
            cached = np.zeros(len(self.vocab) + 1)
            cached[np.fromiter((v for _, v in items), np.int64, len(items))] = total
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


_PER_PROCESS = ("_suffix_of_id", "_pair_index", "_pair_table", "_token_cache")
