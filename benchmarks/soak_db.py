"""The database faults of ``benchmarks/soak.py --db-faults``: a real ``hypemeter serve
--workers 2`` on a real PostgreSQL (started here, tests/support/postgres.py), under steady
scoring and feedback load, through one phase per fault:

* ``baseline``: no fault;
* ``postgres-stopped``: ``pg_ctl stop -m fast`` at the start, started again at the end;
* ``postgres-frozen``: every PostgreSQL process ``SIGSTOP``-ed, ``SIGCONT`` at the end;
* ``nul-correction``: corrections with U+0000 in headline, body, note or id (422 expected);
* ``oversized-list``: ``GET /v1/feedback?limit=1000`` over ~1 MB corrections (the database
  holds ``--big-rows`` of them), page after page;
* ``recovered``: no fault again.

Printed per phase: requests, unexpected 5xx (goal 0; a 503 ``database_unavailable`` that
starts during a stopped/frozen phase or within ``GRACE`` seconds after it is expected), the
longest request (goal: under ``HYPEMETER_DATABASE_TIMEOUT`` + 1 s) and each worker's RSS at
the phase's start and end (goal: growth under 10%).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from serve_support import start_serve  # noqa: E402
from support.postgres import PostgresServer, require_postgres, running_postgres  # noqa: E402

ADMIN_KEY = "soak-db-admin-key-0123456789"
ADMIN = {"X-API-Key": ADMIN_KEY}
GRACE = 3.0  # seconds after a database fault ends in which a 503 still counts as expected
PHASES = ("baseline", "postgres-stopped", "postgres-frozen", "nul-correction",
          "oversized-list", "recovered")
DB_FAULTS = ("postgres-stopped", "postgres-frozen")
CORRECTION = {"headline": "Council SLAMS bin plan", "body": "The vote was 5-4 on Monday.",
              "labels": {"sensational": 1}}


@dataclass
class Record:
    phase: str
    kind: str
    start: float
    seconds: float
    status: int  # 0: transport error
    code: str


@dataclass
class Run:
    lock: threading.Lock = field(default_factory=threading.Lock)
    phase: str = "warm-up"
    records: list[Record] = field(default_factory=list)
    fault_windows: list[tuple[float, float]] = field(default_factory=list)

    def call(self, http: httpx.Client, kind: str, method: str, path: str,
             **kw: Any) -> httpx.Response | None:
        phase, t0 = self.phase, time.monotonic()
        try:
            r = http.request(method, path, **kw)
            if kind == "list" and r.status_code == 200:
                r.read()
            status = r.status_code
            try:
                code = r.json()["error"]["code"] if status >= 400 else ""
            except (ValueError, KeyError, TypeError):
                code = "?"
        except httpx.TransportError as exc:
            r, status, code = None, 0, type(exc).__name__
        with self.lock:
            self.records.append(Record(phase, kind, t0, time.monotonic() - t0, status, code))
        return r


def feedback_client(url: str, run: Run, stop: threading.Event) -> None:
    i = 0
    with httpx.Client(base_url=url, timeout=120) as http:
        while not stop.is_set():
            i += 1
            if run.phase == "nul-correction" and i % 2:
                field_name = ("headline", "body", "note", "id")[i // 2 % 4]
                body = {**CORRECTION, field_name: "before\u0000after"}
                run.call(http, "nul-correction", "POST", "/v1/feedback", json=body)
            else:
                run.call(http, "post", "POST", "/v1/feedback", json=CORRECTION)
            run.call(http, "get", "GET", "/v1/feedback", params={"limit": 5}, headers=ADMIN)
            stop.wait(0.05)


def list_client(url: str, run: Run, stop: threading.Event) -> None:
    """The oversized list, page after page, during its phase (a small list otherwise)."""
    with httpx.Client(base_url=url, timeout=120, headers=ADMIN) as http:
        cursor = None
        while not stop.is_set():
            if run.phase != "oversized-list":
                run.call(http, "list-small", "GET", "/v1/feedback", params={"limit": 20})
                stop.wait(0.5)
                continue
            params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            r = run.call(http, "list", "GET", "/v1/feedback", params=params)
            cursor = None
            if r is not None and r.status_code == 200:
                cursor = r.json()["next_cursor"]


def score_client(url: str, run: Run, stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=120) as http:
        while not stop.is_set():
            run.call(http, "score", "POST", "/v1/score",
                     json={"headline": "Plain headline", "body": "The report was published."})


def seed(url: str, big_rows: int) -> None:
    from hypemeter.storage import FeedbackStore, NewFeedback

    store = FeedbackStore(url)
    body = "A long and sober account of the council budget, line by line. " * 15_000
    for i in range(big_rows):
        store.add(NewFeedback(headline=f"big {i}", body=body[: 950_000 - i], sensational=0))
    store.close()


def pg_processes(pg: PostgresServer) -> list[psutil.Process]:
    pid = int((pg.data_dir / "postmaster.pid").read_text().split()[0])
    master = psutil.Process(pid)
    return [master, *master.children(recursive=True)]


def pg_ctl(pg: PostgresServer, *args: str) -> None:
    subprocess.run([*pg.prefix, str(pg.bin_dir / "pg_ctl"), "-D", str(pg.data_dir), *args],
                   capture_output=True, check=True, timeout=120)


def start_pg_again(pg: PostgresServer) -> None:
    log = pg.data_dir.parent / "server.log"
    sockets = pg.data_dir.parent / "sockets"
    opts = (f"-p {pg.port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=50")
    pg_ctl(pg, "-l", str(log), "-o", opts, "-w", "-t", "60", "start")


def worker_rss(proc: Any) -> dict[int, float]:
    out = {}
    for child in psutil.Process(proc.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "resource_tracker" not in " ".join(child.cmdline()):
                out[child.pid] = child.memory_info().rss / 2**20
    return out


def expected(rec: Record, windows: list[tuple[float, float]]) -> bool:
    """Whether a non-2xx answer is one the fault explains."""
    if rec.kind == "nul-correction":
        return rec.status == 422
    if rec.status == 503 and rec.code == "database_unavailable":
        return any(a <= rec.start <= b + GRACE for a, b in windows)
    return False


def run(phase_seconds: float, db_timeout: float, big_rows: int, clients: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="hypemeter-soak-db-"))
    with running_postgres(require_postgres()) as pg:
        url = pg.create_database("soak")
        seed(url, big_rows)
        served = start_serve((REPO / "models" / "current").resolve(), workdir, {
            "HYPEMETER_DATABASE_URL": url, "HYPEMETER_ADMIN_KEY": ADMIN_KEY,
            "HYPEMETER_DATABASE_TIMEOUT": str(db_timeout), "HYPEMETER_LOG_LEVEL": "warning",
        }, workers=2, timeout=180)
        state, stop = Run(), threading.Event()
        threads = [threading.Thread(target=feedback_client, args=(served.url, state, stop))
                   for _ in range(clients)]
        threads += [threading.Thread(target=score_client, args=(served.url, state, stop)),
                    threading.Thread(target=list_client, args=(served.url, state, stop))]
        phases: list[dict[str, Any]] = []
        try:
            for t in threads:
                t.start()
            time.sleep(3)  # warm-up: every worker has pooled connections
            for name in PHASES:
                rss_start = worker_rss(served.proc)
                began = time.monotonic()
                state.phase = name
                if name == "postgres-stopped":
                    pg_ctl(pg, "-m", "fast", "-w", "stop")
                    stop.wait(phase_seconds)
                    start_pg_again(pg)
                elif name == "postgres-frozen":
                    procs = pg_processes(pg)
                    for p in procs:
                        os.kill(p.pid, signal.SIGSTOP)
                    try:
                        stop.wait(phase_seconds)
                    finally:
                        for p in reversed(procs):
                            with contextlib.suppress(ProcessLookupError):
                                os.kill(p.pid, signal.SIGCONT)
                else:
                    stop.wait(phase_seconds)
                if name in DB_FAULTS:
                    state.fault_windows.append((began, time.monotonic()))
                phases.append({"phase": name, "rss_start": rss_start,
                               "rss_end": worker_rss(served.proc)})
            state.phase = "done"
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=180)
            served.stop()
    return summarise(state, phases, db_timeout)


def summarise(state: Run, phases: list[dict[str, Any]], db_timeout: float) -> dict[str, Any]:
    out = []
    for entry in phases:
        name = entry["phase"]
        recs = [r for r in state.records if r.phase == name]
        unexpected = Counter(f"{r.kind} -> {r.status} {r.code}" for r in recs
                             if (r.status >= 500 or r.status == 0)
                             and not expected(r, state.fault_windows))
        other = Counter(f"{r.kind} -> {r.status} {r.code}" for r in recs
                        if 400 <= r.status < 500 and not expected(r, state.fault_windows))
        ok = Counter(r.kind for r in recs if 200 <= r.status < 300)
        expected_codes = Counter(f"{r.kind} -> {r.status} {r.code}" for r in recs
                                 if r.status >= 400 and expected(r, state.fault_windows))
        longest = max(recs, key=lambda r: r.seconds, default=None)
        workers = []
        for pid, start in entry["rss_start"].items():
            end = entry["rss_end"].get(pid)
            workers.append({"pid": pid, "start_mb": round(start, 1),
                            "end_mb": round(end, 1) if end is not None else None,
                            "growth_pct": round(100 * (end - start) / start, 1)
                            if end is not None else None})
        out.append({
            "phase": name,
            "requests": len(recs),
            "ok_by_kind": dict(ok),
            "expected_non_2xx": dict(expected_codes),
            "unexpected_5xx": sum(unexpected.values()),
            "unexpected_5xx_by_cause": dict(unexpected),
            "unexpected_4xx": dict(other),
            "longest_s": round(longest.seconds, 2) if longest else None,
            "longest_kind": longest.kind if longest else None,
            "longest_goal_s": db_timeout + 1,
            "rss_workers": workers,
        })
    return {"database_timeout_s": db_timeout, "phases": out}


def report(result: dict[str, Any]) -> None:
    print(f"database faults (HYPEMETER_DATABASE_TIMEOUT={result['database_timeout_s']:g} s; "
          f"goals: 0 unexpected 5xx, longest < {result['database_timeout_s'] + 1:g} s, "
          "RSS growth < 10% per worker)")
    print(f"{'phase':18} {'requests':>8} {'unexp.5xx':>9} {'longest s':>9}  RSS per worker "
          "(MB start -> end, growth)")
    for p in result["phases"]:
        rss = "; ".join(f"{w['start_mb']:.0f} -> {w['end_mb']:.0f} ({w['growth_pct']:+.1f}%)"
                        if w["end_mb"] is not None else f"{w['start_mb']:.0f} -> gone"
                        for w in p["rss_workers"])
        print(f"{p['phase']:18} {p['requests']:>8} {p['unexpected_5xx']:>9} "
              f"{p['longest_s']:>9} ({p['longest_kind']})  {rss}")
        if p["unexpected_5xx_by_cause"] or p["unexpected_4xx"]:
            print(f"{'':18} unexpected: {p['unexpected_5xx_by_cause']} {p['unexpected_4xx']}")
        print(f"{'':18} expected non-2xx: {p['expected_non_2xx']}  2xx: {p['ok_by_kind']}")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase-seconds", type=float, default=12.0)
    parser.add_argument("--db-timeout", type=float, default=5.0)
    parser.add_argument("--big-rows", type=int, default=60, help="~1 MB corrections stored")
    parser.add_argument("--clients", type=int, default=3, help="feedback client threads")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = run(args.phase_seconds, args.db_timeout, args.big_rows, args.clients)
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
