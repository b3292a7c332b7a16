"""The scoring path behind ``/v1/score``: the micro-batcher (coalescing, never mixing models,
errors kept to their article), batched scores equal to single ones, and the fast result
encoder equal to ``JSONResponse``."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from hypemeter.service.app import create_app
from hypemeter.service.batching import MicroBatcher
from hypemeter.service.schemas import ScoreRequest
from hypemeter.service.settings import Settings
from hypemeter.service.state import LoadedModel
from support.texts import BODY, HEADLINE

from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

# every test here starts without HYPEMETER_* settings (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("clean_env")


def _job_inputs(n: int) -> tuple[list[ScoreRequest], list[Article]]:
    items = [ScoreRequest(id=str(i), body=f"{BODY} {i}") for i in range(n)]
    return items, [Article(headline="", body=it.body or "", id=it.id) for it in items]


def test_micro_batcher_coalesces_while_busy(scorer: Scorer) -> None:
    calls: list[list[str]] = []

    def fake_score(loaded: LoadedModel, items: Any, articles: Any) -> list[Any]:
        calls.append([a.id for a in articles])
        time.sleep(0.05)
        return [f"result-{a.id}" for a in articles]

    loaded = LoadedModel.from_scorer(scorer)
    items, articles = _job_inputs(10)

    async def main() -> list[Any]:
        batcher = MicroBatcher(anyio.CapacityLimiter(1), fake_score, max_batch=6)
        out: list[Any] = [None] * 10

        async def one(i: int, delay: float) -> None:
            await anyio.sleep(delay)
            out[i] = await batcher.submit(loaded, items[i], articles[i])

        async with anyio.create_task_group() as tg:
            tg.start_soon(one, 0, 0.0)
            for i in range(1, 10):
                tg.start_soon(one, i, 0.01)
        return out

    out = anyio.run(main)
    assert out == [f"result-{i}" for i in range(10)]
    # the first request ran alone at once; the nine that queued meanwhile went 6 + 3
    assert [len(c) for c in calls] == [1, 6, 3]
    assert sorted(i for c in calls for i in c) == sorted(str(i) for i in range(10))


def test_micro_batcher_never_mixes_models(scorer: Scorer) -> None:
    calls: list[set[int]] = []

    def fake_score(loaded: LoadedModel, items: Any, articles: Any) -> list[Any]:
        time.sleep(0.02)
        calls.append({id(loaded)})
        return [id(loaded)] * len(articles)

    old, new = LoadedModel.from_scorer(scorer), LoadedModel.from_scorer(scorer)
    items, articles = _job_inputs(8)

    async def main() -> list[Any]:
        batcher = MicroBatcher(anyio.CapacityLimiter(1), fake_score)
        out: list[Any] = [None] * 8

        async def one(i: int) -> None:
            model = old if i % 2 else new
            out[i] = (id(model), await batcher.submit(model, items[i], articles[i]))

        async with anyio.create_task_group() as tg:
            for i in range(8):
                tg.start_soon(one, i)
        return out

    for expected, got in anyio.run(main):
        assert expected == got


def test_micro_batcher_propagates_errors(scorer: Scorer) -> None:
    def boom(loaded: LoadedModel, items: Any, articles: Any) -> list[Any]:
        raise RuntimeError("model exploded")

    loaded = LoadedModel.from_scorer(scorer)
    items, articles = _job_inputs(1)

    async def main() -> None:
        batcher = MicroBatcher(anyio.CapacityLimiter(1), boom)
        with pytest.raises(RuntimeError, match="model exploded"):
            await batcher.submit(loaded, items[0], articles[0])

    anyio.run(main)


def test_micro_batcher_isolates_a_failing_article(scorer: Scorer) -> None:
    def picky(loaded: LoadedModel, items: Any, articles: Any) -> list[Any]:
        time.sleep(0.02)
        if any(a.id == "3" for a in articles):
            raise ValueError("cannot score article 3")
        return [f"ok-{a.id}" for a in articles]

    loaded = LoadedModel.from_scorer(scorer)
    items, articles = _job_inputs(6)

    async def main() -> list[Any]:
        batcher = MicroBatcher(anyio.CapacityLimiter(1), picky)
        out: list[Any] = [None] * 6

        async def one(i: int) -> None:
            try:
                out[i] = await batcher.submit(loaded, items[i], articles[i])
            except ValueError as exc:
                out[i] = str(exc)

        async with anyio.create_task_group() as tg:
            for i in range(6):
                tg.start_soon(one, i)
        return out

    assert anyio.run(main) == ["ok-0", "ok-1", "ok-2", "cannot score article 3", "ok-4", "ok-5"]


class _FirstCallWaits:
    """The scorer, whose first model call waits for ``release``: the requests sent meanwhile
    queue up behind it, as they do behind a busy model (without it, whether any two requests
    meet depends on how fast each one reaches the batcher on this machine)."""

    def __init__(self, scorer: Scorer, release: threading.Event) -> None:
        self._scorer = scorer
        self._release = release
        self._waited = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._scorer, name)

    def score(self, *args: Any, **kwargs: Any) -> Any:
        if not self._waited:
            self._waited = True
            assert self._release.wait(30), "the test never released the first call"
        return self._scorer.score(*args, **kwargs)


def test_batched_scores_equal_single_scores(
    service_models_dir: Path, scorer: Scorer
) -> None:
    """Concurrent requests in batch mode get exactly what the core returns for each alone, and
    requests that arrive while the model is busy share its next call."""
    release = threading.Event()
    app = create_app(Settings(models_dir=service_models_dir, score_mode="batch", score_threads=1),
                     scorer=_FirstCallWaits(scorer, release))  # type: ignore[arg-type]
    payloads = [
        {"id": str(i), "headline": HEADLINE if i % 2 else "", "body": f"{BODY} {i}",
         "explain": i % 3 != 0, "max_spans": None if i % 4 else 2}
        for i in range(24)
    ]

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            sent = asyncio.gather(*(http.post("/v1/score", json=p) for p in payloads))
            await asyncio.sleep(0.5)  # the first call holds the model; the rest queue
            release.set()
            return list(await sent)

    responses = asyncio.run(main())
    for payload, resp in zip(payloads, responses, strict=True):
        assert resp.status_code == 200, resp.text
        article = Article(headline=payload["headline"], body=payload["body"], id=payload["id"])
        want = scorer.score_one(article, explain=payload["explain"],
                                max_spans=payload["max_spans"]).to_dict()
        assert resp.json() == json.loads(json.dumps(want))
    calls = app.state.metrics.registry.get_sample_value(
        "hypemeter_scoring_duration_seconds_count", {"route": "/v1/score"}
    )
    assert calls is not None and calls < len(payloads)  # some requests shared a model call


# --------------------------------------------------------------------------- response encoding


def test_result_encoding_matches_jsonresponse(scorer: Scorer) -> None:
    """The fast result encoder sends exactly the bytes and headers JSONResponse would."""
    from fastapi.responses import JSONResponse
    from hypemeter.service.encoding import batch_response, result_response

    from hypemeter.records.results import ModelInfo, ScoreResult, Span

    articles = [
        Article(HEADLINE, BODY, "a-1"),
        Article("", "Body only — “curly” ‘quotes’, émoji 🔥, tab\there, \\ and \"quote\"\r\n"),
        Article("ALL CAPS: YOU WON'T BELIEVE THIS", "", "\u2028id\x00"),
    ]
    results = scorer.score(articles)
    model = ModelInfo("hypemeter", "v\u00e9")
    odd = [  # types and values only the standard encoder handles (or refuses)
        ScoreResult(None, {"sensationalism": 1e-07, "misinformation_risk": 1}, [], model),
        ScoreResult("x", {"s": 0.5}, [Span("body", True, 2, "t", "c", 0.5)], model),  # type: ignore[arg-type]
        ScoreResult("x", {"s": float("nan")}, [], model),
    ]
    for result in [*results, *odd[:2]]:
        expected, got = JSONResponse(result.to_dict()), result_response(result)
        assert got.body == expected.body
        assert got.raw_headers == expected.raw_headers
    with pytest.raises(ValueError):
        result_response(odd[2])
    expected = JSONResponse({"results": [r.to_dict() for r in results]})
    assert batch_response(results).body == expected.body
    assert batch_response(results).raw_headers == expected.raw_headers
