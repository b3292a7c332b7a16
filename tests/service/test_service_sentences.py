"""``"sentences": true`` on the REST API: every sentence of both fields with its score."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

# sentence ends the splitter must get right: "!", a newline, an abbreviation ("Mr.")
HEADLINE = "Furious parents slam 'disgraceful' school cuts"
BODY = "The board voted on Tuesday. Critics called the plan a shameful betrayal!\nMr. Lee left."


def test_sentences_on_request(client: TestClient) -> None:
    r = client.post("/v1/score", json={"headline": HEADLINE, "body": BODY, "sentences": True})
    assert r.status_code == 200
    got = r.json()
    fields = {"headline": HEADLINE, "body": BODY}
    assert [fields[s["field"]][s["start"]:s["end"]] for s in got["sentences"]] == [
        HEADLINE, "The board voted on Tuesday.", "Critics called the plan a shameful betrayal!",
        "Mr. Lee left."]
    assert all(set(s) == {"field", "start", "end", "sensationalism"} for s in got["sentences"])
    assert all(0.0 <= s["sensationalism"] <= 1.0 for s in got["sentences"])
    plain = client.post("/v1/score", json={"headline": HEADLINE, "body": BODY}).json()
    assert "sentences" not in plain
    assert plain == {k: v for k, v in got.items() if k != "sentences"}


def test_batch_mixes_items_with_and_without_sentences(client: TestClient) -> None:
    items = [{"id": "a", "body": BODY, "sentences": True}, {"id": "b", "body": BODY},
             {"id": "c", "body": BODY, "sentences": True, "explain": False}]
    results = client.post("/v1/score/batch", json={"items": items}).json()["results"]
    assert [r["id"] for r in results] == ["a", "b", "c"]
    assert len(results[0]["sentences"]) == 3 and "sentences" not in results[1]
    assert results[2]["spans"] == [] and results[2]["sentences"] == results[0]["sentences"]


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_sentences_must_be_a_boolean(client: TestClient, value: object) -> None:
    r = client.post("/v1/score", json={"body": BODY, "sentences": value})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "sentences"
