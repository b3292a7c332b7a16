"""A bounded chaos run against a real ``hypemeter serve --workers 2``.

For ``--duration`` seconds, at the same time:

* scoring load (``--clients`` threads on ``POST /v1/score``, one on ``POST /v1/score/batch``
  with 16 articles), 3-4 KB synthetic articles from ``make_articles.py``;
* hot reloads alternating between two versions of the shipped model (copied under the names
  ``soak-a`` and ``soak-b`` into a temporary models folder), each followed by ``/readyz``
  probes on fresh connections until every answer names the new version; once, a reload of a
  tampered copy (``soak-broken``), which must fail with 409 and change no worker;
* malformed and oversized requests (bad JSON, wrong content type, both fields empty, a 1.1 MB
  body, a bad ``Content-Length``), each expecting its own 4xx;
* slow clients on raw sockets (one that sends nothing, one that trickles its headers, one that
  never finishes its body), which the server must cut off with 408;
* at half time, ``kill -9`` of one worker (uvicorn starts another).

It prints the requests sent, the non-2xx answers by cause (expected ones apart), transport
errors (those within 3 s of the kill count as the killed worker's in-flight requests, any
other is a lost request), the versions seen after each reload and how long every worker took
to serve it, and the server's RSS (whole process tree, and the worker that was not killed) at
the start and the end. Goals (issue 12): 0 unexpected 5xx, 0 lost requests outside the killed
worker's in-flight ones, one version on every worker within 5 s of each reload, RSS growth
under 10%.

    .venv/bin/python benchmarks/soak.py                  # 60 s
    .venv/bin/python benchmarks/soak.py --duration 20    # the short form CI runs
    .venv/bin/python benchmarks/soak.py --json out.json  # also write the figures as JSON
    .venv/bin/python benchmarks/soak.py --db-faults      # then the database faults (soak_db.py)
    .venv/bin/python benchmarks/soak.py --db-only        # only the database faults
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from serve_support import start_serve  # noqa: E402
from soak_clients import Tally, hostile, scorer, slow_clients  # noqa: E402
from support.benchmarks import load_make_articles  # noqa: E402

ADMIN_KEY = "soak-admin-key-0123456789"
KILL_WINDOW = 3.0  # transport errors this long after the kill belong to the killed worker


def make_models(workdir: Path) -> Path:
    """soak-a (current), soak-b: the shipped bundle under two names; soak-broken: tampered."""
    from hypemeter.bundles.bundle import MODEL_FILE, publish_current

    source = (REPO / "models" / "current").resolve()
    models = workdir / "models"
    models.mkdir()
    for name in ("soak-a", "soak-b", "soak-broken"):
        dst = models / name
        shutil.copytree(source, dst, ignore=shutil.ignore_patterns("report"))
        card = json.loads((dst / "card.json").read_text(encoding="utf-8"))
        card["version"] = name
        (dst / "card.json").write_text(json.dumps(card), encoding="utf-8")
    with (models / "soak-broken" / MODEL_FILE).open("ab") as fh:
        fh.write(b"\0")
    publish_current(models, "soak-a")
    return models


def both_workers_ready(url: str) -> bool:
    """Both workers have loaded the model (the reload status counts them)."""
    try:
        status = httpx.get(f"{url}/v1/admin/reload", headers={"X-API-Key": ADMIN_KEY},
                           timeout=2).json()
    except (httpx.TransportError, ValueError):
        return False
    return bool(status.get("workers", {}).get("on_version") == 2)


def start_server(models: Path, workdir: Path, args: argparse.Namespace) -> tuple[Any, str]:
    served = start_serve(models, workdir, {
        "HYPEMETER_ADMIN_KEY": ADMIN_KEY, "HYPEMETER_LOG_LEVEL": "warning",
        # its own feedback database: never the user's (which a newer schema may hold)
        "HYPEMETER_DATABASE_URL": f"sqlite:///{workdir / 'feedback.db'}",
        "HYPEMETER_HEADER_TIMEOUT": str(args.slow_timeout),
        "HYPEMETER_BODY_TIMEOUT": str(args.slow_timeout),
        **({"HYPEMETER_MALLOC_ARENAS": str(args.malloc_arenas)}
           if args.malloc_arenas is not None else {}),
        **({"HYPEMETER_MALLOC_MMAP_THRESHOLD": str(args.mmap_threshold)}
           if getattr(args, "mmap_threshold", None) is not None else {}),
        **({"HYPEMETER_MALLOC_TRIM_INTERVAL": str(args.trim_interval)}
           if getattr(args, "trim_interval", None) is not None else {}),
    }, workers=2, timeout=180, ready=both_workers_ready, new_session=False)
    return served.proc, served.url


def workers(proc: Any) -> list[psutil.Process]:
    out = []
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in " ".join(
                child.cmdline()
            ):
                out.append(child)
        except psutil.Error:
            pass
    return out


def rss_mb(procs: list[psutil.Process]) -> float:
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total / 1e6


def probe(url: str, n: int = 10) -> set[str]:
    """The versions ``/readyz`` names on ``n`` fresh connections (spread over the workers)."""
    answers = set()
    for _ in range(n):
        try:
            answers.add(httpx.get(f"{url}/readyz", timeout=10).json()["model"]["version"])
        except (httpx.TransportError, ValueError, KeyError):
            answers.add("?")
    return answers


def killer(proc: Any, at: float, killed: dict[str, Any], stop: threading.Event) -> None:
    """kill -9 the worker with the lowest pid after ``at`` seconds."""
    if stop.wait(at):
        return
    victim = min(workers(proc), key=lambda p: p.pid)
    killed.update(pid=victim.pid, at=time.monotonic())
    os.kill(victim.pid, signal.SIGKILL)


# ----------------------------------------------------------------- the run


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="hypemeter-soak-"))
    proc = None
    try:
        models = make_models(workdir)
        proc, url = start_server(models, workdir, args)
        articles = [{"headline": a["headline"], "body": a["body"]}
                    for a in load_make_articles().generate(48, seed=7)]
        tally, stop = Tally(), threading.Event()
        threads = [threading.Thread(target=scorer, args=(url, tally, stop, articles, False))
                   for _ in range(args.clients)]
        threads.append(threading.Thread(target=scorer, args=(url, tally, stop, articles, True)))
        threads.append(threading.Thread(target=hostile, args=(url, tally, stop,
                                                              args.slow_timeout)))
        threads.append(threading.Thread(target=slow_clients, args=(url, tally, stop,
                                                                   args.slow_timeout)))
        for t in threads:
            t.start()
        time.sleep(min(3.0, args.duration / 10))
        start_procs = workers(proc)
        rss_start = rss_mb([psutil.Process(proc.pid), *start_procs])
        rss_start_by_pid = {p.pid: round(rss_mb([p]), 1) for p in start_procs}
        t_start = time.monotonic()
        reloads: list[dict[str, Any]] = []
        killed: dict[str, Any] = {}
        threading.Thread(target=killer, args=(proc, args.duration / 2, killed, stop)).start()
        admin = httpx.Client(base_url=url, timeout=60, headers={"X-API-Key": ADMIN_KEY})
        current, n = "soak-a", 0
        while time.monotonic() - t_start < args.duration:
            n += 1
            target = "soak-broken" if n == 2 else ("soak-b" if current == "soak-a" else "soak-a")
            t0 = time.monotonic()
            try:
                r = admin.post("/v1/admin/reload", json={"version": target})
            except httpx.TransportError as exc:  # it went to the worker being killed
                with tally.lock:
                    tally.transport.append((t0, time.monotonic(), f"reload: {exc!r}"))
                continue
            entry: dict[str, Any] = {"target": target, "status": r.status_code,
                                     "reply_s": round(time.monotonic() - t0, 2)}
            if r.status_code in (200, 202):
                entry["reply"] = r.json()["status"]
                while time.monotonic() - t0 < 60:
                    with contextlib.suppress(httpx.TransportError):
                        if admin.get("/v1/admin/reload").json()["status"] == "reloaded":
                            break
                    time.sleep(0.1)
                entry["all_workers_s"] = round(time.monotonic() - t0, 2)
                current = target
            seen = probe(url)
            entry["versions_seen_after"] = sorted(seen)
            entry["one_version"] = seen == {current}
            with tally.lock:
                later = {v for when, v in tally.versions if when > t0 + entry["reply_s"]}
            entry["scored_by_since_reply"] = sorted(later)  # requests started after the reply
            entry["rss_mb_by_worker"] = {p.pid: round(rss_mb([p]), 1) for p in start_procs
                                         if p.pid != killed.get("pid")}
            reloads.append(entry)
            stop.wait(max(0.5, args.duration / 8))
        stop.set()
        for t in threads:
            t.join(timeout=120)
        survivors = [p for p in start_procs if p.pid != killed.get("pid")]
        end_procs = workers(proc)
        rss_end = rss_mb([psutil.Process(proc.pid), *end_procs])
        survivor = None
        if survivors:
            survivor = (rss_start_by_pid[survivors[0].pid], rss_mb(survivors[:1]))
        first = next((r["rss_mb_by_worker"] for r in reloads if r["status"] == 200), {})
        by_worker = [{"pid": p.pid, "killed": False,
                      **growth(rss_start_by_pid[p.pid], rss_mb([p])),
                      # from the first reload on: a per-reload leak shows here, the one-time
                      # cost of having held two models once (a high-water mark) does not
                      "after_first_reload": first.get(p.pid)} for p in start_procs
                     if p.pid != killed.get("pid")]
        by_worker += [{"pid": p.pid, "killed": True, "start": rss_start_by_pid[p.pid]}
                      for p in start_procs if p.pid == killed.get("pid")]
        by_worker += [{"pid": p.pid, "replacement": True, "end": round(rss_mb([p]), 1)}
                      for p in end_procs if p.pid not in rss_start_by_pid]
        result = summarise(tally, reloads, killed, (rss_start, rss_end), survivor,
                           time.monotonic() - t_start)
        result["rss_mb_by_worker"] = by_worker
        return result
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def growth(start: float, end: float) -> dict[str, float]:
    return {"start": round(start, 1), "end": round(end, 1),
            "growth_pct": round(100 * (end - start) / start, 1) if start else 0.0}


def summarise(tally: Tally, reloads: list[dict[str, Any]], killed: dict[str, Any],
              rss_tree: tuple[float, float], rss_survivor: tuple[float, float] | None,
              seconds: float) -> dict[str, Any]:
    kill_at = killed.get("at")
    in_flight = [t for t in tally.transport
                 if kill_at is not None and t[0] <= kill_at + KILL_WINDOW
                 and t[1] >= kill_at - 0.1]
    lost = [t for t in tally.transport if t not in in_flight]
    five_xx = {k: v for k, v in tally.unexpected.items() if " 5" in k}
    return {
        "seconds": round(seconds, 1),
        "requests_sent": sum(tally.sent.values()),
        "sent_by_kind": dict(tally.sent),
        "ok_by_kind": dict(tally.ok),
        "expected_non_2xx": dict(tally.expected),
        "unexpected_non_2xx": dict(tally.unexpected),
        "unexpected_5xx": sum(five_xx.values()),
        "killed_worker_in_flight": len(in_flight),
        "lost_requests": len(lost),
        "lost_examples": [w for _, _, w in lost[:5]],
        "reloads": reloads,
        "rss_mb": growth(*rss_tree),
        "rss_mb_surviving_worker": growth(*rss_survivor) if rss_survivor else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=4, help="POST /v1/score threads")
    parser.add_argument("--slow-timeout", type=float, default=2.0,
                        help="HYPEMETER_HEADER_TIMEOUT and _BODY_TIMEOUT for the run")
    parser.add_argument("--malloc-arenas", type=int, default=None,
                        help="the server's HYPEMETER_MALLOC_ARENAS (default: the setting's)")
    parser.add_argument("--mmap-threshold", type=int, default=None,
                        help="the server's HYPEMETER_MALLOC_MMAP_THRESHOLD (default: the "
                        "setting's)")
    parser.add_argument("--trim-interval", type=float, default=None,
                        help="the server's HYPEMETER_MALLOC_TRIM_INTERVAL (default: the "
                        "setting's)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--db-faults", action="store_true",
                        help="then the database faults on a real PostgreSQL (soak_db.py): "
                        "stopped, frozen, NUL corrections, an oversized list")
    parser.add_argument("--db-only", action="store_true", help="only the database faults")
    parser.add_argument("--phase-seconds", type=float, default=12.0,
                        help="seconds of each database fault phase")
    parser.add_argument("--db-timeout", type=float, default=5.0,
                        help="the server's HYPEMETER_DATABASE_TIMEOUT for the fault phases")
    args = parser.parse_args(argv)
    if args.db_faults or args.db_only:
        import soak_db

        if not args.db_only:
            main([a for a in (argv if argv is not None else sys.argv[1:])
                  if a not in ("--db-faults",)])
        faults = soak_db.run(args.phase_seconds, args.db_timeout, 60, 3)
        soak_db.report(faults)
        if args.json:
            path = args.json.with_name(args.json.stem + "-db" + args.json.suffix)
            path.write_text(json.dumps(faults, indent=2) + "\n", encoding="utf-8")
        return 0
    result = run(args)
    print(f"soak: {result['seconds']} s against hypemeter serve --workers 2")
    print(f"requests sent: {result['requests_sent']} {result['sent_by_kind']}")
    print(f"2xx: {result['ok_by_kind']}")
    print(f"expected non-2xx by cause: {result['expected_non_2xx']}")
    print(f"unexpected non-2xx by cause: {result['unexpected_non_2xx']}")
    print(f"unexpected 5xx: {result['unexpected_5xx']}")
    print(f"transport errors: killed worker's in-flight {result['killed_worker_in_flight']}, "
          f"lost otherwise {result['lost_requests']} {result['lost_examples']}")
    for i, r in enumerate(result["reloads"], 1):
        print(f"reload {i}: {r}")
    rss = result["rss_mb"]
    print(f"RSS (server tree): start {rss['start']} MB, end {rss['end']} MB "
          f"({rss['growth_pct']:+.1f}%)")
    worker = result["rss_mb_surviving_worker"]
    if worker:
        print(f"RSS (the worker not killed): start {worker['start']} MB, end {worker['end']} MB "
              f"({worker['growth_pct']:+.1f}%)")
    for w in result["rss_mb_by_worker"]:
        if w.get("replacement"):
            print(f"RSS worker {w['pid']} (started after the kill): end {w['end']} MB")
        elif w["killed"]:
            print(f"RSS worker {w['pid']} (killed at half time): start {w['start']} MB")
        else:
            first = w["after_first_reload"]
            since = (f"; after the first reload {first} MB, "
                     f"{100 * (w['end'] - first) / first:+.1f}% since" if first else "")
            print(f"RSS worker {w['pid']}: start {w['start']} MB, end {w['end']} MB "
                  f"({w['growth_pct']:+.1f}%){since}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
