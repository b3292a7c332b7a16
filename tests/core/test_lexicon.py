"""The phrase lexicon learns which words are loaded from span labels, not from topic words
that happen to sit inside a loaded sentence or a long annotated clause."""

from __future__ import annotations

import numpy as np

from hypemeter.analysis.features import vader_valence
from hypemeter.analysis.lexicon import PhraseLexicon
from hypemeter.analysis.lexicon_fit import _word_shape_features
from hypemeter.records.results import GoldSpan, Record

# (hyperbole, literal paraphrase, literal sentence with the same key word): the topic word
# "harbour" is in all three; only the exaggerating words are the hyperbole's own.
TRIPLES = [
    ("the harbour queue stretched for a million miles", "the harbour queue was long",
     "we walked along the harbour"),
    ("the harbour was colder than the arctic", "the harbour was cold",
     "boats left the harbour early"),
    ("the harbour noise was deafening beyond belief", "the harbour was noisy",
     "the harbour opens at six"),
    ("a thousand gulls screamed over the harbour forever", "many gulls called over the harbour",
     "gulls nest near the harbour"),
]
LOADED_SENTENCES = [
    ("The corrupt regime crushed the brave marchers", ["corrupt", "crushed"]),
    ("A vicious mob stormed the peaceful square", ["vicious", "stormed"]),
    ("The disgraceful cover-up shocked voters", ["disgraceful", "shocked"]),
    ("Officials opened the new library on Monday", []),
    ("The ferry timetable changes in June", []),
    ("The committee met to discuss the budget", []),
]


def _records() -> list[Record]:
    out: list[Record] = []
    for k, (hyper, para, literal) in enumerate(TRIPLES):
        for kind, text, label in (("h", hyper, 1), ("p", para, 0), ("m", literal, 0)):
            out.append(Record(f"hypo:{k}:{kind}", "", text, "sensationalism", label,
                              "hypo", f"hypo:{k}", "hypo_troiano2018", kind="sentence"))
    for k, (text, loaded) in enumerate(LOADED_SENTENCES):
        spans = [GoldSpan("body", text.index(w), text.index(w) + len(w), "Loaded_Language")
                 for w in loaded]
        out.append(Record(f"ptc:{k}", "", text, "spans", int(bool(loaded)), "ptc",
                          f"ptc:{k}", "ptc_semeval2020", spans=spans))
    # the project's own annotation: a whole clause around the topic word, and a short phrase
    clause = "It will rip the heart out of this harbour town"
    text = f"{clause}, locals said. The plan is a reckless gamble."
    spans = [GoldSpan("body", 0, len(clause), "Loaded_Language"),
             GoldSpan("body", text.index("reckless"), text.index("reckless") + 8,
                      "Loaded_Language")]
    out.append(Record("sample:1", "Harbour plan", text, "sensationalism", 1, "Sample Post",
                      "sample:Sample Post", "sample", spans=spans))
    return out


def _p(lex: PhraseLexicon, word: str, valence: dict[str, float]) -> float:
    X = lex.vectorizer_.transform([_word_shape_features(word, valence)])
    return float(lex.token_model_.predict_proba(X)[0, 1])


def test_topic_words_are_not_learned_as_loaded() -> None:
    valence = vader_valence()
    lex = PhraseLexicon(min_count=1, C=10.0).fit(_records(), valence)
    # HYPO: "harbour" is in every hyperbole, but its paraphrase keeps it; "million" is the
    # hyperbole's own word
    assert _p(lex, "million", valence) > _p(lex, "harbour", valence)
    assert _p(lex, "harbour", valence) < lex.base_rate_
    assert "harbour" not in lex.words_ and "town" not in lex.words_
    # a short annotated phrase still teaches its word; the long clause is kept as no token label
    assert _p(lex, "reckless", valence) > lex.base_rate_
    assert np.isfinite(_p(lex, "corrupt", valence))


def test_word_category_comes_from_short_spans_not_long_clauses() -> None:
    """A word inside two long name-calling clauses and one short loaded-language span is
    loaded language: each span shares one vote among its words. Counting every word of a
    clause as a full vote made it name-calling (and stray clause words like "translators"
    name-calling in the default model)."""
    valence = vader_valence()
    clause = "the vicious paid agitators of the harbour board"
    records = [
        Record(f"ptc:c{k}", "", f"Residents said {clause} lied again.", "spans", 1, "ptc",
               f"ptc:c{k}", "ptc_semeval2020",
               spans=[GoldSpan("body", 14, 14 + len(clause), "Name_Calling,Labeling")])
        for k in range(2)
    ]
    text = "A vicious storm hit the coast"
    records.append(Record("ptc:s", "", text, "spans", 1, "ptc", "ptc:s", "ptc_semeval2020",
                          spans=[GoldSpan("body", 2, 9, "Loaded_Language")]))
    for k, (plain, _) in enumerate(LOADED_SENTENCES[3:]):
        records.append(Record(f"ptc:p{k}", "", plain, "spans", 0, "ptc", f"ptc:p{k}",
                              "ptc_semeval2020"))
    lex = PhraseLexicon(min_count=1, min_weight=0.5, C=10.0).fit(records, valence)
    assert "vicious" in lex.words_
    assert lex.words_["vicious"][0] == "loaded_language"


def test_phrases_do_not_run_across_sentence_breaks() -> None:
    """"act. Now" is two sentences, not the urgency formula "act now"; a comma or a quote
    inside a phrase is still the phrase."""
    from hypemeter.text.tokens import tokenize

    lex = PhraseLexicon()
    lex.words_ = {}
    lex.phrases_ = {("act", "now"): ("urgency", 0.8), ("now", "or", "never"): ("urgency", 0.8)}
    lex._index()

    def found(text: str) -> list[str]:
        toks = tokenize(text)
        return [" ".join(toks.words[m.first:m.last + 1]) for m in lex.match(toks)]

    assert found("The council did not act. Now the town is recovering.") == []
    assert found("They did not act; now it is late") == []
    assert found("Now or\nnever") == []
    assert found("Residents must act now.") == ["act now"]
    assert found('It is "now, or never" for the town') == ["now or never"]


def test_a_word_is_name_calling_only_when_mostly_used_so() -> None:
    from collections import Counter

    valence = {"death": -2.9}
    # the default corpora's votes for "death" (PTC: "culture of death" and the like)
    mixed = Counter({"name_calling": 7.5, "loaded_language": 4.6, "slogan": 1.6,
                     "fear_appeal": 1.4, "exaggeration": 1.0})
    assert PhraseLexicon._category("death", mixed, valence) == "fear_appeal"
    mostly = Counter({"name_calling": 3.7, "loaded_language": 0.3})
    assert PhraseLexicon._category("leftist", mostly, {}) == "name_calling"
