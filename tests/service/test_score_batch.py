"""``POST /v1/score/batch``: order, sizes, mixed options and the errors naming the item."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.apps import app_client, assert_error
from support.texts import BODY, HEADLINE

from hypemeter.scoring.scorer import Scorer

# every test here starts without HYPEMETER_* settings (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("clean_env")


def test_batch_order_and_sizes(client: TestClient, scorer: Scorer) -> None:
    items = [{"id": f"i{i}", "headline": HEADLINE if i % 2 else "", "body": BODY if i % 3 else
              "Plain council report."} for i in range(256)]
    r = client.post("/v1/score/batch", json={"items": items})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [res["id"] for res in results] == [f"i{i}" for i in range(256)]
    assert {res["model"]["version"] for res in results} == {scorer.version}
    single = client.post("/v1/score", json=items[5]).json()
    assert results[5] == single
    one = client.post("/v1/score/batch", json={"items": [{"body": BODY}]})
    assert one.status_code == 200 and len(one.json()["results"]) == 1


def test_batch_mixed_explain_keeps_order(client: TestClient) -> None:
    items = [
        {"id": "a", "headline": HEADLINE, "explain": True},
        {"id": "b", "headline": HEADLINE, "explain": False},
        {"id": "c", "headline": HEADLINE, "max_spans": 1},
        {"id": "d", "headline": HEADLINE},
    ]
    results = client.post("/v1/score/batch", json={"items": items}).json()["results"]
    assert [r["id"] for r in results] == ["a", "b", "c", "d"]
    assert results[1]["spans"] == []
    assert len(results[2]["spans"]) <= 1
    assert {**results[0], "id": "d"} == results[3]
    assert len({json.dumps(r["scores"], sort_keys=True) for r in results}) == 1


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"items": []}, 422, "items"),
        ({"items": [{"body": "x"}] * 257}, 422, "items"),
        ({}, 422, "items"),
        ({"items": {"body": "x"}}, 422, "items"),
        ({"items": [{"body": "x"}] * 3 + [{"body": 5}]}, 422, "items.3.body"),
        ({"items": [{"body": "x"}] * 3 + [{"headline": "", "body": " "}]}, 422, "items.3.body"),
        ({"items": [{"body": "x"}, {"body": "x", "explain": "no"}]}, 422, "items.1.explain"),
        ({"items": [{"body": "x"}, "not an object"]}, 422, "items.1"),
        ({"items": [{"body": "x"}], "extra": 1}, 422, "extra"),
    ],
)
def test_batch_errors_name_the_item(
    client: TestClient, payload: dict[str, Any], status: int, field: str
) -> None:
    r = client.post("/v1/score/batch", json=payload)
    assert_error(r, status, "invalid_input", field)


def test_batch_limit_is_a_setting(service_models_dir: Path, scorer: Scorer) -> None:
    with app_client(service_models_dir, scorer, max_batch_items=3) as c:
        assert c.post("/v1/score/batch", json={"items": [{"body": "x"}] * 3}).status_code == 200
        assert_error(c.post("/v1/score/batch", json={"items": [{"body": "x"}] * 4}), 422,
                     "invalid_input", "items")
