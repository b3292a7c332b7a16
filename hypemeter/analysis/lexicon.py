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
from collections.abc import Sequence
from itertools import compress, count, islice, zip_longest
from typing import Any, NamedTuple

from hypemeter.analysis.lexicon_fit import LexiconFitting
from hypemeter.analysis.vocabulary import PHRASE_BREAKS, STOPWORDS
from hypemeter.text.tokens import Tokens
from hypemeter.text.views import holds_any

# Attributes _index() derives; they are rebuilt on load, not pickled.
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


class PhraseLexicon(LexiconFitting):
    """Learned word and phrase weights with categories (scikit-learn style estimator)."""

    def __init__(self, min_count: int = 3, min_weight: float = 0.75, max_phrase_len: int = 5,
                 C: float = 0.5) -> None:
        self.min_count = min_count
        self.min_weight = min_weight
        self.max_phrase_len = max_phrase_len
        self.C = C

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
