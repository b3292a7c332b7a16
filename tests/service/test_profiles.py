"""Profiles through the API, in-process on SQLite and on a real PostgreSQL (``database_url``):
create/list/read/delete, scoring and corrections as a profile, the background refit, scoped
keys route by route, a tampered adapter, an adapter that does not beat the base."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings
from profile_texts import newsroom
from sqlalchemy import func, select, update

from hypemeter.scoring.scorer import Scorer
from hypemeter.storage import FeedbackStore
from hypemeter.storage.tables import (
    FeedbackRow,
    ProfileAdapterRow,
    ProfileFitLeaseRow,
    ProfileKeyRow,
    ProfileRow,
)

ADMIN_KEY = "profiles-admin-key-42"
ADMIN = {"X-API-Key": ADMIN_KEY}
FAST = {"profile_poll_seconds": 0.2, "profile_debounce_seconds": 0.1,
        "profile_max_wait_seconds": 1.0, "profile_key_cache_seconds": 0.5}

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def client(service_models_dir: Path, scorer: Scorer, database_url: str
           ) -> Iterator[TestClient]:
    settings = Settings(models_dir=service_models_dir, database_url=database_url,
                        admin_key=ADMIN_KEY, **FAST)
    with TestClient(create_app(settings, scorer=scorer)) as c:
        yield c


def create(c: TestClient, name: str = "acme") -> None:
    r = c.post("/v1/profiles", json={"name": name, "description": "a newsroom"}, headers=ADMIN)
    assert r.status_code == 201, r.text


def correct(c: TestClient, art: dict[str, Any], headers: dict[str, str] | None = None,
            **kw: Any) -> httpx.Response:
    body = {"headline": art["headline"], "body": art["body"],
            "labels": {"sensational": art["label"]}, **kw}
    return c.post("/v1/feedback", json=body, headers=headers or {})


def wait_for_labels(c: TestClient, name: str, labels: int, timeout: float = 60.0
                    ) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = c.get(f"/v1/profiles/{name}", headers=ADMIN).json()
        adapter = state.get("adapter")
        if adapter and adapter["heads"]["sensationalism"]["labels"] == labels \
                and not state["fit"]["pending"]:
            return state
        time.sleep(0.1)
    raise AssertionError(f"no adapter on {labels} labels: {state}")


def score(c: TestClient, art: dict[str, Any], headers: dict[str, str] | None = None,
          **kw: Any) -> httpx.Response:
    return c.post("/v1/score", json={"headline": art["headline"], "body": art["body"], **kw},
                  headers=headers or {})


def test_create_list_read_and_errors(client: TestClient) -> None:
    create(client)
    assert client.post("/v1/profiles", json={"name": "acme"}, headers=ADMIN).status_code == 409
    bad = client.post("/v1/profiles", json={"name": "Not OK"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "name"
    assert client.post("/v1/profiles", json={"name": "x"}).status_code == 401
    items = client.get("/v1/profiles", headers=ADMIN).json()["items"]
    assert [i["name"] for i in items] == ["acme"]
    state = client.get("/v1/profiles/acme", headers=ADMIN).json()
    assert state["adapter"] is None and state["corrections"]["total"] == 0
    art = newsroom(1)[0]
    for path in ("/v1/score", "/v1/feedback"):
        body = {"headline": art["headline"], "body": art["body"], "profile": "ghost"}
        if path.endswith("feedback"):
            body["labels"] = {"sensational": 1}
        r = client.post(path, json=body)
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_profile", path
    r = client.post("/v1/score/batch", json={"items": [{"headline": "a"}], "profile": "ghost"})
    assert r.json()["error"]["code"] == "unknown_profile"
    r = client.post("/v1/score/batch", json={"items": [{"headline": "a", "profile": "acme"}]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "items.0.profile"


@pytest.mark.slow  # waits for background fits
def test_scores_adapt_after_corrections_and_only_for_the_profile(client: TestClient) -> None:
    create(client)
    create(client, "other")
    test = newsroom(12, seed=5)
    before = score(client, test[0], profile="acme").json()
    assert before["model"]["profile"] == "acme" and before["model"]["adapter_version"] is None
    plain = score(client, test[0]).json()
    assert "profile" not in plain["model"] and before["scores"] == plain["scores"]
    arts = newsroom(40)
    for art in arts:
        assert correct(client, art, profile="acme").status_code == 201
    state = wait_for_labels(client, "acme", 40)
    head = state["adapter"]["heads"]["sensationalism"]
    assert head["active"] and head["recipe"] in ("words", "both", "blend")
    assert head["oof_auc_adapted"] > head["oof_auc_base"]
    assert state["corrections"]["sensational"] == {"0": 20, "1": 20}
    batch = client.post("/v1/score/batch", json={
        "items": [{"headline": a["headline"], "body": a["body"]} for a in test],
        "profile": "acme"}).json()["results"]
    version = state["adapter"]["version"]
    assert all(r["model"]["adapter_version"] == version for r in batch)
    pairs = [(r["scores"]["sensationalism"], a["label"])
             for r, a in zip(batch, test, strict=True)]
    ones = [s for s, label in pairs if label == 1]
    zeros = [s for s, label in pairs if label == 0]
    assert min(ones) > max(zeros)
    # the other profile and the shared model: untouched
    assert score(client, test[0], profile="other").json()["scores"] == plain["scores"]
    assert score(client, test[0]).json() == plain


@pytest.mark.slow  # waits for background fits
def test_deleting_a_correction_refits(client: TestClient) -> None:
    create(client)
    ids = [correct(client, a, profile="acme").json()["feedback_id"] for a in newsroom(40)]
    wait_for_labels(client, "acme", 40)
    assert client.delete(f"/v1/feedback/{ids[0]}", headers=ADMIN).status_code == 204
    wait_for_labels(client, "acme", 39)


@pytest.mark.slow  # waits for background fits
def test_an_adapter_that_does_not_beat_the_base_is_not_activated(
    client: TestClient, scorer: Scorer,
) -> None:
    """Labels the base model ranks perfectly: no recipe beats it out of fold."""
    from hypemeter.records.results import Article

    create(client)
    arts = newsroom(40)
    results = scorer.score([Article(a["headline"], a["body"]) for a in arts], explain=False)
    values = sorted(r.scores["sensationalism"] for r in results)
    cut = values[len(values) // 2]
    for art, res in zip(arts, results, strict=True):
        art["label"] = int(res.scores["sensationalism"] >= cut)
        assert correct(client, art, profile="acme").status_code == 201
    state = wait_for_labels(client, "acme", 40)
    assert state["adapter"]["heads"]["sensationalism"]["oof_auc_base"] == pytest.approx(1.0)
    assert not state["adapter"]["heads"]["sensationalism"]["active"]
    assert state["adapter"]["heads"]["sensationalism"]["recipe"] == "base"
    assert not state["adapter"]["active"]
    r = score(client, arts[0], profile="acme").json()
    assert r["model"]["adapter_version"] is None
    assert r["scores"] == score(client, arts[0]).json()["scores"]


@pytest.mark.slow  # waits for background fits
def test_a_tampered_adapter_is_refused_and_the_base_served(
    client: TestClient, service_models_dir: Path, scorer: Scorer, database_url: str,
) -> None:
    create(client)
    for art in newsroom(40):
        correct(client, art, profile="acme")
    version = wait_for_labels(client, "acme", 40)["adapter"]["version"]
    art = newsroom(3, seed=8)[1]
    adapted = score(client, art, profile="acme").json()
    assert adapted["model"]["adapter_version"] == version
    store = FeedbackStore(database_url)
    row = ProfileAdapterRow.version == version
    with store.engine().begin() as conn:  # someone with write access edits the row
        meta = conn.scalar(select(ProfileAdapterRow.meta).where(row))
        conn.execute(update(ProfileAdapterRow).where(row).values(
            meta=meta.replace('"platt":[', '"platt":[1e3,')))
    store.close()
    # a fresh server (nothing cached) reads the row: refused, base scores
    settings = Settings(models_dir=service_models_dir, database_url=database_url,
                        admin_key=ADMIN_KEY, **FAST)
    with TestClient(create_app(settings, scorer=scorer)) as fresh:
        r = score(fresh, art, profile="acme").json()
        assert r["model"]["adapter_version"] is None
        assert r["scores"] == score(fresh, art).json()["scores"]
        state = fresh.get("/v1/profiles/acme", headers=ADMIN).json()
        assert "checksum" in state["adapter"]["refused"]


def count(store: FeedbackStore, table: type, column: str, name: str) -> int:
    with store.engine().connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)
                               .where(getattr(table, column) == name)) or 0)


@pytest.mark.slow  # waits for background fits
def test_delete_removes_every_row(client: TestClient, database_url: str) -> None:
    create(client)
    create(client, "other")
    for name in ("acme", "other"):
        for art in newsroom(20):
            correct(client, art, profile=name)
        client.post("/v1/keys", json={"profile": name, "role": "score"}, headers=ADMIN)
    wait_for_labels(client, "acme", 20)
    assert client.delete("/v1/profiles/acme", headers=ADMIN).status_code == 204
    assert client.delete("/v1/profiles/acme", headers=ADMIN).json()["error"]["code"] == \
        "unknown_profile"
    assert client.get("/v1/profiles/acme", headers=ADMIN).status_code == 404
    assert score(client, newsroom(1)[0], profile="acme").status_code == 404
    store = FeedbackStore(database_url)
    for table, column in ((ProfileRow, "name"), (ProfileKeyRow, "profile"),
                          (ProfileAdapterRow, "profile"), (ProfileFitLeaseRow, "profile"),
                          (FeedbackRow, "profile")):
        assert count(store, table, column, "acme") == 0, table.__tablename__
    assert count(store, FeedbackRow, "profile", "other") == 20
    store.close()


def key(c: TestClient, profile: str, role: str) -> dict[str, str]:
    r = c.post("/v1/keys", json={"profile": profile, "role": role}, headers=ADMIN)
    assert r.status_code == 201, r.text
    assert r.json()["key"].startswith("hmk_")
    return {"Authorization": f"Bearer {r.json()['key']}"}


def test_scoped_keys_route_by_route(client: TestClient) -> None:
    create(client)
    create(client, "other")
    scorer_key, corrector = key(client, "acme", "score"), key(client, "acme", "correct")
    other_corrector = key(client, "other", "correct")
    art = newsroom(1)[0]
    theirs = correct(client, art, profile="other").json()["feedback_id"]

    # scoring: both roles, their own profile implied; another profile 403
    for k in (scorer_key, corrector):
        r = score(client, art, k)
        assert r.status_code == 200 and r.json()["model"]["profile"] == "acme"
        assert score(client, art, k, profile="acme").status_code == 200
        assert score(client, art, k, profile="other").status_code == 403
        r = client.post("/v1/score/batch", json={"items": [{"headline": "a"}],
                                                 "profile": "other"}, headers=k)
        assert r.status_code == 403
    # corrections: the correct key only, its own profile only
    assert correct(client, art, scorer_key).status_code == 403
    mine = correct(client, art, corrector)
    assert mine.status_code == 201
    assert correct(client, art, corrector, profile="other").status_code == 403
    mine_id = mine.json()["feedback_id"]
    # reading and deleting corrections
    assert client.get("/v1/feedback", headers=scorer_key).status_code == 403
    listed = client.get("/v1/feedback", headers=corrector).json()["items"]
    assert [i["feedback_id"] for i in listed] == [mine_id]
    assert client.get("/v1/feedback?profile=other", headers=corrector).status_code == 403
    assert client.get(f"/v1/feedback/{theirs}", headers=corrector).status_code == 403
    assert client.delete(f"/v1/feedback/{theirs}", headers=corrector).status_code == 403
    assert client.get(f"/v1/feedback/{mine_id}", headers=corrector).status_code == 200
    assert client.delete(f"/v1/feedback/{mine_id}", headers=other_corrector).status_code == 403
    assert client.delete(f"/v1/feedback/{mine_id}", headers=corrector).status_code == 204
    # profiles: read its own; nothing else
    assert client.get("/v1/profiles/acme", headers=scorer_key).status_code == 200
    assert client.get("/v1/profiles/other", headers=scorer_key).status_code == 403
    assert client.get("/v1/profiles", headers=corrector).status_code == 403
    assert client.post("/v1/profiles", json={"name": "new"}, headers=corrector).status_code == 403
    assert client.delete("/v1/profiles/other", headers=corrector).status_code == 403
    assert client.delete("/v1/profiles/acme", headers=corrector).status_code == 403
    # keys and reloads: admin only
    assert client.get("/v1/keys", headers=corrector).status_code == 403
    assert client.post("/v1/keys", json={"profile": "acme", "role": "correct"},
                       headers=corrector).status_code == 403
    # revocation: refused once the key cache lapses
    key_id = client.get("/v1/keys?profile=acme", headers=ADMIN).json()["items"][0]["key_id"]
    assert client.delete(f"/v1/keys/{key_id}", headers=ADMIN).status_code == 204
    time.sleep(FAST["profile_key_cache_seconds"] + 0.1)
    r = score(client, art, scorer_key)
    assert r.status_code == 401, r.text
    # a forged key
    assert score(client, art, {"X-API-Key": "hmk_0000_forged"}).status_code == 401


def test_the_api_key_rule_still_holds(service_models_dir: Path, scorer: Scorer,
                                      database_url: str) -> None:
    settings = Settings(models_dir=service_models_dir, database_url=database_url,
                        admin_key=ADMIN_KEY, api_key="the-api-key-0123", **FAST)
    with TestClient(create_app(settings, scorer=scorer)) as c:
        create(c)
        art = newsroom(1)[0]
        assert score(c, art).status_code == 401
        assert score(c, art, {"X-API-Key": "wrong"}).status_code == 401
        assert score(c, art, {"X-API-Key": "the-api-key-0123"}, profile="acme").status_code == 200
        k = key(c, "acme", "score")
        assert score(c, art, k).json()["model"]["profile"] == "acme"
        assert c.get("/v1/profiles", headers={"X-API-Key": "the-api-key-0123"}).status_code == 401
