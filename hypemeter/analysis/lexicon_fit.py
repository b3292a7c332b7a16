"""Fitting a :class:`~hypemeter.analysis.lexicon.PhraseLexicon` (mixed in as its ``fit``).

A token-level logistic regression on word shape and valence, trained on the span-labelled
corpora, weighs single words; repeated short gold spans, annotated phrases and the hand-written
formulas become phrases; phrases people marked "not loaded" are dropped.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Self

import numpy as np

from hypemeter.analysis.vocabulary import (
    LOADED_TECHNIQUES,
    SEED_PHRASES,
    STOPWORDS,
    TECHNIQUE_CATEGORY,
)
from hypemeter.records.results import NOT_LOADED, Record
from hypemeter.text.tokens import INTENSIFIERS, Tokens, is_superlative, tokenize

HYPO = "hypo_troiano2018"
# Corpora whose span labels are annotated phrases written by the project or a user (often whole
# clauses): they become lexicon phrases, not token labels for the word model.
ANNOTATED_CORPORA = frozenset({"sample"})
OWN = "own:"
# ... and label tokens only through their short phrases (a loaded word and its noun): a whole
# annotated clause would teach the word model that "town" or "council" is loaded.
MAX_TOKEN_SPAN = 3


def _words(text: str, span: Any) -> int:
    return len(tokenize(text[span.start:span.end]).words)


def _annotated(rec: Record) -> bool:
    return rec.corpus in ANNOTATED_CORPORA or rec.corpus.startswith(OWN)


def _word_shape_features(word: str, valence: dict[str, float]) -> dict[str, float]:
    v = valence.get(word, 0.0)
    feats: dict[str, float] = {
        f"w={word}": 1.0,
        f"suf={word[-3:]}": 1.0,
        "abs_valence": abs(v) / 4.0,
        "neg_valence": 1.0 if v < -1.0 else 0.0,
        "strong_valence": 1.0 if abs(v) >= 2.0 else 0.0,
        "stop": 1.0 if word in STOPWORDS else 0.0,
        "long": 1.0 if len(word) >= 8 else 0.0,
    }
    if is_superlative(word):
        feats["superlative"] = 1.0
    if word in INTENSIFIERS:
        feats["intensifier"] = 1.0
    if word.isdigit():
        feats["digit"] = 1.0
    return feats


class LexiconFitting:
    """The lexicon's ``fit`` and what only fitting uses (scikit-learn's estimator
    conventions: ``fit`` returns self, fitted attributes end in ``_``)."""

    min_count: int
    min_weight: float
    max_phrase_len: int
    C: float
    words_: dict[str, tuple[str, float]]
    phrases_: dict[tuple[str, ...], tuple[str, float]]

    def _index(self) -> None:  # provided by PhraseLexicon
        raise NotImplementedError

    def fit(self, records: Sequence[Record], valence: dict[str, float]) -> Self:
        tokens_x: list[dict[str, float]] = []
        tokens_y: list[int] = []
        word_category: dict[str, Counter[str]] = defaultdict(Counter)  # fractional votes
        word_count: Counter[str] = Counter()
        phrase_category: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        # HYPO: a hyperbole's own words are the ones its literal paraphrase (same group) drops
        literal: dict[str, set[str]] = defaultdict(set)
        for rec in records:
            if rec.corpus == HYPO and rec.body and not rec.label:
                literal[rec.group].update(tokenize(rec.body).words)
        # Annotated phrases (the sample's, a user's: often whole clauses) become phrases below;
        # they label tokens only when no span-labelled public corpus is there to learn from.
        external = any(rec.spans and not _annotated(rec) for rec in records) or any(
            rec.corpus == HYPO for rec in records)
        for rec in records:
            if rec.spans:
                for field_name in ("headline", "body"):
                    text = getattr(rec, field_name)
                    spans = [s for s in rec.spans if s.field == field_name and not (
                        external and _annotated(rec) and _words(text, s) > MAX_TOKEN_SPAN)]
                    if not text:
                        continue
                    toks = tokenize(text)
                    labels = self._token_labels(toks, spans)
                    # a text with only "not loaded" verdicts (a correction) says nothing about
                    # its other words: only the rejected phrase's words are examples
                    only_rejected = all(s.technique == NOT_LOADED for s in rec.spans)
                    for word, technique in zip(toks.words, labels, strict=True):
                        if only_rejected and technique != NOT_LOADED:
                            continue
                        tokens_x.append(_word_shape_features(word, valence))
                        tokens_y.append(technique is not None and technique in LOADED_TECHNIQUES)
                        word_count[word] += 1
                    for span in spans:
                        if span.technique not in TECHNIQUE_CATEGORY:
                            continue
                        category = TECHNIQUE_CATEGORY[span.technique]
                        words = tuple(tokenize(text[span.start:span.end]).words)
                        # A word's category: votes from the spans it sits in, each span
                        # sharing one vote among its words: the loaded word of a short span
                        # counts, not every word of a long name-calling clause ("donation").
                        for word in words:
                            word_category[word][category] += 1.0 / len(words)
                        if 2 <= len(words) <= self.max_phrase_len:
                            phrase_category[words][category] += 1
            elif rec.corpus == HYPO and rec.body:
                # HYPO: in a hyperbolic sentence, the words its literal paraphrase does not use
                # are "exaggeration"; shared words ("town", "queue") and literal sentences not.
                plain = literal.get(rec.group, set())
                for word in tokenize(rec.body).words:
                    loaded = bool(rec.label) and word not in STOPWORDS and word not in plain
                    tokens_x.append(_word_shape_features(word, valence))
                    tokens_y.append(loaded)
                    word_count[word] += 1
                    if loaded:
                        word_category[word]["exaggeration"] += 1
        if not tokens_x or len(set(tokens_y)) < 2:
            raise ValueError("PhraseLexicon needs span-labelled records of both kinds")
        from sklearn.feature_extraction import DictVectorizer  # fitting only
        from sklearn.linear_model import LogisticRegression

        self.vectorizer_ = DictVectorizer()
        X = self.vectorizer_.fit_transform(tokens_x)
        self.token_model_ = LogisticRegression(C=self.C, max_iter=2000)
        self.token_model_.fit(X, np.asarray(tokens_y, dtype=int))
        self.base_rate_ = float(np.mean(tokens_y))

        vocabulary = {w for w, c in word_count.items() if c >= self.min_count}
        vocabulary |= {w for w, v in valence.items() if abs(v) >= 1.5 and w.isalpha()}
        vocabulary -= STOPWORDS
        vocab = sorted(vocabulary)
        probs = self.token_model_.predict_proba(
            self.vectorizer_.transform([_word_shape_features(w, valence) for w in vocab])
        )[:, 1]
        self.words_: dict[str, tuple[str, float]] = {}
        for word, p in zip(vocab, probs, strict=True):
            # p / (p + base rate): 0.5 means "as likely in a loaded span as any word", 0.75 three
            # times as likely; loaded spans are rare, so raw probabilities are all small.
            weight = float(p / (p + self.base_rate_))
            if weight < self.min_weight or "'" in word or not word.isalpha():
                continue
            category = self._category(word, word_category.get(word), valence)
            self.words_[word] = (category, round(weight, 4))

        self.phrases_: dict[tuple[str, ...], tuple[str, float]] = {}
        for words, cats in phrase_category.items():
            total = sum(cats.values())
            if total >= self.min_count:
                category, _ = cats.most_common(1)[0]
                self.phrases_[words] = (category, round(min(1.0, 0.5 + 0.1 * total), 4))
        votes: Counter[tuple[str, ...]] = Counter()  # annotated "loaded" minus "not loaded"
        for rec in records:
            if _annotated(rec):
                for span in rec.spans:
                    text = getattr(rec, span.field)[span.start:span.end]
                    words = tuple(tokenize(text).words)
                    votes[words] += -1 if span.technique == NOT_LOADED else 1
                    if span.technique == NOT_LOADED:
                        continue
                    if 1 <= len(words) <= self.max_phrase_len and words not in self.phrases_:
                        category = span.category or self._phrase_category(words, valence)
                        self.phrases_[words] = (category, 0.6)
        for phrase, category in SEED_PHRASES.items():
            self.phrases_[tuple(tokenize(phrase).words)] = (category, 0.8)
        self._reject({words for words, v in votes.items() if v < 0 and words})
        self._index()
        return self

    @staticmethod
    def _token_labels(toks: Tokens, spans: Iterable) -> list[str | None]:
        labels: list[str | None] = [None] * len(toks.words)
        for span in spans:
            for i, (s, e) in enumerate(zip(toks.starts, toks.ends, strict=True)):
                if s >= span.start and e <= span.end and (
                    labels[i] is None or span.technique in LOADED_TECHNIQUES
                ):
                    labels[i] = span.technique
        return labels

    @staticmethod
    def _category(word: str, cats: Counter[str] | None, valence: dict[str, float]) -> str:
        if cats:
            category, votes = cats.most_common(1)[0]
            # At least one short span's worth (a stray word of long spans is placed by its
            # shape and valence below). Name-calling labels people: a word that is inside
            # such labels less than half the time ("death", "notorious") is not one itself.
            if votes >= 1.0 and (
                category != "name_calling" or votes >= 0.5 * sum(cats.values())
            ):
                return category
        if is_superlative(word) or word in INTENSIFIERS:
            return "exaggeration"
        if valence.get(word, 0.0) <= -2.0:
            return "fear_appeal"
        return "loaded_language"

    def _phrase_category(self, words: tuple[str, ...], valence: dict[str, float]) -> str:
        for phrase, category in SEED_PHRASES.items():
            if " ".join(words).find(phrase) >= 0:
                return category
        cats = Counter(self.words_[w][0] for w in words if w in self.words_)
        if cats:
            return cats.most_common(1)[0][0]
        return self._category(words[-1], None, valence)

    def _reject(self, rejected: set[tuple[str, ...]]) -> None:
        """Drop what people marked "not loaded" more often than "loaded": the phrase entry,
        and the loaded word that produced the match they saw (a word alone, or a word and the
        word it took along). Rejected phrases are never added back by :meth:`add_phrases`."""
        self.rejected_ = frozenset(rejected)
        for words in rejected:
            was_phrase = self.phrases_.pop(words, None) is not None
            if len(words) == 1 or (len(words) == 2 and not was_phrase):
                self.words_.pop(words[0], None)
