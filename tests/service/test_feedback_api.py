"""The feedback API (``/v1/feedback``) in-process on SQLite and a real PostgreSQL, and a real
``hypemeter serve --workers 2`` taking concurrent corrections (slow)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from support.apps import app_client
from support.servers import start_server
from support.texts import ADMIN, ADMIN_KEY, API_KEY, BODY, HEADLINE

from hypemeter.scoring.scorer import Scorer
from hypemeter.storage import FeedbackStore

UNREACHABLE_PG = "postgresql+psycopg://nobody@127.0.0.1:1/none"


# every test here starts without HYPEMETER_* settings (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("clean_env")


def make_client(models_dir: Path, scorer: Scorer, url: str, **kw: Any) -> TestClient:
    return app_client(models_dir, scorer, database_url=url, admin_key=ADMIN_KEY, **kw)


@pytest.fixture
def feedback_client(service_models_dir: Path, scorer: Scorer,
                    database_url: str) -> Iterator[TestClient]:
    """The app with a fresh feedback database (SQLite, then PostgreSQL) and the admin key."""
    with make_client(service_models_dir, scorer, database_url) as c:
        yield c


def post(c: TestClient, **kw: Any) -> httpx.Response:
    body: dict[str, Any] = {"headline": HEADLINE, "body": BODY, "labels": {"sensational": 1}}
    body.update(kw)
    return c.post("/v1/feedback", json=body)


def test_post_get_list_delete(feedback_client: TestClient) -> None:
    r = post(feedback_client, id="story-7", model_version="v1", note="a quote",
             labels={"misinformation": 0},
             spans=[{"field": "headline", "start": 18, "end": 25, "verdict": "loaded",
                     "text": "FURIOUS"},
                    {"field": "body", "start": 0, "end": 11, "verdict": "not_loaded",
                     "category": "loaded_language"}])
    assert r.status_code == 201, r.text
    created = r.json()
    assert set(created) == {"feedback_id", "created_at", "language"}
    assert created["language"] == "en"  # detected and stored (tests/service/test_language_api)
    assert created["created_at"].endswith("Z")
    assert r.headers["location"] == f"/v1/feedback/{created['feedback_id']}"
    one = feedback_client.get(f"/v1/feedback/{created['feedback_id']}", headers=ADMIN).json()
    assert one == {
        **created, "id": "story-7", "headline": HEADLINE, "body": BODY,
        "labels": {"misinformation": 0},
        "spans": [{"field": "headline", "start": 18, "end": 25, "verdict": "loaded"},
                  {"field": "body", "start": 0, "end": 11, "verdict": "not_loaded",
                   "category": "loaded_language"}],
        "model_version": "v1", "note": "a quote",
    }
    second = post(feedback_client).json()["feedback_id"]
    page = feedback_client.get("/v1/feedback", headers=ADMIN).json()
    assert [i["feedback_id"] for i in page["items"]] == [second, created["feedback_id"]]
    assert page["next_cursor"] is None
    first_page = feedback_client.get("/v1/feedback?limit=1", headers=ADMIN).json()
    assert [i["feedback_id"] for i in first_page["items"]] == [second]
    rest = feedback_client.get("/v1/feedback", headers=ADMIN,
                               params={"limit": 1, "cursor": first_page["next_cursor"]}).json()
    assert [i["feedback_id"] for i in rest["items"]] == [created["feedback_id"]]
    only = feedback_client.get("/v1/feedback", params={"label": "sensational:1"},
                               headers=ADMIN).json()
    assert [i["feedback_id"] for i in only["items"]] == [second]
    assert feedback_client.delete(f"/v1/feedback/{second}", headers=ADMIN).status_code == 204
    for method in ("get", "delete"):
        r = getattr(feedback_client, method)(f"/v1/feedback/{second}", headers=ADMIN)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"labels": None}, 422, "labels"),
    ({"labels": {}}, 422, "labels"),
    ({"labels": {"sensational": 2}}, 422, "labels.sensational"),
    ({"labels": {"sensational": True}}, 422, "labels.sensational"),
    ({"labels": {"sensational": "1"}}, 422, "labels.sensational"),
    ({"labels": {"spicy": 1}}, 422, "labels.spicy"),
    ({"spans": [{"field": "headline", "start": 50, "end": 99, "verdict": "loaded"}]},
     422, "spans.0.end"),
    ({"spans": [{"field": "body", "start": 190, "end": 195, "verdict": "loaded"}]},
     422, "spans.0.start"),
    ({"spans": [{"field": "body", "start": 5, "end": 5, "verdict": "loaded"}]},
     422, "spans.0.end"),
    ({"spans": [{"field": "body", "start": -1, "end": 5, "verdict": "loaded"}]},
     422, "spans.0.start"),
    ({"spans": [{"field": "body", "start": 0, "end": 3, "verdict": "loaded", "text": "Xyz"}]},
     422, "spans.0.text"),
    ({"spans": [{"field": "title", "start": 0, "end": 3, "verdict": "loaded"}]},
     422, "spans.0.field"),
    ({"spans": [{"field": "body", "start": 0, "end": 3, "verdict": "maybe"}]},
     422, "spans.0.verdict"),
    ({"spans": [{"field": "body", "start": 0, "end": 3, "verdict": "loaded",
                 "category": "spicy"}]}, 422, "spans.0.category"),
    ({"headline": "", "body": ""}, 422, "body"),
    ({"headline": None}, 422, "headline"),
    ({"note": "x" * 2001}, 422, "note"),
    ({"body": "x" * 300}, 413, "body"),
])
def test_bad_feedback_gets_a_clear_error_and_nothing_is_stored(
    service_models_dir: Path, scorer: Scorer, database_url: str,
    change: dict[str, Any], status: int, field: str,
) -> None:
    with make_client(service_models_dir, scorer, database_url, max_field_chars=200) as c:
        r = post(c, **change)
        assert r.status_code == status, r.text
        assert r.json()["error"]["field"] == field
        assert c.get("/v1/feedback", headers=ADMIN).json()["items"] == []


def test_spans_alone_and_astral_offsets_in_code_points(feedback_client: TestClient) -> None:
    headline = "🚨🚨 Shock horror"
    r = feedback_client.post("/v1/feedback", json={
        "headline": headline, "body": "",
        "spans": [{"field": "headline", "start": 3, "end": 8, "verdict": "loaded",
                   "text": "Shock"}]})
    assert r.status_code == 201, r.text


def test_json_content_type_and_api_key_rule(
    service_models_dir: Path, scorer: Scorer, database_url: str
) -> None:
    with make_client(service_models_dir, scorer, database_url, api_key=API_KEY) as c:
        assert post(c).status_code == 401
        # the key is checked before the body is read: a malformed body without a key is 401
        r = c.post("/v1/feedback", content=b'{"headline": ', headers={
            "Content-Type": "application/json"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        r = c.post("/v1/feedback", content=b"headline=x", headers={
            "X-API-Key": API_KEY, "Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 415
        r = c.post("/v1/feedback", json={"headline": HEADLINE, "body": BODY,
                                         "labels": {"sensational": 0}},
                   headers={"Authorization": f"Bearer {API_KEY}"})
        assert r.status_code == 201
        # reading, listing and deleting need the admin key; the API key is not enough
        assert c.get("/v1/feedback", headers={"X-API-Key": API_KEY}).status_code == 401


def test_admin_routes_are_off_without_an_admin_key(
    service_models_dir: Path, scorer: Scorer, database_url: str
) -> None:
    with app_client(service_models_dir, scorer, database_url=database_url) as c:
        assert post(c).status_code == 201
        for r in (c.get("/v1/feedback"), c.get("/v1/feedback/x"), c.delete("/v1/feedback/x")):
            assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 1001}, {"cursor": "%%%"},
                                   {"since": "tomorrow"}, {"label": "spicy"}])
def test_bad_list_queries(feedback_client: TestClient, query: dict[str, Any]) -> None:
    r = feedback_client.get("/v1/feedback", params=query, headers=ADMIN)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == next(iter(query))


def test_unreachable_database_is_503_and_scoring_goes_on(
    service_models_dir: Path, scorer: Scorer, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for url in (f"sqlite:///{blocker}/feedback.db", UNREACHABLE_PG):
        with make_client(service_models_dir, scorer, url) as c:
            for r in (post(c), c.get("/v1/feedback", headers=ADMIN),
                      c.delete("/v1/feedback/x", headers=ADMIN)):
                assert r.status_code == 503, r.text
                err = r.json()["error"]
                assert err["code"] == "database_unavailable"
                assert "scoring is unaffected" in err["message"]
                assert "127.0.0.1" not in err["message"] and str(blocker) not in err["message"]
            r = c.post("/v1/score", json={"headline": HEADLINE, "body": BODY})
            assert r.status_code == 200 and r.json()["scores"]


def _snapshot(url: str, tmp_path: Path) -> Any:
    store = FeedbackStore(url)
    engine = store.engine()
    with engine.connect() as conn:
        tables = sorted(inspect(conn).get_table_names())
        rows = {t: conn.execute(text(f"SELECT * FROM {t} ORDER BY 1")).all() for t in tables}
    store.close()
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(tmp_path.glob("feedback.db*"))}
    return tables, rows, files


def test_scoring_stores_nothing(
    service_models_dir: Path, scorer: Scorer, database_url: str, tmp_path: Path
) -> None:
    with make_client(service_models_dir, scorer, database_url) as c:
        assert post(c).status_code == 201
        before = _snapshot(database_url, tmp_path)
        unique = "Zanzibar-quokka-8813 SHOCKS the nation"
        assert c.post("/v1/score", json={"headline": unique, "body": BODY}).status_code == 200
        r = c.post("/v1/score/batch", json={"items": [{"headline": unique, "body": BODY}] * 3})
        assert r.status_code == 200
        after = _snapshot(database_url, tmp_path)
    assert before == after
    assert "feedback" in before[0] and len(before[1]["feedback"]) == 1
    assert unique not in repr(after)
    if database_url.startswith("sqlite"):
        assert before[2]  # the SQLite files were compared byte for byte


def test_openapi_documents_the_feedback_routes(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    post_op = doc["paths"]["/v1/feedback"]["post"]
    assert set(post_op["responses"]) >= {"201", "401", "413", "415", "422", "503"}
    schema_ref = post_op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert schema["examples"][0]["spans"]
    assert set(doc["paths"]["/v1/feedback/{feedback_id}"]) == {"get", "delete"}


# --------------------------------------------------------------------------- real server


@pytest.mark.slow
def test_real_server_two_workers_store_every_concurrent_post(
    service_models_dir: Path, database_url: str, tmp_path: Path
) -> None:
    server = start_server(service_models_dir, tmp_path, {
        "HYPEMETER_WORKERS": "2", "HYPEMETER_DATABASE_URL": database_url,
        "HYPEMETER_ADMIN_KEY": ADMIN_KEY})
    try:
        def send(i: int) -> str:
            r = httpx.post(f"{server.url}/v1/feedback", timeout=30, json={
                "headline": f"{HEADLINE} #{i}", "body": BODY,
                "labels": {"sensational": i % 2, "misinformation": 0}})
            assert r.status_code == 201, r.text
            return str(r.json()["feedback_id"])

        with ThreadPoolExecutor(16) as pool:
            ids = list(pool.map(send, range(160)))
        r = httpx.get(f"{server.url}/v1/feedback?limit=1000", headers=ADMIN, timeout=30)
        listed = {i["feedback_id"] for i in r.json()["items"]}
        assert len(set(ids)) == 160 and listed == set(ids)
        # scoring still works side by side
        assert httpx.post(f"{server.url}/v1/score", json={"headline": HEADLINE},
                          timeout=30).status_code == 200
    finally:
        server.stop()
    store = FeedbackStore(database_url)
    assert store.count() == 160
    store.close()
