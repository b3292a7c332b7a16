"""Scoring as a profile takes ``POST /v1/score``'s fast path
(:mod:`hypemeter.service.fast_score`): it answers exactly what the route answers (the same
status, body and headers: the adapted scores, ``adapter_version``, 403 for another profile's
name with a profile key, 404 ``unknown_profile``), and the route never sees those requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings
from profile_texts import newsroom
from support.fast_path import spy_route, without_fast_path

from hypemeter.profiles.fitting import fit_claimed
from hypemeter.scoring.scorer import Scorer
from hypemeter.storage import FeedbackStore
from hypemeter.storage.profiles import ProfileStore
from hypemeter.storage.records import NewFeedback

pytestmark = pytest.mark.usefixtures("clean_env")

ADMIN_KEY = "fast-path-admin-key-42"
VOLATILE = {"x-request-id", "server-timing", "date"}


def fitted_database(url: str, scorer: Scorer) -> str:
    """Two profiles with active adapters, and a ``score`` key of ``acme`` (returned)."""
    store = FeedbackStore(url)
    profiles = ProfileStore(store)
    try:
        for i, name in enumerate(("acme", "other")):
            profiles.create(name)
            for art in newsroom(40, seed=i):
                store.add(NewFeedback(art["headline"], art["body"], sensational=art["label"],
                                      profile=name))
            claim = profiles.claim(name, "test", ttl=60)
            assert claim is not None
            assert fit_claimed(profiles, scorer, claim).active
        return profiles.create_key("acme", "score")[1]
    finally:
        store.close()


def app(models_dir: Path, scorer: Scorer, url: str, fast: bool) -> FastAPI:
    built = create_app(Settings(models_dir=models_dir, database_url=url, admin_key=ADMIN_KEY,
                                profile_fits=False), scorer=scorer)
    return built if fast else without_fast_path(built)


def cases(key: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
    admin = {"x-api-key": ADMIN_KEY}
    scoped = {"x-api-key": key}
    arts = newsroom(6, seed=99)
    return [
        ({"headline": arts[0]["headline"], "body": arts[0]["body"], "profile": "acme"}, admin),
        ({"headline": arts[1]["headline"], "body": arts[1]["body"], "profile": "other",
          "explain": False}, admin),
        ({"headline": arts[2]["headline"], "body": arts[2]["body"], "max_spans": 1}, scoped),
        ({"headline": arts[3]["headline"], "body": arts[3]["body"], "profile": "acme"}, scoped),
        ({"headline": arts[4]["headline"], "body": arts[4]["body"], "profile": "other"}, scoped),
        ({"headline": arts[5]["headline"], "profile": "nobody"}, admin),
        ({"headline": arts[5]["headline"], "body": arts[5]["body"]}, admin),
    ]


def test_profile_requests_take_the_fast_path(service_models_dir: Path, scorer: Scorer,
                                             tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'feedback.db'}"
    key = fitted_database(url, scorer)
    answers: dict[bool, list[tuple[int, bytes, list[tuple[str, str]]]]] = {}
    seen: list[str] = []
    for fast in (False, True):
        with TestClient(app(service_models_dir, scorer, url, fast)) as client:
            if fast:
                spy_route(client.app, seen)  # type: ignore[arg-type]
            answers[fast] = []
            for body, headers in cases(key):
                r = client.post("/v1/score", content=json.dumps(body).encode(),
                                headers={**headers, "content-type": "application/json"})
                kept = sorted((k, v) for k, v in r.headers.items() if k not in VOLATILE)
                answers[fast].append((r.status_code, r.content, kept))
    assert answers[True] == answers[False]
    assert seen == []  # every one of them answered by the fast path
    statuses = [a[0] for a in answers[True]]
    assert statuses == [200, 200, 200, 200, 403, 404, 200]
    models = [json.loads(a[1])["model"] for a in answers[True][:4]]
    assert [m["profile"] for m in models] == ["acme", "other", "acme", "acme"]
    assert all(m["adapter_version"] == 1 for m in models)
    plain = json.loads(answers[True][6][1])
    assert "profile" not in plain["model"] or plain["model"]["profile"] is None
