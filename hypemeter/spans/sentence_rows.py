"""Sentence features of a whole batch at once, the inputs of the sentence score (scoring) and of
its fit (training): per sentence its most probable token, its loaded probability mass, its
tokens over the threshold, its length, an exclamation and the vocabulary phrases it starts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hypemeter.analysis.features import FieldAnalysis
from hypemeter.spans.decoding import VOCABULARY_CATEGORIES, segment_reduce

SENTENCE_FEATURES = ("max_token", "loaded_mass", "hot_tokens", "log_tokens", "exclaim",
                     "vocabulary")


def batch_sentence_features(
    proba: np.ndarray, bounds: Sequence[int],
    fields: Sequence[tuple[FieldAnalysis, str, bool]],
    sentences: Sequence[list[tuple[int, int]]], threshold: float,
) -> np.ndarray:
    """One row of SENTENCE_FEATURES per sentence, fields in order (``sentences[k]`` are field
    k's character spans; ``proba[bounds[k]:bounds[k + 1]]`` its token probabilities)."""
    rows = sum(len(s) for s in sentences)
    out = np.zeros((rows, len(SENTENCE_FEATURES)))
    if not rows:
        return out
    n = len(proba)
    mass = -np.log1p(-np.minimum(proba, 0.999))
    hot_cum = np.concatenate([[0.0], np.cumsum((proba >= threshold).astype(float))])
    vocab_at = np.zeros(n + 1)
    lo_parts, hi_parts, mass_parts = [], [], []
    exclaim: list[bool] = []
    for k, ((fa, text, _), sents) in enumerate(zip(fields, sentences, strict=True)):
        if not sents:
            continue
        base = bounds[k]
        starts = np.asarray(fa.tokens.starts, dtype=np.int64)
        lo = starts.searchsorted([a for a, _ in sents], side="left")
        hi = starts.searchsorted([b for _, b in sents], side="left")
        cum = np.concatenate([[0.0], np.cumsum(mass[base:bounds[k + 1]])])
        mass_parts.append(cum[hi] - cum[lo])
        lo_parts.append(lo + base)
        hi_parts.append(hi + base)
        for m in fa.matches:
            if m.category in VOCABULARY_CATEGORIES:
                vocab_at[base + m.first] = 1.0
        exclaim += ["!" in text[a:b] for a, b in sents] if "!" in text else [False] * len(sents)
    lo_g = np.concatenate(lo_parts)
    hi_g = np.concatenate(hi_parts)
    full = hi_g > lo_g
    if full.any():
        out[full, 0] = segment_reduce(np.maximum, proba, lo_g[full], hi_g[full] - 1)
    out[:, 1] = np.concatenate(mass_parts)
    out[:, 2] = np.log1p(hot_cum[hi_g] - hot_cum[lo_g])
    out[:, 3] = np.log1p(hi_g - lo_g) / 3.0
    out[:, 4] = exclaim
    vocab_cum = np.cumsum(vocab_at)  # whole numbers: sums are exact in any order
    out[:, 5] = np.where(hi_g > 0, vocab_cum[hi_g - 1], 0.0) - np.where(
        lo_g > 0, vocab_cum[lo_g - 1], 0.0)
    return out
