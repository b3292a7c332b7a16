"""The per-request path made cheaper (issue 21) keeps its behaviour: one outer layer for the
request context, the rollout check and the concurrency limit; request ids shaped like
``uuid4().hex``; access-log records and lines as ``Logger.info`` and ``json.dumps`` made them;
log lines of a loop's turn written together, in order; the body's deadline cancels only what
it should."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import threading
import uuid
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from hypemeter.service.app import create_app
from hypemeter.service.fast_score import FastScoreMiddleware
from hypemeter.service.logging import ACCESS_LOGGER, JsonFormatter, configure_logging, log_access
from hypemeter.service.middleware import (
    BodyLimitMiddleware,
    RequestContextMiddleware,
    new_request_id,
)
from hypemeter.service.settings import Settings
from support.texts import BODY

from hypemeter.scoring.scorer import Scorer

pytestmark = pytest.mark.usefixtures("clean_env")


def _layers(app: Any) -> list[type]:
    layer, out = app.middleware_stack, []
    while layer is not None:
        out.append(type(layer))
        layer = getattr(layer, "app", None)
    return out


def test_context_rollout_and_limit_are_one_layer(service_models_dir: Path,
                                                 scorer: Scorer) -> None:
    app = create_app(Settings(models_dir=service_models_dir), scorer=scorer)
    app.middleware_stack = app.build_middleware_stack()
    layers = _layers(app)
    i = layers.index(RequestContextMiddleware)
    assert layers[i + 1:i + 3] == [BodyLimitMiddleware, FastScoreMiddleware]


def test_limit_still_sheds_load_behind_the_context(service_models_dir: Path,
                                                  scorer: Scorer) -> None:
    """Past the limit: 503 with Retry-After, a request id, an access-log line; probes pass."""
    app = create_app(Settings(models_dir=service_models_dir, max_concurrency=1), scorer=scorer)
    lines: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record)

    keep = Keep()
    logging.getLogger(ACCESS_LOGGER).addHandler(keep)

    async def scenario() -> None:
        release = asyncio.Event()

        async def slow_body() -> Any:  # holds the one slot until released
            yield b'{"body": "'
            await release.wait()
            yield b'x"}'

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = asyncio.create_task(client.post(
                "/v1/score", content=slow_body(), headers={"content-type": "application/json"}))
            await asyncio.sleep(0.2)
            busy = await client.post("/v1/score", json={"body": BODY},
                                     headers={"X-Request-ID": "shed-1"})
            probe = await client.get("/healthz")
            release.set()
            done = await held
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert busy.headers["x-request-id"] == "shed-1" and "server-timing" in busy.headers
        assert busy.json()["error"]["code"] == "overloaded"
        assert probe.status_code == 200 and done.status_code == 200

    try:
        asyncio.run(scenario())
    finally:
        logging.getLogger(ACCESS_LOGGER).removeHandler(keep)
    shed = [r for r in lines if r.fields["request_id"] == "shed-1"]  # type: ignore[attr-defined]
    assert len(shed) == 1 and shed[0].fields["status"] == 503  # type: ignore[attr-defined]


def test_request_ids_are_uuid4_hex() -> None:
    for _ in range(500):
        raw = bytes(__import__("os").urandom(16))
        with mock.patch("os.urandom", lambda n, raw=raw: raw):
            assert new_request_id() == uuid.UUID(bytes=raw, version=4).hex
    assert len({new_request_id() for _ in range(1000)}) == 1000


def test_access_record_is_what_logger_info_made() -> None:
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    logger = logging.getLogger(ACCESS_LOGGER)
    keep = Keep()
    logger.addHandler(keep)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        fields = {"request_id": "r", "status": 200}
        log_access(fields)
        logger.info("request", extra={"fields": fields})  # the reference
        logger.setLevel(logging.WARNING)
        log_access(fields)  # below the level: no record
    finally:
        logger.removeHandler(keep)
        logger.setLevel(old_level)
    ours, ref = seen
    assert len(seen) == 2
    for name in ("name", "levelno", "levelname", "msg", "args", "exc_info", "fields",
                 "process", "thread", "threadName"):
        assert getattr(ours, name) == getattr(ref, name), name
    assert ours.funcName == "log_access" and ours.pathname.endswith("logging.py")


@pytest.mark.parametrize("fields", [
    {"path": "/v1/é\u2028\"\\\n", "latency_ms": 1.5, "status": 200},
    {"client": None, "odd": Path("/x"), "big": 10**30, "f": float("nan")},
])
def test_json_lines_are_what_json_dumps_made(fields: dict[str, Any]) -> None:
    record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1, "request", (), None)
    record.fields = fields
    line = JsonFormatter().format(record)
    expected = json.loads(line)
    assert line == json.dumps(expected | {k: (str(v) if isinstance(v, Path) else v)
                                          for k, v in fields.items()},
                              ensure_ascii=False, default=str)


class _Stream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, s: str) -> int:
        self.writes.append(s)
        return super().write(s)


def captured_stderr(monkeypatch: pytest.MonkeyPatch) -> _Stream:
    """stderr replaced by a stream that records its writes, with hypemeter's logging on it
    (in the test's body: pytest's own capture takes stderr back after a fixture's set-up)."""
    out = _Stream()
    monkeypatch.setattr(sys, "stderr", out)
    configure_logging("info")
    return out


LOG = logging.getLogger("hypemeter.test_request_path")


def test_lines_of_a_turn_are_written_together_and_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = captured_stderr(monkeypatch)
    log = LOG

    async def scenario() -> None:
        for i in range(3):
            log.info("on the loop %d", i)
        assert stream.writes == []  # not yet: at the end of the turn
        # a line from another thread goes at once, after the ones waiting
        worker = threading.Thread(target=log.info, args=("from a thread",))
        worker.start()
        worker.join()
        assert len(stream.writes) == 1
        log.info("later")
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    asyncio.run(scenario())
    log.info("after the loop")  # no loop: at once
    msgs = [json.loads(line)["msg"] for line in stream.getvalue().splitlines()]
    assert msgs == ["on the loop 0", "on the loop 1", "on the loop 2", "from a thread",
                    "later", "after the loop"]
    assert len(stream.writes) == 3  # the thread's write took the loop's three lines along


def test_a_loop_that_ended_before_its_flush_does_not_hold_lines_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = captured_stderr(monkeypatch)
    log = LOG
    first = asyncio.new_event_loop()

    async def log_only() -> None:
        log.info("first loop")

    first.run_until_complete(log_only())  # the flush is due on `first`, never run
    first.close()

    async def second() -> None:
        log.info("second loop")
        await asyncio.sleep(0)

    asyncio.run(second())
    assert [json.loads(x)["msg"] for x in stream.getvalue().splitlines()] == [
        "first loop", "second loop"]


def _body_app(timeout: float, inner_sleep: float) -> tuple[BodyLimitMiddleware, list[str]]:
    seen: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(inner_sleep)  # past the body's deadline: must not be cancelled
        seen.append("done")

    return BodyLimitMiddleware(inner, max_bytes=100, timeout=timeout), seen


def test_the_body_deadline_ends_with_the_body() -> None:
    app, seen = _body_app(timeout=0.05, inner_sleep=0.15)
    scope = {"type": "http", "method": "POST", "path": "/x", "headers": []}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Any) -> None:
        raise AssertionError(f"nothing to send: {message}")

    asyncio.run(app(scope, receive, send))
    assert seen == ["done"]


def test_a_cancel_from_elsewhere_is_not_taken_for_the_deadline() -> None:
    app, _ = _body_app(timeout=5.0, inner_sleep=0)
    scope = {"type": "http", "method": "POST", "path": "/x", "headers": []}
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(10)
        raise AssertionError("unreachable")

    async def send(message: Any) -> None:
        sent.append(message)

    async def scenario() -> None:
        task = asyncio.create_task(app(scope, receive, send))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert sent == []  # no 408


def test_the_worker_sets_the_switch_interval(service_models_dir: Path, scorer: Scorer) -> None:
    before = sys.getswitchinterval()
    try:
        create_app(Settings(models_dir=service_models_dir), scorer=scorer)
        assert sys.getswitchinterval() == pytest.approx(0.001)
        create_app(Settings(models_dir=service_models_dir, switch_interval_ms=2.5), scorer=scorer)
        assert sys.getswitchinterval() == pytest.approx(0.0025)
        sys.setswitchinterval(0.005)
        create_app(Settings(models_dir=service_models_dir, switch_interval_ms=0), scorer=scorer)
        assert sys.getswitchinterval() == pytest.approx(0.005)  # 0: left as it was
    finally:
        sys.setswitchinterval(before)
