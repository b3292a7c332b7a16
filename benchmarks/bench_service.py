"""Benchmark the REST service as a real process.

Starts ``hypemeter serve`` (one worker) on a free loopback port, drives it from a separate
process at 32 concurrent connections (``wrk`` when installed, else a small asyncio HTTP/1.1
client run with ``python bench_service.py _drive``), and prints in one run, for

* ``GET /healthz``
* ``POST /v1/score`` with a 3-4 KB article, explain on and explain off
* ``POST /v1/score/batch`` with 64 articles

requests/s, client-side p50/p99 latency and the server-side p50 (from the ``Server-Timing``
header the service adds: time from the request entering the app to the response start), plus
the server's p50 for one unloaded client, and the server's RSS at the start and end of the run.

    .venv/bin/python benchmarks/bench_service.py                 # 60 s of load
    .venv/bin/python benchmarks/bench_service.py --duration 12   # quick check
    .venv/bin/python benchmarks/bench_service.py --modes sync,thread

``--duration`` is the measured load time, split evenly over the four scenarios; before it, a
warm pass runs each scenario for ``--warmup`` seconds (not measured), so the RSS at the start
and end of the measured run compare a warm server with itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from serve_support import start_serve

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


# --------------------------------------------------------------------------- load drivers


@dataclass
class Load:
    name: str
    method: str
    path: str
    body: bytes | None = None


@dataclass
class Result:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    server_p50_ms: float | None
    driver: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


WRK_SCRIPT = r"""
wrk.method = "{method}"
{body_line}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Connection"] = "keep-alive"
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
counts = {{}}
bad = 0
function response(status, headers, body)
  local st = headers["server-timing"] or headers["Server-Timing"]
  if st then
    local d = tonumber(string.match(st, "dur=([%d%.]+)"))
    if d then local k = math.floor(d * 20) counts[k] = (counts[k] or 0) + 1 end
  end
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local merged, total, nbad = {{}}, 0, 0
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do merged[k] = (merged[k] or 0) + v total = total + v end
    nbad = nbad + t:get("bad")
  end
  local keys = {{}}
  for k in pairs(merged) do table.insert(keys, k) end
  table.sort(keys)
  local acc, p50 = 0, -1
  for _, k in ipairs(keys) do
    acc = acc + merged[k]
    if p50 < 0 and acc >= total / 2 then p50 = (k + 0.5) / 20 end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {{"requests": %d, "duration_us": %d, "errors": %d, '
    .. '"p50_us": %d, "p99_us": %d, "server_p50_ms": %f}}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout + nbad,
    latency:percentile(50), latency:percentile(99), p50))
end
"""


def lua_string(data: bytes) -> str:
    return '"' + "".join(f"\\{b:03d}" if (b < 32 or b > 126 or b in (34, 92)) else chr(b)
                         for b in data) + '"'


def run_wrk(url: str, load: Load, concurrency: int, seconds: int, threads: int) -> Result:
    body_line = f"wrk.body = {lua_string(load.body)}" if load.body is not None else ""
    script = WRK_SCRIPT.format(method=load.method, body_line=body_line)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
        script_path = fh.name
    try:
        proc = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s",
             "--timeout", "30s", "-s", script_path, url + load.path],
            capture_output=True, text=True, check=False,
        )
    finally:
        os.unlink(script_path)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    data = json.loads(line[len("WRKJSON "):])
    server = data["server_p50_ms"]
    return Result(
        requests=data["requests"], seconds=data["duration_us"] / 1e6, errors=data["errors"],
        p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000,
        server_p50_ms=server if server >= 0 else None, driver="wrk",
    )


async def _drive(host: str, port: int, raw: bytes, concurrency: int,
                 seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    server: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                writer.write(raw)
                await writer.drain()
                status = int((await reader.readline()).split()[1])
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    key, _, value = line.partition(b":")
                    key = key.strip().lower()
                    if key == b"content-length":
                        length = int(value)
                    elif key == b"server-timing":
                        server.append(float(value.split(b"dur=")[1].split(b";")[0]))
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                if status != 200:
                    errors += 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies), "seconds": elapsed, "errors": errors,
        "p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else 0.0,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0,
        "server_p50_ms": statistics.median(server) if server else None,
    }


def run_python_driver(url: str, load: Load, concurrency: int, seconds: float) -> Result:
    spec = {"url": url, "method": load.method, "path": load.path,
            "body": load.body.decode("utf-8") if load.body is not None else None,
            "concurrency": concurrency, "seconds": seconds}
    # the spec on stdin: a batch body is longer than one command-line argument may be
    out = subprocess.run([sys.executable, __file__, "_drive", "-"], input=json.dumps(spec),
                         capture_output=True, text=True, check=True).stdout
    return Result(**json.loads(out), driver="python-asyncio")


def drive_main(spec_json: str) -> None:
    spec = json.loads(sys.stdin.read() if spec_json == "-" else spec_json)
    parsed = httpx.URL(spec["url"])
    body = spec["body"].encode("utf-8") if spec["body"] is not None else b""
    head = (f"{spec['method']} {spec['path']} HTTP/1.1\r\nHost: {parsed.host}:{parsed.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    raw = head.encode("latin-1") + body
    result = asyncio.run(_drive(parsed.host, int(parsed.port or 80), raw,
                                spec["concurrency"], spec["seconds"]))
    print(json.dumps(result))


def run_load(url: str, load: Load, concurrency: int, seconds: float, driver: str,
             wrk_threads: int) -> Result:
    if driver == "wrk":
        return run_wrk(url, load, concurrency, max(1, round(seconds)), wrk_threads)
    return run_python_driver(url, load, concurrency, seconds)


# --------------------------------------------------------------------------- server


def wait_idle(url: str, timeout: float = 120.0) -> None:
    """Wait until the server has finished the requests a load run left in flight."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = httpx.get(url + "/metrics", timeout=timeout).text
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name == "hypemeter_http_requests_in_progress" and float(value) <= 1.0:
                return  # only this /metrics request is in flight
        time.sleep(0.2)


def model_seconds(url: str) -> tuple[float, float]:
    """(sum, count) of the service's model-call histogram for /v1/score."""
    total = count = 0.0
    for line in httpx.get(url + "/metrics", timeout=30).text.splitlines():
        if 'route="/v1/score"' not in line:
            continue
        if line.startswith("hypemeter_scoring_duration_seconds_sum"):
            total = float(line.rsplit(" ", 1)[1])
        elif line.startswith("hypemeter_scoring_duration_seconds_count"):
            count = float(line.rsplit(" ", 1)[1])
    return total, count


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path
    rss: list[tuple[float, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample_rss(self, every: float = 1.0) -> threading.Thread:
        def loop() -> None:
            t0 = time.monotonic()
            while not self._stop.wait(every):
                self.rss.append((time.monotonic() - t0, rss_mb(self.proc.pid)))

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        return thread

    def stop(self) -> int:
        self._stop.set()
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


def start_server(model: Path, mode: str, workdir: Path) -> Server:
    served = start_serve(model, workdir, {"HYPEMETER_SCORE_MODE": mode}, workers=1,
                         log_name=f"server-{mode}.log", new_session=False)
    return Server(proc=served.proc, url=served.url, log=served.log_path)


# --------------------------------------------------------------------------- inputs


def load_article(choice: str) -> dict[str, str]:
    candidates = {
        "sober": FIXTURES / "sober_report.json",  # 3.3 KB plain council report
        "loaded": FIXTURES / "loaded_report.json",  # 2.8 KB, many loaded phrases
    }
    path = candidates.get(choice, Path(choice))
    if not path.exists():
        raise SystemExit(f"no article at {path}: pass --article PATH to a {{headline, body}} JSON")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {"headline": str(data.get("headline", "")), "body": str(data.get("body", ""))}


def resolve_model(arg: str | None, workdir: Path) -> Path:
    if arg:
        return Path(arg).resolve()
    current = REPO / "models" / "current"
    if (current / "card.json").exists():
        return current.resolve()
    print("models/current not found: training a small bundle on the sample corpus ...",
          file=sys.stderr)
    sys.path.insert(0, str(REPO))
    from hypemeter.training.train import train_bundle

    empty = workdir / "no-corpora"
    empty.mkdir()
    return train_bundle(data_dir=empty, out_dir=workdir / "models", include_sample=True,
                        corpora=[], version="bench", log=lambda _m: None)


# --------------------------------------------------------------------------- main


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def bench_mode(mode: str, model: Path, article: dict[str, str], args: argparse.Namespace,
               workdir: Path, driver: str) -> dict[str, Any]:
    server = start_server(model, mode, workdir)
    try:
        rss_idle = rss_mb(server.proc.pid)
        one = json.dumps({**article, "explain": True}).encode()
        loads = [
            Load("GET /healthz", "GET", "/healthz"),
            Load("POST /v1/score explain=on", "POST", "/v1/score", one),
            Load("POST /v1/score explain=off", "POST", "/v1/score",
                 json.dumps({**article, "explain": False}).encode()),
            Load("POST /v1/score/batch x64", "POST", "/v1/score/batch",
                 json.dumps({"items": [{**article, "id": str(i)} for i in range(64)]}).encode()),
        ]
        # Unloaded: one client, one request at a time.
        sum0, n0 = model_seconds(server.url)
        unloaded = run_load(server.url, loads[1], 1, args.unloaded, driver, 1)
        sum1, n1 = model_seconds(server.url)
        model_ms = (sum1 - sum0) / (n1 - n0) * 1000 if n1 > n0 else None
        # Warm pass over every scenario, so the measured run starts with a warm server.
        for load in loads:
            if args.warmup > 0:
                run_load(server.url, load, args.concurrency, args.warmup, driver, args.wrk_threads)
                wait_idle(server.url)
        rss_start = rss_mb(server.proc.pid)
        sampler = server.sample_rss()
        per = args.duration / len(loads)
        results: list[tuple[Load, Result]] = []
        scenario_rss: list[tuple[float, float]] = []
        for load in loads:
            before = rss_mb(server.proc.pid)
            results.append((load, run_load(server.url, load, args.concurrency, per, driver,
                                           args.wrk_threads)))
            scenario_rss.append((before, rss_mb(server.proc.pid)))
            wait_idle(server.url)
        rss_end = rss_mb(server.proc.pid)
    finally:
        code = server.stop()
    sampler.join(timeout=2)
    return {"mode": mode, "rss_idle": rss_idle, "rss_start": rss_start, "rss_end": rss_end,
            "rss": server.rss, "scenario_rss": scenario_rss, "unloaded": unloaded,
            "model_ms": model_ms,
            "results": results, "exit": code}


def report(run: dict[str, Any], args: argparse.Namespace, article: dict[str, str]) -> None:
    size = len(json.dumps(article).encode())
    print(f"\n== score mode: {run['mode']} (1 worker, {args.concurrency} concurrent clients, "
          f"driver {run['results'][0][1].driver}, article {size} bytes, "
          f"{args.duration:.0f} s measured) ==")
    print(f"{'route':32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'server p50':>11} "
          f"{'errors':>7} {'requests':>9}  {'RSS MB before->after':>20}")
    for (load, res), (before, after) in zip(run["results"], run["scenario_rss"], strict=True):
        print(f"{load.name:32} {res.rps:9.1f} {res.p50_ms:8.2f} {res.p99_ms:8.2f} "
              f"{fmt(res.server_p50_ms):>11} {res.errors:7d} {res.requests:9d}  "
              f"{before:9.1f} -> {after:7.1f}")
    un = run["unloaded"]
    print(f"{'unloaded /v1/score explain=on':32} {un.rps:9.1f} {un.p50_ms:8.2f} "
          f"{un.p99_ms:8.2f} {fmt(un.server_p50_ms):>11} {un.errors:7d} {un.requests:9d}"
          "   (1 client)")
    print(f"  of which in the model (Scorer.score, mean per call, unloaded): "
          f"{fmt(run['model_ms'])} ms")
    rss = run["rss"]
    timeline = " ".join(f"{v:.0f}" for t, v in rss if round(t) % 5 == 0)
    print(f"RSS: idle {run['rss_idle']:.1f} MB; measured run: start {run['rss_start']:.1f} MB, "
          f"end {run['rss_end']:.1f} MB"
          + (f", max {max(v for _, v in rss):.1f} MB; every 5 s: {timeline}" if rss else ""))
    health = run["results"][0][1].rps
    explain = run["results"][1][1].rps
    print("goals:")
    ratio = explain / health if health else 0.0
    print(f"  /v1/score (explain) throughput = {ratio:.1%} of /healthz "
          f"({'met' if ratio >= 0.5 else 'NOT met'}; goal >= 50%)")
    un_p50 = un.server_p50_ms
    print(f"  p50 server time, unloaded = {fmt(un_p50)} ms "
          f"({'met' if un_p50 is not None and un_p50 <= 5 else 'NOT met'}; goal <= 5 ms); "
          f"under load = {fmt(run['results'][1][1].server_p50_ms)} ms")
    grow = run["rss_end"] - run["rss_start"]
    print(f"  memory over the measured run: {grow:+.1f} MB "
          f"({'flat' if abs(grow) < 10 else 'NOT flat'}; tolerance 10 MB)")
    print(f"  server exit status after SIGTERM: {run['exit']}")


def summary(run: dict[str, Any]) -> dict[str, Any]:
    """The figures of one run as plain JSON (what ``--record`` puts in the card)."""
    routes = {
        load.name: {"requests_per_second": round(res.rps, 1), "p50_ms": round(res.p50_ms, 2),
                    "p99_ms": round(res.p99_ms, 2), "server_p50_ms": res.server_p50_ms,
                    "errors": res.errors}
        for load, res in run["results"]
    }
    health, explain = run["results"][0][1].rps, run["results"][1][1].rps
    return {
        "routes": routes,
        "score_explain_share_of_healthz": round(explain / health, 4) if health else None,
        "unloaded_server_p50_ms": run["unloaded"].server_p50_ms,
        "model_ms_per_call_unloaded": run["model_ms"],
        "rss_mb_start_end": [round(run["rss_start"], 1), round(run["rss_end"], 1)],
    }


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "_drive":
        drive_main(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0,
                        help="measured seconds of load, split over the 4 scenarios (default 60)")
    parser.add_argument("--warmup", type=float, default=4.0,
                        help="seconds per scenario in the warm pass before the measured run")
    parser.add_argument("--unloaded", type=float, default=3.0,
                        help="seconds of single-client load for the unloaded server time")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--model", default=None, help="bundle or models dir (default current)")
    parser.add_argument("--article", default="sober",
                        help="sober | loaded | path to a {headline, body} JSON file")
    parser.add_argument("--modes", default="batch",
                        help="comma list of HYPEMETER_SCORE_MODE values: batch, thread, sync")
    parser.add_argument("--driver", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--record", action="store_true",
                        help="also write the figures into the model card (measured.service)")
    args = parser.parse_args()
    driver = args.driver
    if driver == "auto":
        driver = "wrk" if shutil.which("wrk") else "python"
    article = load_article(args.article)
    with tempfile.TemporaryDirectory(prefix="hypemeter-bench-") as tmp:
        workdir = Path(tmp)
        model = resolve_model(args.model, workdir)
        print(f"$ {' '.join(sys.argv)}")
        print(f"model: {model}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
              f"load average before: {os.getloadavg()[0]:.2f}")
        recorded: dict[str, Any] = {}
        for mode in args.modes.split(","):
            run = bench_mode(mode.strip(), model, article, args, workdir, driver)
            report(run, args, article)
            recorded[run["mode"]] = summary(run)
    if args.record:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from record import record

        record(model, "service", {"driver": driver, "concurrency": args.concurrency,
                                  "duration_s": args.duration, "modes": recorded})
    return 0


if __name__ == "__main__":
    sys.exit(main())
