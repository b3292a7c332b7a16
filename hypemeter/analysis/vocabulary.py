"""The lexicon's fixed vocabulary: span techniques and their categories, the hand-written
urgency and clickbait formulas, phrase breaks, stop words and the words that extend a phrase.

Shared by fitting (:mod:`hypemeter.analysis.lexicon_fit`), matching
(:mod:`hypemeter.analysis.lexicon`) and the span model (:mod:`hypemeter.spans`).
"""

from __future__ import annotations

from hypemeter.analysis.identity import PLACEHOLDER
from hypemeter.analysis.stopwords import ENGLISH_STOP_WORDS

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
