"""Benchmark the feedback API's writes, then kill the server in the middle of them.

1. Starts ``hypemeter serve --workers 2`` on a free loopback port with a fresh SQLite
   database (or ``--database URL``), sends ``--n`` ``POST /v1/feedback`` from ``--clients``
   concurrent clients (asyncio, one keep-alive connection each) and prints how many were
   acknowledged (201), how many of those are stored, how many are lost, and the client-side
   and server-side (``Server-Timing``) p50/p99 latency.
2. Starts the server again on the same database, keeps the clients writing, and after
   ``--kill-at`` acknowledged writes kills the whole server (``SIGKILL`` to its process group: the
   uvicorn parent and both workers) while writes are in flight. Then it opens the database
   afresh, runs the integrity check (SQLite ``PRAGMA integrity_check``) and verifies that every
   acknowledged id is there.

    .venv/bin/python benchmarks/bench_feedback.py                   # 1,000 POSTs, 16 clients
    .venv/bin/python benchmarks/bench_feedback.py --n 200 --clients 8 --kill-at 100

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from serve_support import Served, start_serve

REPO = Path(__file__).resolve().parents[1]
HEADLINE = "Furious residents SLAM council's shocking {i}th bin plan"
BODY = ("The council voted on Monday to collect household bins every two weeks instead of "
        "weekly. The change starts in April and is expected to save 1.2 million a year.")


@dataclass
class Tally:
    acked: list[str] = field(default_factory=list)
    client_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


def start_server(database: str, models: Path, workers: int, workdir: Path) -> Served:
    return start_serve(models, workdir, {"HYPEMETER_DATABASE_URL": database,
                                         "HYPEMETER_LOG_LEVEL": "warning"},
                       workers=workers, log_name="server-{port}.log")


async def write(url: str, n: int | None, clients: int, tally: Tally,
                stop: asyncio.Event) -> None:
    counter = iter(range(10**9))

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            while not stop.is_set():
                i = next(counter)
                if n is not None and i >= n:
                    return
                body = {"headline": HEADLINE.format(i=i), "body": BODY,
                        "labels": {"sensational": i % 2, "misinformation": 0}}
                t0 = time.perf_counter()
                try:
                    r = await http.post("/v1/feedback", json=body)
                except httpx.TransportError as exc:
                    tally.failed += 1
                    tally.errors.append(repr(exc))
                    if n is None:
                        return  # the server is gone
                    continue
                tally.statuses[r.status_code] = tally.statuses.get(r.status_code, 0) + 1
                if r.status_code == 201:
                    tally.client_ms.append((time.perf_counter() - t0) * 1000)
                    tally.acked.append(r.json()["feedback_id"])
                    timing = r.headers.get("server-timing", "")
                    if "dur=" in timing:
                        tally.server_ms.append(float(timing.split("dur=")[1].split(",")[0]))

    await asyncio.gather(*(client() for _ in range(clients)))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def stored_ids(database: str) -> tuple[set[str], str]:
    """Every id in a freshly opened database, and the integrity check's verdict."""
    from sqlalchemy import text

    from hypemeter.storage import FeedbackStore
    from hypemeter.storage.tables import FeedbackRow

    store = FeedbackStore(database)
    engine = store.engine()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            verdict = ";".join(r[0] for r in conn.execute(text("PRAGMA integrity_check")))
        else:
            verdict = "n/a (PostgreSQL)"
        ids = {r[0] for r in conn.execute(text(f"SELECT id FROM {FeedbackRow.__tablename__}"))}
    store.close()
    return ids, verdict


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="POSTs in the measured run")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--kill-at", type=int, default=300,
                    help="kill -9 the server once this many writes were acknowledged "
                    "(0: skip that part)")
    ap.add_argument("--database", default=None,
                    help="database URL (default: a fresh SQLite file in a temp folder)")
    ap.add_argument("--model", type=Path, default=REPO / "models",
                    help="models dir or bundle")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-feedback-") as tmp:
        workdir = Path(tmp)
        database = args.database or f"sqlite:///{workdir / 'feedback.db'}"
        print(f"database: {database.split('@')[-1]}; {args.workers} workers, "
              f"{args.clients} clients")

        server = start_server(database, args.model, args.workers, workdir)
        tally = Tally()
        t0 = time.perf_counter()
        try:
            asyncio.run(write(server.url, args.n, args.clients, tally, asyncio.Event()))
        finally:
            server.stop()
        seconds = time.perf_counter() - t0
        ids, verdict = stored_ids(database)
        lost = len(set(tally.acked) - ids)
        print(f"run: {args.n} POSTs in {seconds:.1f}s ({args.n / seconds:.0f}/s); "
              f"statuses {dict(sorted(tally.statuses.items()))}; transport errors "
              f"{tally.failed}")
        print(f"stored {len(set(tally.acked) & ids)} of {len(tally.acked)} acknowledged; "
              f"lost {lost}")
        print(f"latency client p50 {pct(tally.client_ms, 50):.1f} ms, p99 "
              f"{pct(tally.client_ms, 99):.1f} ms; server p50 {pct(tally.server_ms, 50):.1f} ms,"
              f" p99 {pct(tally.server_ms, 99):.1f} ms")

        if args.kill_at > 0:
            before = len(ids)
            server = start_server(database, args.model, args.workers, workdir)
            crash = Tally()

            async def run_and_kill() -> None:
                stop = asyncio.Event()
                writers = asyncio.create_task(write(server.url, None, args.clients, crash,
                                                    stop))
                deadline = time.monotonic() + 120
                while len(crash.acked) < args.kill_at and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
                server.signal(signal.SIGKILL)  # parent and workers, mid-write
                await writers

            asyncio.run(run_and_kill())
            server.proc.wait(timeout=30)
            ids, verdict = stored_ids(database)
            missing = set(crash.acked) - ids
            print(f"kill -9 during writes: {len(crash.acked)} acknowledged, {crash.failed} "
                  f"cut off in flight; integrity check: {verdict}; "
                  f"acknowledged but missing: {len(missing)}; rows now {len(ids)} "
                  f"(before {before})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
