"""The span model's training recipe: token labels, the token classifier, its decoding threshold,
the calibration of span weights and the sentence scorer, all fit on held-out folds.

Training text: the Propaganda Techniques Corpus (every token labelled: inside a span of one of the
five wording techniques or not), the project's annotated sample and users' own annotated
files (short phrases label their words), and the sample's plainly written articles (every
token plain).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import scipy.sparse as sp
from hypemeter.training.span_calibration import (
    EDGE_RATIO,
    ece,
    fit_weight_calibration,
    span_rows,
    tune_decoding,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from hypemeter.analysis.features import FieldAnalysis, analyze_fields
from hypemeter.analysis.identity import PLACEHOLDER
from hypemeter.analysis.lexicon import PhraseLexicon
from hypemeter.analysis.vocabulary import TECHNIQUE_CATEGORY
from hypemeter.records.results import Record
from hypemeter.spans.columns import (
    EDGE,
    OFFSETS,
    SPAN_TECHNIQUES,
    STATIC_NAMES,
    SUFFIXES,
    UNKNOWN,
    Encoded,
    encode,
    static_features,
)
from hypemeter.spans.fast import encode_fast, token_proba
from hypemeter.spans.model import SpanModel
from hypemeter.spans.sentence_rows import batch_sentence_features
from hypemeter.text.sentences import SentenceSplitter
from hypemeter.text.tokens import tokenize

ANNOTATED = ("sample",)
OWN = "own:"
MAX_ANNOTATED_WORDS = 3  # an annotated clause labels only its short phrases' words
SOLVER = "liblinear"
CATEGORY_OF = {**TECHNIQUE_CATEGORY, "Flag-Waving": "flag_waving"}


@dataclass
class _Field:
    record: int
    name: str
    text: str
    analysis: FieldAnalysis
    gold: list[tuple[int, int]]  # character spans of the five techniques
    labels: np.ndarray  # 0/1 per token
    weight: float
    group: str
    exhaustive: bool  # every loaded phrase of the text is marked (a span-annotated corpus)


def punkt_texts(records: Sequence[Record]) -> list[str]:
    """Article bodies for Punkt's trainer, one corpus after another by turns (each record once),
    so the first few megabytes hold every corpus."""
    by_corpus: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    for r in records:
        if len(r.body) > 200 and r.body not in seen:
            seen.add(r.body)
            by_corpus[r.corpus].append(r.body)
    queues = [by_corpus[c] for c in sorted(by_corpus)]
    out = []
    for k in range(max(map(len, queues), default=0)):
        out.extend(q[k] for q in queues if k < len(q))
    return out


def _annotated(r: Record) -> bool:
    return r.corpus in ANNOTATED or r.corpus.startswith(OWN)


def _use(r: Record) -> bool:
    if r.spans:
        return True
    return _annotated(r) and r.task == "sensationalism" and r.label == 0


def _token_labels(fa: FieldAnalysis, spans: list[tuple[int, int]]) -> np.ndarray:
    starts = np.asarray(fa.tokens.starts)
    ends = np.asarray(fa.tokens.ends)
    y = np.zeros(len(starts))
    for a, b in spans:
        y[(starts >= a) & (ends <= b)] = 1.0
    return y


def _fields(records: Sequence[Record], lexicon: PhraseLexicon, valence: dict[str, float],
            mask: bool) -> list[_Field]:
    chosen = [r for r in records if _use(r)]
    analyses = analyze_fields([(text, head) for r in chosen
                               for text, head in ((r.headline, True), (r.body, False))],
                              lexicon, valence, mask=mask)
    out = []
    for i, r in enumerate(chosen):
        for name, fa in (("headline", analyses[2 * i]), ("body", analyses[2 * i + 1])):
            text = getattr(r, name)
            if not fa.tokens.words:
                continue
            gold = [(s.start, s.end) for s in r.spans
                    if s.field == name and s.technique in SPAN_TECHNIQUES]
            if _annotated(r):
                gold = [(a, b) for a, b in gold
                        if len(tokenize(text[a:b]).words) <= MAX_ANNOTATED_WORDS]
            labels = _token_labels(fa, gold)
            # an identity term is never the loaded part of a phrase ("radical" in "radical
            # _identity_" is): the masked word is a plain token (hypemeter.analysis.identity)
            labels[np.asarray(fa.tokens.words) == PLACEHOLDER] = 0.0
            weight = 1.0
            out.append(_Field(i, name, text, fa, gold, labels, weight, r.group,
                              bool(r.spans) and not _annotated(r)))
    return out


def _vocabularies(fields: list[_Field], lexicon: PhraseLexicon, valence: dict[str, float]
                  ) -> tuple[dict[str, int], dict[tuple[str, str], int], dict[str, int]]:
    counts: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for f in fields:
        words = f.analysis.tokens.words
        counts.update(words)
        pairs.update(pairwise(words))
    ends: Counter[str] = Counter(w[-k:] for w in counts.elements() for k in SUFFIXES)
    suffixes = {e: k + 1 for k, e in enumerate(sorted(e for e, c in ends.items() if c >= 3))}
    keep = {w for w, c in counts.items() if c >= 2} | set(lexicon.words_)
    keep |= {w for w, v in valence.items() if abs(v) >= 1.0}
    keep |= {w for p in lexicon.phrases_ for w in p}
    vocab = {"": EDGE}
    for w in sorted(keep - {""}):
        vocab[w] = len(vocab) + 1  # 0 is UNKNOWN
    bigrams = {p: k + 1 for k, p in enumerate(sorted(p for p, c in pairs.items() if c >= 3))}
    return vocab, bigrams, suffixes


def _static_matrix(vocab: dict[str, int], lexicon: PhraseLexicon,
                   valence: dict[str, float]) -> np.ndarray:
    S = np.zeros((len(vocab) + 1, len(STATIC_NAMES)))
    for w, k in vocab.items():
        if w:
            S[k] = static_features(w, valence)
    return S


def _design(enc: Encoded, n_vocab: int, n_bigrams: int, n_suffixes: int,
            S: np.ndarray) -> sp.csr_matrix:
    """Columns: word ids per window position, bigram ids left and right, suffix ids, the
    static features per window position, the dense features (the order ``_fold`` reads)."""
    p = enc.pos
    n = len(p)
    cols = [k * n_vocab + enc.ids[p + off] for k, off in enumerate(OFFSETS)]
    base = len(OFFSETS) * n_vocab
    cols.append(base + enc.bigrams[p - 1])
    cols.append(base + n_bigrams + enc.bigrams[p])
    at = base + 2 * n_bigrams
    for k in range(len(SUFFIXES)):
        cols.append(at + k * n_suffixes + enc.suffixes[k, p])
    indices = np.column_stack(cols).ravel()
    onehot = sp.csr_matrix(
        (np.ones(len(indices)), indices, np.arange(0, len(indices) + 1, len(cols))),
        shape=(n, at + len(SUFFIXES) * n_suffixes),
    )
    static = np.hstack([S[enc.ids[p + off]] for off in OFFSETS])
    return sp.hstack([onehot, sp.csr_matrix(static), sp.csr_matrix(enc.dense)], format="csr")


def _fold(coef: np.ndarray, intercept: float, n_vocab: int, n_bigrams: int, n_suffixes: int,
          S: np.ndarray) -> dict[str, Any]:
    base = len(OFFSETS) * n_vocab
    n_static = S.shape[1]
    suffix_at = base + 2 * n_bigrams
    static_at = suffix_at + len(SUFFIXES) * n_suffixes
    tables = np.vstack([
        coef[k * n_vocab:(k + 1) * n_vocab] + S @ coef[static_at + k * n_static:
                                                       static_at + (k + 1) * n_static]
        for k in range(len(OFFSETS))
    ])
    tables[:, UNKNOWN] = coef[[k * n_vocab + UNKNOWN for k in range(len(OFFSETS))]]
    # id 0 (a pair or a suffix seen too rarely to count) is a column of its own in the design,
    # active for most tokens, with its own coefficient: scoring adds it just as fitting did
    # (earlier recipes zeroed it, which lowered every scored logit below the held-out ones the
    # thresholds and the weight calibration were fit on)
    left = coef[base:base + n_bigrams].copy()
    right = coef[base + n_bigrams:base + 2 * n_bigrams].copy()
    suffix_tables = coef[suffix_at:static_at].reshape(len(SUFFIXES), n_suffixes).copy()
    dense = coef[static_at + len(OFFSETS) * n_static:]
    return {"tables": tables, "bigram_left": left, "bigram_right": right,
            "suffix_tables": suffix_tables, "dense_coef": dense, "intercept": float(intercept)}


def _categories(records: Sequence[Record]) -> dict[str, str]:
    """A word's category: the techniques of the gold spans it sits in, each span sharing one
    vote among its words; name calling only when most of the word's votes say so."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for r in records:
        for s in r.spans:
            cat = CATEGORY_OF.get(s.technique)
            if cat is None:
                continue
            words = tokenize(getattr(r, s.field)[s.start:s.end]).words
            for w in words:
                votes[w][cat] += 1.0 / len(words)
    out = {}
    for w, c in votes.items():
        cat, v = c.most_common(1)[0]
        if v >= 1.0 and (cat != "name_calling" or v >= 0.5 * sum(c.values())):
            out[w] = cat
    return out


def fit_span_model(lexicon: PhraseLexicon, valence: dict[str, float],
                   splitter: SentenceSplitter, records: Sequence[Record], *, seed: int = 0,
                   folds: int = 5, C: float = 1.0, edge_ratio: float = EDGE_RATIO,
                   mask: bool = True) -> SpanModel:
    """Fit the span model on ``records``, analysed with the model's ``lexicon``, ``valence``
    and identity ``mask`` (``HypeModel.identity_mask``); ``splitter`` cuts the sentences the
    sentence score learns on."""
    fields = _fields(records, lexicon, valence, mask)
    if not any(f.labels.any() for f in fields):
        raise ValueError("the span model needs span-labelled records")
    vocab, bigram_vocab, suffix_vocab = _vocabularies(fields, lexicon, valence)
    n_vocab, n_bigrams, n_suffixes = len(vocab) + 1, len(bigram_vocab) + 1, len(suffix_vocab) + 1
    S = _static_matrix(vocab, lexicon, valence)
    strong = S[:, STATIC_NAMES.index("strong_valence")].copy()
    triples = [(f.analysis, f.text, f.name == "headline") for f in fields]
    enc = encode(vocab, bigram_vocab, suffix_vocab, strong, triples)
    X = _design(enc, n_vocab, n_bigrams, n_suffixes, S)
    y = np.concatenate([f.labels for f in fields])
    w = np.concatenate([np.full(len(f.labels), f.weight) for f in fields])
    groups = np.concatenate([np.full(len(f.labels), f.group, dtype=object) for f in fields])

    def lr() -> LogisticRegression:
        return LogisticRegression(C=C, solver=SOLVER, max_iter=300, random_state=seed)

    oof = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=folds).split(X, y, groups):
        m = lr().fit(X[tr], y[tr], sample_weight=w[tr])
        oof[te] = m.predict_proba(X[te])[:, 1]
    final = lr().fit(X, y, sample_weight=w)

    # the decoding thresholds, then the weight calibration, on the held-out probabilities
    f1, threshold, low = tune_decoding(fields, oof, enc, edge_ratio)
    _, raw, _, matched, full = span_rows(fields, oof, enc, threshold, low, edge_ratio)
    calib_coef, calib_intercept, calib_figures = fit_weight_calibration(raw, matched, full, seed)
    sentence_coef, sentence_intercept, sentence_ece = _fit_sentences(
        fields, triples, oof, enc.bounds, splitter, threshold, seed)
    metrics = {
        "held_out_folds": folds,
        "oof_span_f1": round(f1, 4),
        "threshold": round(threshold, 4),
        "low_threshold": round(low, 4),
        "edge_ratio": edge_ratio,
        **calib_figures,
        "oof_sentence_ece": round(sentence_ece, 4),
        "tokens": len(y),
        "vocabulary": len(vocab),
        "bigrams": len(bigram_vocab),
    }
    span_model = SpanModel(
        vocab=vocab, bigram_vocab=bigram_vocab, suffix_vocab=suffix_vocab,
        **_fold(final.coef_[0], final.intercept_[0], n_vocab, n_bigrams, n_suffixes, S),
        strong=strong, threshold=threshold, low=low, edge_ratio=edge_ratio,
        calib_coef=calib_coef, calib_intercept=calib_intercept,
        categories=_categories(records), sentence_coef=sentence_coef,
        sentence_intercept=sentence_intercept, metrics=metrics,
    )
    # scoring reads the folded tables: they must give the fitted classifier's probabilities
    folded = token_proba(span_model, encode_fast(span_model, triples))
    span_model.metrics["folding_error"] = float(
        np.abs(folded - final.predict_proba(X)[:, 1]).max()) if len(y) else 0.0
    return span_model


def _fit_sentences(fields: list[_Field], triples: list[tuple[FieldAnalysis, str, bool]],
                   proba: np.ndarray, bounds: list[int], splitter: SentenceSplitter,
                   threshold: float, seed: int) -> tuple[np.ndarray, float, float]:
    """Sentence score: P(a sentence holds wording of the five techniques), a logistic
    regression on held-out token probabilities."""
    sents = [splitter.spans(f.text) for f in fields]
    X = batch_sentence_features(proba, bounds, triples, sents, threshold)
    y = np.asarray([float(any(a < e and b > s for a, b in f.gold))
                    for f, spans in zip(fields, sents, strict=True) for s, e in spans])
    m = LogisticRegression(C=1.0, max_iter=1000, random_state=seed).fit(X, y)
    return m.coef_[0], float(m.intercept_[0]), ece(m.predict_proba(X)[:, 1], y)
