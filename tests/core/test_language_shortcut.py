"""Plainly English text is decided without the language model (issue 21): fastText is not
called for it when English is a supported language; text in other languages, text mixing
English with another language and English text with accents still go through the model and
are decided (and refused) as before."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.benchmarks import load_make_articles

from hypemeter.language import UNDETERMINED, LanguageGate, detect
from hypemeter.language import detector as lang
from hypemeter.paths import REPO_ROOT
from hypemeter.records.results import Article

ITEMS = [json.loads(line) for line in
         (REPO_ROOT / "tests" / "fixtures" / "languages.jsonl").read_text("utf-8").splitlines()]
BY_ID = {it["id"]: it for it in ITEMS}
LONG_FOREIGN = [it for it in ITEMS if it["language"] != "en"
                and len(f"{it['headline']}\n{it['body']}") > 200]
ARTICLES = [Article(r["headline"], r["body"], r["id"])
            for r in load_make_articles().generate(40, seed=5)]
ENGLISH_LEAD = ("The council approved the budget on Tuesday after a long debate. The plan sets "
                "aside money for school repairs and the heating network, and the opposition said "
                "it was far too little for a city of this size. ")
ENGLISH_TEXT = " ".join(f"{it['headline']}. {it['body']}" for it in ITEMS if it["language"] == "en")
DUTCH = f"{BY_ID['nl-sensational-2']['headline']} {BY_ID['nl-sensational-2']['body']}"

# English and another language, sentence by sentence (written for this test)
INTERLEAVED = {
    "nl": ("The council approved the budget on Tuesday after a long debate. De gemeenteraad "
           "keurde dinsdag na een lang debat de begroting goed. The plan sets aside money for "
           "school repairs and the heating network. Het plan trekt geld uit voor schoolherstel "
           "en het warmtenet. The opposition said it was far too little."),
    "af": ("The council approved the budget on Tuesday after a long debate. Die raad het die "
           "begroting op Dinsdag na 'n lang debat goedgekeur. The plan sets aside money for "
           "school repairs and the heating network. Die plan sit geld opsy vir "
           "skoolherstelwerk en die verhittingsnetwerk. The opposition said it was far too little "
           "for the city."),
    "eu": ("The council approved the budget on Tuesday after a long debate. Udalak aurrekontua "
           "onartu zuen asteartean eztabaida luze baten ondoren. The plan sets aside money for "
           "school repairs and the heating network. Planak dirua gordetzen du eskolak "
           "konpontzeko eta berogailu sarerako. The opposition said it was far too little."),
    "pt": ("The council approved the budget on Tuesday after a long debate. A camara aprovou o "
           "orcamento na terca-feira depois de um longo debate. The plan sets aside money for "
           "school repairs and the heating network. O plano reserva dinheiro para obras nas "
           "escolas e na rede de aquecimento."),
}
# Hungarian without its accents: the article "a" is an English word too
HUNGARIAN_FOLDED = ("a varos a tanacs a hetfoi ulesen a koltsegvetest a vita utan elfogadta a "
                    "terv a iskolak a felujitasara a penzt a halozat a futesre a ellenzek a "
                    "keves a varosnak a lakosok a hivatal a hetvegen a jovo a heten a muzeum")


class _Spy:
    """The real model, counting the texts it is asked about."""

    def __init__(self) -> None:
        self.model = lang._model()
        self.calls = 0

    def detect(self, text: str, **kw: Any) -> Any:
        self.calls += 1
        return self.model.detect(text, **kw)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> _Spy:
    s = _Spy()
    monkeypatch.setattr(lang, "_model", lambda: s)
    return s


@pytest.fixture
def no_shortcut(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule before issue 21: every text goes to the model."""
    monkeypatch.setattr(lang, "plainly_english", lambda text: False)


def _decide_all(texts: list[tuple[str, str]], supported: tuple[str, ...] = ("en",)) -> list[str]:
    return [detect(h, b, supported) for h, b in texts]


def test_plainly_english_articles_are_english_without_the_model(spy: _Spy) -> None:
    gate = LanguageGate(("en",))
    decisions = [gate.decide(a) for a in ARTICLES]
    assert all(d.language == "en" and d.scored for d in decisions)
    # the model was asked only about the few articles that are not plainly English
    assert spy.calls <= 0.2 * len(ARTICLES)
    assert spy.calls == sum(not lang.plainly_english(lang._prepare(a.headline, a.body))
                            for a in ARTICLES)
    spy.calls = 0
    sensational = BY_ID["en-sensational-1"]
    assert detect(sensational["headline"], sensational["body"]) == "en"
    assert spy.calls == 0


def test_the_model_would_have_said_english_too(no_shortcut: None) -> None:
    """On the same articles the model's own rule gives the same languages."""
    codes = [detect(a.headline, a.body) for a in ARTICLES]
    assert set(codes) == {"en"}


def test_without_english_among_the_supported_languages_the_model_decides(spy: _Spy) -> None:
    article = ARTICLES[0]
    assert detect(article.headline, article.body, ("fr",)) == "en"
    assert spy.calls == 1


@pytest.mark.parametrize("item", LONG_FOREIGN, ids=lambda it: it["id"])
def test_other_languages_go_to_the_model_and_are_refused(spy: _Spy, item: dict[str, str]) -> None:
    decision = LanguageGate(("en",)).decide(Article(item["headline"], item["body"], item["id"]))
    assert spy.calls == 1
    assert decision.language == item["language"] and not decision.scored


@pytest.mark.parametrize(("text", "expected"), [
    *[(text, code if code == "nl" else UNDETERMINED) for code, text in INTERLEAVED.items()],
    (HUNGARIAN_FOLDED, "hu"),
    # two thirds English, then Dutch: the model calls it Dutch
    (ENGLISH_TEXT[:200] + "\n" + DUTCH, "nl"),
    # a Dutch lead before English text
    (DUTCH[:100] + "\n" + ENGLISH_TEXT, "nl"),
    # English with an accented name
    ("The café owner said the council had approved the plan for the square on Tuesday, and "
     "that the work would start in the spring after the market has moved to the old station "
     "where it was held before the war.", "en"),
], ids=["interleaved-nl", "interleaved-af", "interleaved-eu", "interleaved-pt",
        "hungarian-folded", "english-then-dutch", "dutch-then-english", "accent"])
def test_mixed_text_goes_to_the_model_as_before(spy: _Spy, text: str, expected: str) -> None:
    assert detect(text) == expected
    assert spy.calls == 1


def test_the_rule_in_parts() -> None:
    from hypemeter.language.english import FOREIGN, SHORT, STRONG, plainly_english

    base = lang._prepare(ENGLISH_LEAD * 2, "")
    assert plainly_english(base)
    assert not plainly_english(base.replace("budget", "b\u00fcdget"))  # a letter outside ASCII
    assert plainly_english(base.replace("\u0020", " \u201c", 1))  # punctuation outside is fine
    assert plainly_english("los angeles: " + base)  # one foreign word (a name) is allowed
    assert not plainly_english("los angeles de la " + base)
    assert not plainly_english(base.replace("the council", "el consejo", 1)
                               .replace("the plan", "da plan", 1))  # "da": no English word
    assert not plainly_english("the city council met. " * 2)  # too few English words
    assert not plainly_english(base + " zxq" * 15)  # 36% English words, none in the last third
    assert {"the", "of", "and", "said"} <= STRONG and not STRONG & FOREIGN
    assert {"of", "in", "is", "mr", "tv"} <= SHORT and not SHORT & FOREIGN
    assert {"da", "de", "und", "het", "yang"} <= FOREIGN
