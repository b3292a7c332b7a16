"""Language identification in the core (issue 24): the detector's rule on the project's own
texts in 13 languages, the scorer's contract (language on every result, text in a language the
model does not read not scored, asserted languages), the card's languages, the JSON encoder and
the training filter."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypemeter.training.corpora.base import LoadReport
from hypemeter.training.corpora.own import TRAINING_LANGUAGES, OwnDataLoader

from hypemeter.bundles.bundle import Bundle, card_languages, card_problem
from hypemeter.errors import InvalidInputError, UnsupportedLanguageError
from hypemeter.language import UNDETERMINED, LanguageGate, detect, guess, language_name
from hypemeter.language import detector as lang
from hypemeter.paths import REPO_ROOT
from hypemeter.records.json_output import dumps, result_json
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "languages.jsonl"
ITEMS = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
FOREIGN = [it for it in ITEMS if it["language"] != "en"]
ENGLISH = [it for it in ITEMS if it["language"] == "en"]
SPANISH = next(it for it in ITEMS if it["id"] == "es-sober-1")


def _article(item: dict[str, str], **kw: object) -> Article:
    return Article(item["headline"], item["body"], item["id"], **kw)  # type: ignore[arg-type]


def _length(item: dict[str, str]) -> int:
    return len(f"{item['headline']}\n{item['body']}".strip())


def test_the_fixture_covers_ten_languages_sober_and_sensational() -> None:
    langs = {it["language"] for it in FOREIGN}
    assert len(langs) >= 10
    for code in langs:
        kinds = {it["kind"] for it in FOREIGN if it["language"] == code}
        assert {"sober", "sensational"} <= kinds, code


@pytest.mark.parametrize("item", [it for it in FOREIGN if _length(it) > 100],
                         ids=lambda it: it["id"])
def test_articles_in_other_languages_are_named(item: dict[str, str]) -> None:
    assert detect(item["headline"], item["body"]) == item["language"]


@pytest.mark.parametrize("item", ENGLISH, ids=lambda it: it["id"])
def test_english_is_english_or_undetermined(item: dict[str, str]) -> None:
    assert detect(item["headline"], item["body"]) in ("en", UNDETERMINED)


@pytest.mark.parametrize("text", ["Plain text.", "Schools closed.", "", "   ", "12 34 56",
                                  "Bundesliga"])
def test_short_text_is_undetermined(text: str) -> None:
    assert detect(text) == UNDETERMINED


@pytest.mark.parametrize("text", ["\U0001f525" * 30, "\x00" * 30, "1234567890 " * 5,
                                  "<p>" * 20, "a" * 5000, "\u200b" * 40, "-- " * 50])
def test_text_without_words_is_never_refused(scorer: Scorer, text: str) -> None:
    assert detect(text) in ("en", UNDETERMINED)
    assert scorer.score_one(Article(headline=text)).scores is not None


def test_long_english_articles_are_english_whatever_their_case() -> None:
    body = ("The city council approved the budget on Tuesday after a long debate about "
            "school repairs, bus routes and the cost of heating the town hall next winter.")
    assert detect("Council approves budget", body) == "en"
    assert detect("COUNCIL APPROVES BUDGET", body.upper()) == "en"
    assert detect("Council Approves Budget After Long Debate", "") in ("en", UNDETERMINED)


def test_only_a_bounded_prefix_is_read() -> None:
    """A French article followed by a long English tail is still French: the decision comes
    from the first PREFIX_CHARS characters, so its cost does not grow with the article."""
    french = next(it for it in ITEMS if it["id"] == "fr-sober-1")
    body = french["body"][: lang.PREFIX_CHARS - len(french["headline"]) - 5]
    tail = " The council approved the budget on Tuesday." * 200
    assert detect(french["headline"], body + tail) == "fr"
    assert detect("Council approves budget", tail + french["body"]) == "en"


def test_a_supported_language_vetoes_a_refusal() -> None:
    """With Spanish among the supported languages, the Spanish report is Spanish; ``und``
    when the supported languages get a real share of the probability."""
    assert detect(SPANISH["headline"], SPANISH["body"], ("en", "es")) == "es"
    guesses = guess(SPANISH["headline"], SPANISH["body"])
    assert guesses[0][0] == "es" and 0.0 < guesses[0][1] <= 1.0
    assert guess("") == []


def test_language_names() -> None:
    assert language_name("fr") == "French (fr)"
    assert language_name("ceb") == "ceb"


# -- the scorer ----------------------------------------------------------------------------

def test_every_result_carries_its_language(scorer: Scorer) -> None:
    results = scorer.score([_article(it) for it in ENGLISH])
    assert all(r.scores is not None and r.error is None for r in results)
    assert {r.language for r in results} <= {"en", UNDETERMINED}
    assert not any(r.language_asserted for r in results)
    long_ = [r for it, r in zip(ENGLISH, results, strict=True) if _length(it) > 100]
    assert long_ and all(r.language == "en" for r in long_)
    plain = scorer.score_one(Article(headline="Plain text."))
    assert plain.language == UNDETERMINED and plain.scores is not None


def test_text_in_another_language_is_not_scored(scorer: Scorer) -> None:
    foreign = [it for it in FOREIGN if _length(it) > 200]
    results = scorer.score([_article(it) for it in foreign], explain=True, sentences=True)
    for item, result in zip(foreign, results, strict=True):
        assert result.scores is None and result.spans == [] and result.sentences is None
        assert result.language == item["language"] and not result.language_asserted
        assert result.error is not None and result.error.code == "unsupported_language"
        assert language_name(item["language"]) in result.error.message
        assert "English (en)" in result.error.message
        assert result.id == item["id"]


def test_a_mixed_batch_keeps_its_order_and_scores_the_rest(scorer: Scorer) -> None:
    english = [_article(it) for it in ENGLISH[:3]]
    mixed = [english[0], _article(SPANISH), english[1], _article(FOREIGN[-1]), english[2]]
    got = scorer.score(mixed)
    assert [r.id for r in got] == [a.id for a in mixed]
    assert [r.scores is None for r in got] == [False, True, False, True, False]
    alone = scorer.score(english)
    assert [got[0], got[2], got[4]] == alone  # the refused items change nothing for the rest


def test_an_asserted_language_is_scored_and_says_so(scorer: Scorer) -> None:
    article = _article(SPANISH, language="en")
    result = scorer.score_one(article)
    assert result.scores is not None and result.error is None
    assert result.language == "en" and result.language_asserted
    english = scorer.score_one(_article(ENGLISH[0], language="en"))
    assert english.scores == scorer.score_one(_article(ENGLISH[0])).scores
    assert english.language_asserted


def test_asserting_a_language_the_model_does_not_read_is_refused(scorer: Scorer) -> None:
    result = scorer.score_one(_article(ENGLISH[0], language="fr"))
    assert result.scores is None and result.language == "fr" and result.language_asserted
    assert result.error is not None and "asserts French (fr)" in result.error.message


@pytest.mark.parametrize("code", ["EN", "english", "e", "", "en-US", "12"])
def test_an_asserted_language_must_be_a_code(scorer: Scorer, code: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        scorer.score([Article(headline="Council approves budget", language=code)])
    assert info.value.field == "language" and info.value.code == "invalid_input"


def test_the_gate_refusal_is_a_422(scorer: Scorer) -> None:
    gate = scorer.gate
    decision = gate.decide(_article(SPANISH))
    assert (decision.language, decision.asserted, decision.scored) == ("es", False, False)
    err = gate.refusal(decision)
    assert isinstance(err, UnsupportedLanguageError) and isinstance(err, InvalidInputError)
    assert err.status == 422 and err.code == "unsupported_language"
    assert err.language == "es" and err.supported == ("en",)


# -- the card ------------------------------------------------------------------------------

def test_a_card_without_languages_reads_english(scorer: Scorer) -> None:
    card = dict(scorer.bundle.card)
    card.pop("languages", None)
    assert card_languages(card) == ("en",)
    assert scorer.gate.supported == card_languages(scorer.bundle.card)


def test_the_card_languages_decide_what_is_scored(scorer: Scorer) -> None:
    bundle = scorer.bundle
    both = Scorer(Bundle(model=bundle.model, card={**bundle.card, "languages": ["en", "es"]},
                         path=bundle.path))
    assert both.bundle.languages == ("en", "es")
    spanish = both.score_one(_article(SPANISH))
    assert spanish.scores is not None and spanish.language == "es"
    french = both.score_one(_article(next(it for it in ITEMS if it["id"] == "fr-sober-1")))
    assert french.scores is None and "English (en), Spanish (es)" in french.error.message  # type: ignore[union-attr]


@pytest.mark.parametrize("value", [[], "en", ["EN"], ["english"], [1], {"en": 1}])
def test_a_card_with_bad_languages_is_refused(scorer: Scorer, value: object) -> None:
    problem = card_problem({**scorer.bundle.card, "languages": value})
    assert problem is not None and "languages" in problem


def test_the_gate_supports_what_it_is_given() -> None:
    assert LanguageGate().supported == ("en",)
    assert LanguageGate(["en", "de"]).supported == ("en", "de")


# -- the JSON encoder ----------------------------------------------------------------------

def test_json_output_stays_byte_identical(scorer: Scorer) -> None:
    articles = [_article(it) for it in ITEMS] + [_article(SPANISH, language="en"),
                                                  _article(ENGLISH[0], language="de")]
    for sentences in (False, True):
        for result in scorer.score(articles, sentences=sentences):
            assert result_json(result) == dumps(result.to_dict())
            decoded = json.loads(result_json(result))
            assert decoded["language"] == result.language
            assert decoded["language_asserted"] is result.language_asserted
            assert ("error" in decoded) is (result.scores is None)


def test_json_output_of_an_odd_language_value_falls_back(scorer: Scorer) -> None:
    result = scorer.score_one(_article(ENGLISH[0]))
    odd = replace(result, language_asserted=1)  # type: ignore[arg-type]
    assert result_json(odd) == dumps(odd.to_dict())


# -- training ------------------------------------------------------------------------------

def test_training_leaves_out_corrections_in_other_languages(tmp_path: Path) -> None:
    lines = [
        {"id": "en1", "headline": ENGLISH[0]["headline"], "body": ENGLISH[0]["body"],
         "sensational": 0},
        {"id": "es1", "headline": SPANISH["headline"], "body": SPANISH["body"],
         "sensational": 0, "language": "es"},
        {"id": "short", "headline": "Plain text.", "body": "", "sensational": 1},
    ]
    (tmp_path / "own.jsonl").write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    report = LoadReport("own:own")
    records = list(OwnDataLoader("own.jsonl", "own:own").load(tmp_path, report))
    assert sorted(r.headline for r in records) == sorted([ENGLISH[0]["headline"],
                                                          "Plain text."])
    reasons = [i.reason for i in report.issues]
    assert len(reasons) == 1 and "Spanish (es)" in reasons[0] and "not used for training" \
        in reasons[0] and report.issues[0].line == 2
    assert TRAINING_LANGUAGES == ("en",)


@pytest.mark.slow
def test_training_writes_the_languages_into_the_card(tmp_path: Path) -> None:
    from hypemeter.training.train import train_bundle

    from hypemeter.bundles.bundle import load_bundle

    empty = tmp_path / "empty"
    empty.mkdir()
    bundle_dir = train_bundle(empty, tmp_path / "models", corpora=[], include_sample=True,
                              version="lang", log=lambda _m: None)
    card = json.loads((bundle_dir / "card.json").read_text(encoding="utf-8"))
    assert card["languages"] == list(TRAINING_LANGUAGES)
    assert load_bundle(bundle_dir).languages == TRAINING_LANGUAGES


# Two-sentence sober reports (about 30-105 characters), the kind the issue was filed with.
SHORT_REPORTS = {
    "es": "El ayuntamiento aprobó el presupuesto el martes. La oposición pidió más fondos "
          "para el transporte.",
    "ru": "Городской совет утвердил бюджет во вторник. Оппозиция потребовала больше денег на "
          "транспорт.",
    "zh": "市议会周二通过了预算。反对派要求为公共交通拨更多资金。",
    "de": "Der Stadtrat hat am Dienstag den Haushalt beschlossen. Die Opposition forderte mehr "
          "Geld für Busse.",
    "fr": "Le conseil municipal a adopté le budget mardi. L'opposition a demandé plus "
          "d'argent pour les transports.",
    "ja": "市議会は火曜日に予算を可決した。野党は公共交通への予算増額を求めた。",
}


@pytest.mark.parametrize("code", sorted(SHORT_REPORTS))
def test_short_sober_reports_are_refused(scorer: Scorer, code: str) -> None:
    result = scorer.score_one(Article(body=SHORT_REPORTS[code]))
    assert result.scores is None and result.language == code


def test_a_short_english_report_is_scored(scorer: Scorer) -> None:
    result = scorer.score_one(Article(
        body="The council approved the budget on Tuesday. The opposition asked for more money "
             "for buses."))
    assert result.scores is not None and result.language == "en"
