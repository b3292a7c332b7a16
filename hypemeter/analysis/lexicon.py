"""A phrase lexicon learned from span-labelled text, used for features and explanations.

Single words get a probability of sitting inside a loaded/exaggerated/fear-appeal span, from a
token-level logistic regression trained on the Propaganda Techniques Corpus spans, the HYPO
hyperbole/paraphrase pairs and the project's own annotated sample; VADER valence and word shape
let it generalise to words the spans never contained. Multi-word phrases come from repeated
short gold spans, the sample's annotations, the clickbait model's strongest n-grams and the
product vocabulary (:data:`SEED_PHRASES`, urgency and clickbait formulas). The lexicon feeds the
style features; the explanation spans come from :mod:`hypemeter.spans.model`. Matching is one pass
over a field's tokens.
"""

from __future__ import annotations

import operator
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from itertools import compress, count, islice, zip_longest
from typing import Any, NamedTuple

import numpy as np

from hypemeter.analysis.identity import PLACEHOLDER
from hypemeter.analysis.stopwords import ENGLISH_STOP_WORDS
from hypemeter.records.results import NOT_LOADED, Record
from hypemeter.text.tokens import INTENSIFIERS, Tokens, is_superlative, tokenize
from hypemeter.text.views import holds_any

TECHNIQUE_CATEGORY: dict[str, str] = {
    "Loaded_Language": "loaded_language",
    "Exaggeration,Minimisation": "exaggeration",
    "Appeal_to_fear-prejudice": "fear_appeal",
    "Name_Calling,Labeling": "name_calling",
    "Slogans": "slogan",
    "Flag-Waving": "loaded_language",
    "Doubt": "doubt",
}
# Techniques whose words count as "loaded" for the token model.
LOADED_TECHNIQUES = frozenset(
    {"Loaded_Language", "Exaggeration,Minimisation", "Appeal_to_fear-prejudice",
     "Name_Calling,Labeling"}
)
# The product vocabulary: urgency formulas and clickbait teasers that the design asks the page
# to point at and that no training corpus annotates (the propaganda corpus marks none of them).
# Hand-written, and the only hand-written phrases: loaded language, exaggeration, fear and
# name calling are learned from annotated corpora (hypemeter.spans.model). No phrase here is taken
# from an article the project is checked on.
SEED_PHRASES: dict[str, str] = {
    "now or never": "urgency",
    "act now": "urgency",
    "before it's too late": "urgency",
    "time is running out": "urgency",
    "last chance": "urgency",
    "don't wait": "urgency",
    "breaking": "urgency",
    "you won't believe": "clickbait",
    "what happened next": "clickbait",
    "will blow your mind": "clickbait",
    "you need to know": "clickbait",
}
# Characters that end a sentence or clause: a phrase's words never span one.
PHRASE_BREAKS = frozenset(".!?;:\n\r\u2026\u2028\u2029")
# (the identity placeholder is one: an identity term alone is never a loaded phrase, and a
# loaded word does not take it along; see hypemeter.analysis.identity)
STOPWORDS = frozenset(ENGLISH_STOP_WORDS) | {"s", "t", "it's", "i'm", "don't", "mr", "ms", "mrs",
                                              PLACEHOLDER}
# Stop words after which a phrase goes on (span ends complete it, hypemeter.spans.decoding):
# a determiner or possessive opens its noun ("breaking the internet"), an object pronoun closes
# it ("losing it"). PHRASE_MARKS: bit 1 opens, bit 2 closes ("her" does both).
DETERMINERS = frozenset({"the", "a", "an", "his", "her", "its", "their", "our", "my", "your"})
OBJECT_PRONOUNS = frozenset({"it", "them", "him", "her", "us", "me"})
PHRASE_MARKS = {w: (w in DETERMINERS) + 2 * (w in OBJECT_PRONOUNS)
                for w in DETERMINERS | OBJECT_PRONOUNS}


# Attributes _index() derives; they are rebuilt on load, not pickled.
HYPO = "hypo_troiano2018"
# Corpora whose span labels are annotated phrases written by the project or a user (often whole
# clauses): they become lexicon phrases, not token labels for the word model.
ANNOTATED_CORPORA = frozenset({"sample"})
OWN = "own:"
# ... and label tokens only through their short phrases (a loaded word and its noun): a whole
# annotated clause would teach the word model that "town" or "council" is loaded.
MAX_TOKEN_SPAN = 3
_DERIVED = frozenset({"phrase_heads_", "phrase_starts_", "entry_words_", "single_entries_",
                      "_word_table"})
# What only fitting reads (scikit-learn objects): not pickled, so a bundle holds none of them
_FIT_ONLY = frozenset({"vectorizer_", "token_model_"})


class Match(NamedTuple):
    """Tokens ``[first, last]`` of a field matched a lexicon entry. (A named tuple: matching
    makes tens per field, and :mod:`hypemeter.analysis.matching` builds them as tuples, much
    cheaper than a dataclass's ``__init__``.)"""

    first: int
    last: int
    category: str
    weight: float


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


class PhraseLexicon:
    """Learned word and phrase weights with categories (scikit-learn style estimator)."""

    def __init__(self, min_count: int = 3, min_weight: float = 0.75, max_phrase_len: int = 5,
                 C: float = 0.5) -> None:
        self.min_count = min_count
        self.min_weight = min_weight
        self.max_phrase_len = max_phrase_len
        self.C = C

    # ------------------------------------------------------------------ fitting
    def fit(self, records: Sequence[Record], valence: dict[str, float]) -> PhraseLexicon:
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

    def add_phrases(self, phrases: dict[tuple[str, ...], tuple[str, float]]) -> None:
        """Add phrases found elsewhere (e.g. the clickbait model's strongest n-grams)."""
        rejected = getattr(self, "rejected_", frozenset())
        for words, entry in phrases.items():
            if words not in rejected:
                self.phrases_.setdefault(words, entry)
        self._index()

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in _DERIVED | _FIT_ONLY}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({k: v for k, v in state.items() if k not in _DERIVED})
        if "phrases_" in self.__dict__:
            self._index()

    def _index(self) -> None:
        """Lookup tables derived from ``words_`` and ``phrases_`` (rebuilt on unpickling)."""
        by_head: dict[tuple[str, str], set[int]] = defaultdict(set)
        for p in self.phrases_:
            if len(p) >= 2:
                by_head[p[0], p[1]].add(len(p))
        # for each first two words, the phrase lengths to try, longest first
        self.phrase_heads_ = {h: sorted(ls, reverse=True) for h, ls in by_head.items()}
        self.phrase_starts_ = frozenset(p[0] for p in self.phrases_)
        self.entry_words_ = frozenset(self.words_) | self.phrase_starts_
        # What one word matches on its own: a one-word phrase, else a loaded word (which may
        # take the next word along, the ``True``).
        singles: dict[str, tuple[str, float, bool]] = {
            w: (category, weight, True) for w, (category, weight) in self.words_.items()
        }
        for p, (category, weight) in self.phrases_.items():
            if len(p) == 1:
                singles[p[0]] = (category, weight, False)
        self.single_entries_ = singles
        # hypemeter.analysis.word_table: built on these entries
        self.__dict__.pop("_word_table", None)

    # ------------------------------------------------------------------ matching
    def match(self, toks: Tokens, counts: Counter[str] | None = None) -> list[Match]:
        """Non-overlapping matches, longest phrase first, in text order, of one field (the
        reference: a batch of fields is matched by :mod:`hypemeter.analysis.matching`, which
        must give the same).

        A loaded single word followed directly (whitespace only) by a content word takes that
        word along, so "deadly weapon" is reported rather than "deadly".
        (``counts``, the field's word counts, is no longer needed and is ignored.)
        """
        words = toks.words
        n = len(words)
        entries = self.entry_words_
        heads = self.phrase_heads_
        singles = self.single_entries_
        out: list[Match] = []
        taken_until = 0
        for i in self._starts(words):
            if i < taken_until:
                continue
            word = words[i]
            lengths = heads.get((word, words[i + 1])) if i + 1 < n else None
            if lengths is not None:
                found = self._phrase_at(words, toks.seps, i, lengths)
                if found is not None:
                    length, (category, weight) = found
                    out.append(Match(i, i + length - 1, category, weight))
                    taken_until = i + length
                    continue
            single = singles.get(word)
            if single is None:
                continue
            category, weight, extends = single
            last = i
            if extends:
                nxt = i + 1
                if (
                    nxt < n
                    and words[nxt] not in STOPWORDS
                    and words[nxt] not in entries
                    and words[nxt].isalpha()
                    and toks.seps[i].isspace()
                ):
                    last = nxt
            out.append(Match(i, last, category, weight))
            taken_until = last + 1
        return out

    def _starts(self, words: list[str]) -> list[int]:
        """Positions where a match can begin: a word that matches on its own, or a word and
        its successor that begin a phrase.

        Common words ("the", "in") begin some phrase, so testing every phrase start in Python
        would visit ~40% of the tokens; these two lookups per token run in C (zip, map and
        compress) and leave only the few real starts for the Python loop in ``match``.
        """
        # the last word pairs with "", which no phrase contains
        nexts = zip_longest(words, islice(words, 1, None), fillvalue="")
        pairs = map(self.phrase_heads_.__contains__, nexts)
        alone = map(self.single_entries_.__contains__, words)
        return list(compress(count(), map(operator.or_, alone, pairs)))

    def _phrase_at(
        self, words: list[str], seps: Sequence[str], i: int, lengths: list[int]
    ) -> tuple[int, tuple[str, float]] | None:
        """The longest multi-word phrase starting at token ``i`` (lengths longest first) that
        does not run across a sentence or clause break ("act. Now" is not "act now")."""
        n = len(words)
        for length in lengths:
            if i + length <= n:
                entry = self.phrases_.get(tuple(words[i:i + length]))
                if entry is not None and not holds_any(seps, i, i + length - 1,
                                                       PHRASE_BREAKS):
                    return length, entry
        return None
