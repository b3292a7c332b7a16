"""In-process tests of the service's hardening (issue 12): each guards a defect that the code
before it had, on the app exactly as ``create_app`` builds it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.schemas import DEFAULT_MAX_SPANS
from hypemeter.service.server import serve
from hypemeter.service.settings import Settings
from pydantic import ValidationError
from support.apps import assert_error
from support.paths import MODELS
from support.texts import ADMIN_KEY, API_KEY

from hypemeter.scoring.scorer import Scorer

JSON = {"Content-Type": "application/json"}


# every test here starts without HYPEMETER_* settings (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("clean_env")


# ----------------------------------------------------------------- the key before the body


@pytest.mark.parametrize("body", [b'{"body": ', b"[[[", b'{"items": 3}', b"\xff\xfe"])
@pytest.mark.parametrize("path", ["/v1/score", "/v1/score/batch"])
def test_missing_key_is_401_even_with_a_malformed_body(
    loaded_client: TestClient, path: str, body: bytes
) -> None:
    assert_error(loaded_client.post(path, content=body, headers=JSON), 401, "unauthorized")
    wrong = {**JSON, "X-API-Key": "wrong"}
    assert_error(loaded_client.post(path, content=body, headers=wrong), 401, "unauthorized")
    right = {**JSON, "X-API-Key": API_KEY}
    assert_error(loaded_client.post(path, content=body, headers=right), 422, "invalid_input",
                 ...)


def test_reload_without_admin_key_is_401_even_with_a_malformed_body(
    loaded_client: TestClient,
) -> None:
    r = loaded_client.post("/v1/admin/reload", content=b'{"version": ', headers=JSON)
    assert_error(r, 401, "unauthorized")
    r = loaded_client.post("/v1/admin/reload", content=b'{"version": ',
                    headers={**JSON, "X-API-Key": API_KEY})  # the API key is not the admin key
    assert_error(r, 401, "unauthorized")


# ----------------------------------------------------------------- keys are printable ASCII


@pytest.mark.parametrize("key", ["clé-ü", "key\twith-tab", "ключ", " padded "])
def test_non_ascii_keys_are_refused_at_start(
    key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValidationError, match=r"printable ASCII|spaces"):
        Settings(api_key=key)
    monkeypatch.setenv("HYPEMETER_ADMIN_KEY", key)
    assert serve(port=1) == 2  # refused before anything is bound
    err = capsys.readouterr().err
    assert "HYPEMETER_ADMIN_KEY" in err and key.strip() not in err


def test_printable_ascii_keys_still_work(service_models_dir: Path, scorer: Scorer) -> None:
    key = "Abc-123_x.y~z!$&'()*+,;=:@ ok"
    app = create_app(Settings(models_dir=service_models_dir, api_key=key), scorer=scorer)
    with TestClient(app) as client:
        r = client.post("/v1/score", json={"body": "Plain text."}, headers={"X-API-Key": key})
        assert r.status_code == 200, r.text


# ----------------------------------------------------------------- spans are capped


def test_spans_have_a_default_cap_per_article(loaded_client: TestClient) -> None:
    key = {"X-API-Key": API_KEY}
    loud = {"body": "SHOCKING! " * 3000}
    assert len(loaded_client.post("/v1/score", json=loud, headers=key).json()["spans"]) == 100
    assert DEFAULT_MAX_SPANS == 100
    capped = loaded_client.post("/v1/score", json={**loud, "max_spans": None}, headers=key)
    assert len(capped.json()["spans"]) == 100
    more = loaded_client.post("/v1/score", json={**loud, "max_spans": 2000}, headers=key)
    assert len(more.json()["spans"]) == 2000
    batch = loaded_client.post("/v1/score/batch", json={"items": [loud, loud]}, headers=key)
    assert [len(r["spans"]) for r in batch.json()["results"]] == [100, 100]


# ----------------------------------------------------------------- messages


@pytest.mark.parametrize("version", ["tampered", "does-not-exist"])
def test_reload_errors_name_no_server_path(
    loaded_client: TestClient, service_models_dir: Path, version: str
) -> None:
    r = loaded_client.post("/v1/admin/reload", json={"version": version},
                           headers={"X-API-Key": ADMIN_KEY})
    error = assert_error(r, 409 if version == "tampered" else 404,
                         "model_checksum_mismatch" if version == "tampered"
                         else "model_version_not_found", ...)
    for root in (service_models_dir, service_models_dir.resolve(), Path("/tmp")):
        assert str(root) not in error["message"]
    assert not any(word.startswith("/") for word in error["message"].split())
    if version == "tampered":
        assert "tampered/model.pkl.gz" in error["message"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"body": "a\x01b"}', "not valid JSON: Invalid control character at character 11"),
        (b'{"body": "x"} trailing', "not valid JSON: Extra data at character 14"),
        (b"[" * 100_000, "nested too deeply"),
        (b'{"body": 1' + b"2" * 5000 + b"}", "number with too many digits"),
    ],
)
def test_json_errors_read_well(loaded_client: TestClient, raw: bytes, expected: str) -> None:
    r = loaded_client.post("/v1/score", content=raw, headers={**JSON, "X-API-Key": API_KEY})
    message = assert_error(r, 422, "invalid_input")["message"]
    assert expected in message
    assert " at at " not in message and "UTF-8 JSON expected" not in message


# ----------------------------------------------------------------- the concurrency limit


def test_concurrency_limit_answers_503_with_retry_after(
    service_models_dir: Path, scorer: Scorer
) -> None:
    app = create_app(Settings(models_dir=service_models_dir, max_concurrency=1), scorer=scorer)

    async def scenario() -> None:
        release = asyncio.Event()

        async def slow_body() -> AsyncIterator[bytes]:  # holds the one slot until released
            yield b'{"body": "Slow '
            await release.wait()
            yield b'client."}'

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = asyncio.create_task(client.post("/v1/score", content=slow_body(),
                                                    headers=JSON))
            await asyncio.sleep(0.2)
            busy = await client.post("/v1/score", json={"body": "Turned away."})
            assert_error(busy, 503, "overloaded")
            assert busy.headers["retry-after"] == "1"
            assert (await client.get("/healthz")).status_code == 200  # probes always pass
            assert (await client.get("/metrics")).status_code == 200
            release.set()
            assert (await first).status_code == 200
            again = await client.post("/v1/score", json={"body": "Admitted again."})
            assert again.status_code == 200

    asyncio.run(scenario())


def test_slow_body_gets_408(service_models_dir: Path, scorer: Scorer) -> None:
    app = create_app(Settings(models_dir=service_models_dir, body_timeout=0.3), scorer=scorer)

    async def scenario() -> None:
        async def slow_body() -> AsyncIterator[bytes]:
            yield b'{"body": "'
            await asyncio.sleep(2)
            yield b'late"}'

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.post("/v1/score", content=slow_body(), headers=JSON)
            assert_error(r, 408, "request_timeout")
            assert r.headers["connection"] == "close"

    asyncio.run(scenario())


# ----------------------------------------------------------------- documentation and examples


def test_redoc_and_illustrative_examples(loaded_client: TestClient) -> None:
    r = loaded_client.get("/redoc")
    assert r.status_code == 200 and "redoc" in r.text.lower()
    schemas = loaded_client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("ScoreResponse", "ScoreBatchResponse"):
        assert "illustrative" in schemas[name]["description"]


# ----------------------------------------------------------------- fixed expectations


def test_fixed_spans_and_scores_from_the_shipped_model(tmp_path: Path) -> None:
    """The app the factory builds, over the models folder the project ships, on texts written
    for this test: the spans are fixed offsets, not read back from the response."""
    settings = Settings(models_dir=MODELS)
    with TestClient(create_app(settings)) as client:
        r = client.post("/v1/score", json={
            "headline": "SHOCKING: you won't believe what happened next at the council",
            "body": "The council met on Tuesday to discuss the new bus timetable.",
        })
        assert r.status_code == 200, r.text
        result = r.json()
        spans = [(s["field"], s["start"], s["end"], s["text"], s["category"])
                 for s in result["spans"]]
        assert spans == [
            ("headline", 0, 8, "SHOCKING", "loaded_language"),
            ("headline", 10, 27, "you won't believe", "clickbait"),
            ("headline", 28, 46, "what happened next", "clickbait"),
        ]
        assert result["scores"]["sensationalism"] > 0.7
        sober = client.post("/v1/score", json={
            "headline": "Council approves bus timetable",
            "body": "The council met on Tuesday and approved the new bus timetable by seven "
                    "votes to two. It takes effect in March.",
        }).json()
        assert sober["spans"] == []
        assert sober["scores"]["sensationalism"] < 0.3
        assert sober["scores"]["misinformation_risk"] < 0.3


# ----------------------------------------------------------------- two workers, one run folder


def test_rollout_between_two_holders_sharing_a_run_folder(
    service_models_dir: Path, tmp_path: Path
) -> None:
    """Two workers' sides of :mod:`hypemeter.service.rollout` in one process (the second
    reports under the parent's pid, so both count as live)."""
    import anyio
    from hypemeter.service.rollout import Rollout
    from hypemeter.service.state import ModelHolder

    from hypemeter.errors import ChecksumMismatchError

    run = tmp_path / "run"
    a = Rollout(ModelHolder(service_models_dir), run)
    b = Rollout(ModelHolder(service_models_dir), run)
    b.pid = os.getppid()
    a.startup(None)
    b.startup(None)  # follows what a published at start, not its own pick
    assert a.status() == {"status": "reloaded", "generation": 1, "version": "v1",
                          "workers": {"total": 2, "on_version": 2, "failed": 0}}

    with pytest.raises(ChecksumMismatchError):
        a.publish("tampered")
    assert a.read_state()[1] is None and a.desired().generation == 1  # nothing published
    assert a.holder.current.version == b.holder.current.version == "v1"

    loaded, generation = a.publish("v2")
    assert (loaded.version, generation) == ("v2", 2)
    status = a.status(generation)
    assert status["status"] == "in_progress" and status["workers"]["on_version"] == 1

    async def follow() -> None:
        with anyio.move_on_after(30):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(b.watch)
                while b.applied != generation:
                    b.poke()
                    await anyio.sleep(0.05)
                tasks.cancel_scope.cancel()

    anyio.run(follow)
    assert b.holder.current.version == "v2"
    assert a.wait(generation, timeout=5)["status"] == "reloaded"
    b.shutdown()
    assert a.status()["workers"]["total"] == 1
