"""Languages on the REST API (issue 24): ``language`` in every result, 422
``unsupported_language`` on ``POST /v1/score``, refused items of a batch, an asserted language,
the OpenAPI document, corrections in other languages; in-process in every score mode, then a
real ``hypemeter serve --workers 2`` with the Python client and ``hypemeter score --server``
(slow)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.schemas import BatchItemResponse, ScoreResponse
from hypemeter.service.settings import Settings
from support.servers import Server, start_server

from hypemeter.client import Client
from hypemeter.errors import UnsupportedLanguageError
from hypemeter.paths import REPO_ROOT
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

pytestmark = pytest.mark.usefixtures("clean_env")

ITEMS = {json.loads(line)["id"]: json.loads(line) for line in
         (REPO_ROOT / "tests" / "fixtures" / "languages.jsonl").read_text("utf-8").splitlines()}
SPANISH = {k: ITEMS["es-sober-1"][k] for k in ("headline", "body")}
RUSSIAN = {k: ITEMS["ru-sober-1"][k] for k in ("headline", "body")}
CHINESE = {k: ITEMS["zh-sober-1"][k] for k in ("headline", "body")}
ENGLISH = {k: ITEMS["en-sober-1"][k] for k in ("headline", "body")}


@pytest.fixture(params=["batch", "thread", "sync"])
def client(request: pytest.FixtureRequest, service_models_dir: Path, scorer: Scorer,
           tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(models_dir=service_models_dir, score_mode=request.param,
                        database_url=f"sqlite:///{tmp_path / 'feedback.db'}")
    with TestClient(create_app(settings, scorer=scorer)) as c:
        yield c


def _refusal(answer: Any, code: str, name: str) -> None:
    assert answer.status_code == 422, answer.text
    err = answer.json()["error"]
    assert err["code"] == "unsupported_language"
    assert f"{name} ({code})" in err["message"] and "English (en)" in err["message"]
    assert '"language": "en"' in err["message"]  # how to score it anyway


def test_english_carries_its_language(client: TestClient, scorer: Scorer) -> None:
    r = client.post("/v1/score", json={**ENGLISH, "id": "a"})
    assert r.status_code == 200
    got = r.json()
    assert got["language"] == "en" and got["language_asserted"] is False
    assert got == scorer.score_one(Article(**ENGLISH, id="a")).to_dict()
    ScoreResponse.model_validate(got)


def test_short_text_is_scored_as_undetermined(client: TestClient) -> None:
    for text in ("Plain text.", "Lluvias intensas en el norte", "Bundesliga"):
        r = client.post("/v1/score", json={"headline": text})
        assert r.status_code == 200, text
        assert r.json()["language"] == "und" and r.json()["scores"] is not None


@pytest.mark.parametrize(("item", "code", "name"), [(SPANISH, "es", "Spanish"),
                                                    (RUSSIAN, "ru", "Russian"),
                                                    (CHINESE, "zh", "Chinese")])
def test_other_languages_are_refused_with_422(client: TestClient, item: dict[str, str],
                                              code: str, name: str) -> None:
    _refusal(client.post("/v1/score", json=item), code, name)


def test_an_asserted_language_is_scored(client: TestClient, scorer: Scorer) -> None:
    r = client.post("/v1/score", json={**SPANISH, "language": "en"})
    assert r.status_code == 200
    got = r.json()
    assert got["language"] == "en" and got["language_asserted"] is True
    assert got == scorer.score_one(Article(**SPANISH, language="en")).to_dict()
    english = client.post("/v1/score", json={**ENGLISH, "language": "en"}).json()
    assert english["language_asserted"] is True
    assert english["scores"] == client.post("/v1/score", json=ENGLISH).json()["scores"]


def test_asserting_another_language_is_refused(client: TestClient) -> None:
    r = client.post("/v1/score", json={**ENGLISH, "language": "fr"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unsupported_language"
    assert "asserts French (fr)" in r.json()["error"]["message"]


@pytest.mark.parametrize("value", ["EN", "english", "e", "", 1, True])
def test_a_bad_language_value_is_invalid_input(client: TestClient, value: object) -> None:
    r = client.post("/v1/score", json={**ENGLISH, "language": value})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_input"
    assert r.json()["error"]["field"] == "language"


def test_a_batch_scores_the_others(client: TestClient, scorer: Scorer) -> None:
    items = [{**ENGLISH, "id": "en"}, {**SPANISH, "id": "es"}, {"headline": "Plain text."},
             {**RUSSIAN, "id": "ru", "sentences": True}, {**SPANISH, "id": "es2",
                                                         "language": "en"}]
    r = client.post("/v1/score/batch", json={"items": items})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["id"] for x in results] == ["en", "es", None, "ru", "es2"]
    for got in results:
        BatchItemResponse.model_validate(got)
    en, es, plain, ru, asserted = results
    assert en == scorer.score_one(Article(**ENGLISH, id="en")).to_dict()
    assert plain["language"] == "und" and plain["scores"] is not None
    for refused, code in ((es, "es"), (ru, "ru")):
        assert refused["scores"] is None and refused["spans"] == []
        assert refused["language"] == code and refused["language_asserted"] is False
        assert refused["error"]["code"] == "unsupported_language"
        assert set(refused["error"]) == {"code", "message"}
        assert "sentences" not in refused
    assert "error" not in en and "error" not in asserted
    assert asserted["language_asserted"] is True and asserted["scores"] is not None


def test_metrics_count_the_articles_not_scored(client: TestClient) -> None:
    client.post("/v1/score", json=SPANISH)
    client.post("/v1/score/batch", json={"items": [SPANISH, ENGLISH]})
    text = client.get("/metrics").text
    line = next(x for x in text.splitlines()
                if x.startswith("hypemeter_articles_not_scored_total{"))
    assert 'reason="unsupported_language"' in line and float(line.split()[-1]) == 2.0


def test_openapi_documents_the_language_contract(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    request = schemas["ScoreRequest"]["properties"]["language"]
    assert "assert" in json.dumps(request)
    for name in ("ScoreResponse", "BatchItemResponse"):
        props = schemas[name]["properties"]
        assert {"language", "language_asserted"} <= set(props)
        assert {"language", "language_asserted"} <= set(schemas[name]["required"])
    assert "error" in schemas["BatchItemResponse"]["properties"]
    examples = schemas["ScoreBatchResponse"]["examples"][0]["results"]
    assert any(e["scores"] is None and e["error"]["code"] == "unsupported_language"
               for e in examples)
    for e in examples:
        BatchItemResponse.model_validate(e)
    score = doc["paths"]["/v1/score"]["post"]
    assert "unsupported_language" in score["description"]
    assert "unsupported_language" in score["responses"]["422"]["description"]
    errors = schemas["ErrorResponse"]["examples"]
    assert any(e["error"]["code"] == "unsupported_language" for e in errors)


def test_the_model_card_lists_the_languages(client: TestClient) -> None:
    card = client.get("/v1/model").json()
    assert card["languages"] == ["en"]
    doc = client.get("/openapi.json").json()
    assert "languages" in doc["components"]["schemas"]["ModelCardResponse"]["properties"]


def test_a_correction_in_another_language_is_stored_with_it(client: TestClient) -> None:
    r = client.post("/v1/feedback", json={**SPANISH, "labels": {"sensational": 0}})
    assert r.status_code == 201, r.text
    assert r.json()["language"] == "es"
    r2 = client.post("/v1/feedback", json={**ENGLISH, "labels": {"misinformation": 0}})
    assert r2.status_code == 201 and r2.json()["language"] == "en"
    store = client.app.state.feedback  # type: ignore[attr-defined]
    stored = store.get(r.json()["feedback_id"])
    assert stored.language == "es" and stored.headline == SPANISH["headline"]
    assert stored.to_item()["language"] == "es" and stored.to_export()["language"] == "es"


# --------------------------------------------------------------- a real server (slow)


@pytest.fixture(scope="module")
def server(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("language-server")
    srv = start_server(bundle_dir, work, {"HYPEMETER_WORKERS": "2",
                                          "HYPEMETER_DATABASE_URL":
                                              f"sqlite:///{work / 'feedback.db'}"})
    yield srv
    srv.stop()


@pytest.mark.slow
def test_client_against_a_real_server(server: Server, scorer: Scorer) -> None:
    with Client(server.url) as client:
        with pytest.raises(UnsupportedLanguageError) as info:
            client.score(**SPANISH)
        assert info.value.status == 422 and "Spanish (es)" in info.value.message
        asserted = client.score(**SPANISH, language="en")
        assert asserted == scorer.score_one(Article(**SPANISH, language="en"))
        got = client.score_batch([{**ENGLISH, "id": "en"}, {**SPANISH, "id": "es"},
                                  {**CHINESE, "id": "zh"}])
        assert got == scorer.score([Article(**ENGLISH, id="en"), Article(**SPANISH, id="es"),
                                    Article(**CHINESE, id="zh")])
        assert [r.scores is None for r in got] == [False, True, True]
        assert got[1].error is not None and got[1].error.code == "unsupported_language"
        forced = client.score_batch([{**SPANISH, "id": "es"}], language="en")
        assert forced[0].language_asserted and forced[0].scores is not None
        created = client.feedback(**RUSSIAN, labels={"sensational": 0})
        assert created["language"] == "ru"


@pytest.mark.slow
def test_cli_through_a_real_server_reports_the_refused_lines(server: Server, tmp_path: Path,
                                                             scorer: Scorer) -> None:
    lines = [{**ENGLISH, "id": "en"}, {**SPANISH, "id": "es"}, {**CHINESE, "id": "zh"},
             {"id": "short", "headline": "Plain text."}]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    run = subprocess.run([sys.executable, "-m", "hypemeter", "score", str(src), "--server",
                          server.url, "-q"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 3, run.stderr
    out = [json.loads(x) for x in run.stdout.splitlines()]
    assert [r["id"] for r in out] == ["en", "short"]
    assert out == [r.to_dict() for r in scorer.score([Article(**ENGLISH, id="en"),
                                                      Article("Plain text.", id="short")])]
    assert f"{src}:2: unsupported_language (es)" in run.stderr
    assert f"{src}:3: unsupported_language (zh)" in run.stderr
    assert "skipped 2 bad record(s) (2 in a language the model does not read)" in run.stderr
    forced = subprocess.run([sys.executable, "-m", "hypemeter", "score", str(src), "--server",
                             server.url, "-q", "--language", "en"],
                            capture_output=True, text=True, timeout=120)
    assert forced.returncode == 0, forced.stderr
    assert [json.loads(x)["language_asserted"] for x in forced.stdout.splitlines()] == [True] * 4
