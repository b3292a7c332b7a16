"""SpanModel.known_suffixes (what each vocabulary word's suffixes add, computed for all words
at once) holds the same bits as adding each word's suffix table values in turn, for the shipped
model and for words shorter than a suffix, the empty word, words whose suffixes are unknown and
a word mapped to the unknown id."""

from __future__ import annotations

import copy

import numpy as np

from hypemeter.scoring.scorer import Scorer
from hypemeter.spans.columns import SUFFIXES, UNKNOWN
from hypemeter.spans.model import SpanModel


def _reference(sm: SpanModel) -> np.ndarray:
    out = np.zeros(len(sm.vocab) + 1)
    for word, v in sm.vocab.items():
        if v != UNKNOWN and word:
            out[v] = sum(sm.suffix_tables[k][sm.suffix_vocab.get(word[-size:], 0)]
                         for k, size in enumerate(SUFFIXES))
    return out


def _fresh(sm: SpanModel) -> SpanModel:
    out = copy.copy(sm)
    out.__dict__.pop("_suffix_of_id", None)
    return out


def test_the_shipped_model(scorer: Scorer) -> None:
    sm = _fresh(scorer.bundle.model.span_model_)
    assert sm.known_suffixes().tobytes() == _reference(sm).tobytes()


def test_odd_words(scorer: Scorer) -> None:
    sm = _fresh(scorer.bundle.model.span_model_)
    vocab = dict(sm.vocab)
    top = max(vocab.values())
    odd = ["ǫ", "9ǫ", "ǫǫǫǫǫǫǫǫ", "naïvexǫ", "o'clockxǫ", "2024xǫ", "xǫing", "unknownishǫ"]
    assert not set(odd) & set(vocab)
    for j, w in enumerate(odd):
        vocab[w] = top + 1 + j
    vocab["unknownishǫ"] = UNKNOWN
    sm.vocab = vocab
    got = sm.known_suffixes()
    assert len(got) == len(vocab) + 1
    assert got.tobytes() == _reference(sm).tobytes()
    assert got[vocab["xǫing"]] != 0 and got[vocab[""]] == 0  # ("" is in the vocabulary)
