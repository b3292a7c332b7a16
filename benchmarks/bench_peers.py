"""hypemeter against the service a user would write by hand, measured in the same run.

The peer is a plain scikit-learn pipeline (``TfidfVectorizer`` of 1-2 grams, one
``LogisticRegression`` per head) trained here on the same corpora, in process and behind a
30-line FastAPI app (``peer_service.py``) served by the same uvicorn. Rounds of the modes are
alternated so that a busy spell on a shared machine falls on every mode alike; the median round
and the range are printed, and the ratios hypemeter / peer.

* batch: articles per CPU second of this process, hypemeter with and without explanations
  against the peer's ``transform`` + ``predict_proba`` over the same batches;
* single article in process: p50/p99 latency of one article at a time;
* REST: ``POST /v1/score`` at ``--concurrency`` connections on one worker each (wrk when
  installed, else the asyncio driver of ``bench_service.py``), req/s and client p50/p99,
  hypemeter with and without explanations against the peer; ``--two-workers`` adds hypemeter
  with two workers;
* cold start: ``hypemeter serve`` from start to ``/readyz`` 200, and ``hypemeter score`` of one
  article end to end (wall).

    python benchmarks/bench_peers.py --data-dir DIR        # the corpora to train the peer on
    python benchmarks/bench_peers.py --skip-rest --n 1000  # in-process figures only

Without ``--data-dir`` the peer trains on the project's sample corpus only (its speed is what
is measured, not its accuracy, and the vocabulary size of a larger corpus changes it little).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import joblib
from bench_service import Load, load_article, run_load
from make_articles import generate
from serve_support import Served, free_port, serve_command, start_serve
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from hypemeter.bundles.bundle import load_bundle
from hypemeter.paths import default_models_dir
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

HERE = Path(__file__).resolve().parent
HEADS = {"sensationalism": "sensationalism", "misinformation_risk": "misinformation"}


# --------------------------------------------------------------------------- the peer


def train_peer(data_dir: Path | None, seed: int = 0) -> dict[str, Any]:
    """TF-IDF (1-2 grams) over headline + body and one logistic regression per head."""
    from hypemeter.training.corpora import load_corpora

    empty = Path(tempfile.mkdtemp(prefix="peer-nocorpora-"))
    records, _ = load_corpora(data_dir or empty, names=None if data_dir else [])
    texts = {task: [(r.headline + "\n" + r.body, r.label) for r in records
                    if r.task == task and r.label is not None] for task in HEADS.values()}
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    vectorizer.fit([t for rows in texts.values() for t, _ in rows])
    heads = {}
    for head, task in HEADS.items():
        rows = texts[task]
        x = vectorizer.transform([t for t, _ in rows])
        heads[head] = LogisticRegression(max_iter=2000, random_state=seed).fit(
            x, [y for _, y in rows])
    return {"vectorizer": vectorizer, "heads": heads,
            "records": {task: len(rows) for task, rows in texts.items()}}


def peer_scores(peer: dict[str, Any], articles: list[Article]) -> list[dict[str, float]]:
    x = peer["vectorizer"].transform([a.headline + "\n" + a.body for a in articles])
    probs = {name: lr.predict_proba(x)[:, 1] for name, lr in peer["heads"].items()}
    return [{name: float(p[i]) for name, p in probs.items()} for i in range(len(articles))]


# --------------------------------------------------------------------------- in process


def per_cpu_second(fn: Callable[[list[Article]], Any], articles: list[Article],
                   batch: int) -> float:
    cpu0 = time.process_time()
    for i in range(0, len(articles), batch):
        fn(articles[i:i + batch])
    return len(articles) / (time.process_time() - cpu0)


def latencies_ms(fn: Callable[[list[Article]], Any], articles: list[Article]) -> list[float]:
    out = []
    for a in articles:
        t0 = time.perf_counter()
        fn([a])
        out.append((time.perf_counter() - t0) * 1000)
    return sorted(out)


def summary(values: list[float]) -> dict[str, Any]:
    return {"median": round(statistics.median(values), 2),
            "range": [round(min(values), 2), round(max(values), 2)]}


def ratio(a: list[float], b: list[float]) -> dict[str, Any]:
    """Median and range of the per-round ratios a/b (rounds measured side by side)."""
    rs = [x / y for x, y in zip(a, b, strict=True)]
    return {"median": round(statistics.median(rs), 2), "range": [round(min(rs), 2),
                                                                   round(max(rs), 2)]}


def in_process(scorer: Scorer, peer: dict[str, Any], articles: list[Article], batch: int,
               rounds: int, single: int) -> dict[str, Any]:
    modes: dict[str, Callable[[list[Article]], Any]] = {
        "hypemeter_explain": lambda b: scorer.score(b, explain=True),
        "hypemeter_no_explain": lambda b: scorer.score(b, explain=False),
        "peer": lambda b: peer_scores(peer, b),
    }
    for fn in modes.values():  # warm-up (token cache, lazy imports)
        fn(articles[:batch])
    batch_runs: dict[str, list[float]] = {m: [] for m in modes}
    p50: dict[str, list[float]] = {m: [] for m in modes}
    p99: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(rounds):
        for mode, fn in modes.items():
            batch_runs[mode].append(per_cpu_second(fn, articles, batch))
        for mode, fn in modes.items():
            lat = latencies_ms(fn, articles[:single])
            p50[mode].append(lat[len(lat) // 2])
            p99[mode].append(lat[min(len(lat) - 1, int(len(lat) * 0.99))])
    return {
        "batch_articles_per_cpu_second": {m: summary(v) for m, v in batch_runs.items()},
        "batch_ratio_explain": ratio(batch_runs["hypemeter_explain"], batch_runs["peer"]),
        "batch_ratio_no_explain": ratio(batch_runs["hypemeter_no_explain"], batch_runs["peer"]),
        "single_article_p50_ms": {m: summary(v) for m, v in p50.items()},
        "single_article_p99_ms": {m: summary(v) for m, v in p99.items()},
    }


# --------------------------------------------------------------------------- REST


def start_peer(model_file: Path, workdir: Path) -> Served:
    port = free_port()
    env = {**os.environ, "PEER_MODEL": str(model_file)}
    log = workdir / "peer.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "peer_service:app", "--app-dir", str(HERE),
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
             "--no-access-log"],
            env=env, cwd=workdir, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    served = Served(proc, f"http://127.0.0.1:{port}", log, new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(served.url + "/healthz", timeout=1).status_code == 200:
                return served
        except httpx.TransportError:
            time.sleep(0.1)
    served.stop()
    raise RuntimeError(f"the peer service did not start: {served.log_tail()}")


def rest(model: Path, peer_file: Path, article: dict[str, str], args: argparse.Namespace,
         workdir: Path) -> dict[str, Any]:
    driver = "wrk" if subprocess.run(["which", "wrk"], capture_output=True).returncode == 0 \
        else "python"
    body_on = json.dumps({**article, "explain": True}).encode()
    body_off = json.dumps({**article, "explain": False}).encode()
    peer_body = json.dumps(article).encode()
    servers = {"hypemeter": start_serve(model, workdir, log_name="hm.log"),
               "peer": start_peer(peer_file, workdir)}
    if args.two_workers:
        servers["hypemeter_2w"] = start_serve(model, workdir, workers=2, log_name="hm2.log")
    scenarios = {"hypemeter_explain": ("hypemeter", body_on),
                 "hypemeter_no_explain": ("hypemeter", body_off),
                 "peer": ("peer", peer_body)}
    if args.two_workers:
        scenarios["hypemeter_2w_explain"] = ("hypemeter_2w", body_on)
    runs: dict[str, list[Any]] = {s: [] for s in scenarios}
    try:
        for name, (server, body) in scenarios.items():  # warm-up, not measured
            run_load(servers[server].url, Load(name, "POST", "/v1/score", body),
                     args.concurrency, 2, driver, 2)
        for _ in range(args.rounds):
            for name, (server, body) in scenarios.items():
                runs[name].append(run_load(servers[server].url,
                                           Load(name, "POST", "/v1/score", body),
                                           args.concurrency, args.duration, driver, 2))
    finally:
        for served in servers.values():
            served.stop()
    rps = {s: [r.rps for r in rs] for s, rs in runs.items()}
    out: dict[str, Any] = {
        "driver": driver, "concurrency": args.concurrency,
        "req_per_s": {s: summary(v) for s, v in rps.items()},
        "p50_ms": {s: summary([r.p50_ms for r in rs]) for s, rs in runs.items()},
        "p99_ms": {s: summary([r.p99_ms for r in rs]) for s, rs in runs.items()},
        "errors": {s: sum(r.errors for r in rs) for s, rs in runs.items()},
        "ratio_explain": ratio(rps["hypemeter_explain"], rps["peer"]),
        "ratio_no_explain": ratio(rps["hypemeter_no_explain"], rps["peer"]),
        "p99_ratio_explain": ratio([r.p99_ms for r in runs["hypemeter_explain"]],
                                   [r.p99_ms for r in runs["peer"]]),
    }
    if args.two_workers:
        out["two_workers_over_one"] = ratio(rps["hypemeter_2w_explain"],
                                            rps["hypemeter_explain"])
    return out


def cold_start(model: Path, article: dict[str, str], workdir: Path, rounds: int
               ) -> dict[str, Any]:
    """``hypemeter serve`` to /readyz 200, and ``hypemeter score`` of one article, wall."""
    serve_s, score_s = [], []
    line = json.dumps(article) + "\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPEMETER_")}
    for _ in range(rounds):
        t0 = time.perf_counter()
        served = start_serve(model, workdir, log_name="cold.log")
        serve_s.append(time.perf_counter() - t0)
        served.stop()
        t0 = time.perf_counter()
        subprocess.run([*serve_command(), "score", "--model", str(model), "-"], input=line,
                       text=True, capture_output=True, check=True, env=env, cwd=workdir)
        score_s.append(time.perf_counter() - t0)
    return {"serve_to_ready_s": summary(serve_s), "score_one_article_s": summary(score_s)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="corpora to train the peer on (default: the sample corpus only)")
    ap.add_argument("--model", type=Path, default=None, help="hypemeter bundle (default: current)")
    ap.add_argument("--n", type=int, default=3000, help="articles for the batch figures")
    ap.add_argument("--batch", type=int, default=256, help="batch size in process")
    ap.add_argument("--single", type=int, default=200, help="articles for single latency")
    ap.add_argument("--rounds", type=int, default=3, help="alternated rounds per figure")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per REST run")
    ap.add_argument("--concurrency", type=int, default=32, help="REST connections")
    ap.add_argument("--article", default="loaded", help="REST article: sober, loaded or PATH")
    ap.add_argument("--two-workers", action="store_true", help="also hypemeter --workers 2")
    ap.add_argument("--skip-rest", action="store_true", help="in-process figures only")
    ap.add_argument("--skip-cold", action="store_true", help="no cold-start figures")
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    args = ap.parse_args()

    model = (args.model or default_models_dir() / "current").resolve()
    t0 = time.perf_counter()
    peer = train_peer(args.data_dir)
    out: dict[str, Any] = {"model": load_bundle(model).version,
                           "peer": {"records": peer["records"],
                                    "train_s": round(time.perf_counter() - t0, 1)},
                           "this_machine": os.cpu_count()}
    scorer = Scorer(load_bundle(model))
    rows = list(generate(args.n, seed=1))
    articles = [Article(r["headline"], r["body"], r["id"]) for r in rows]
    out["articles"] = len(articles)
    out["in_process"] = in_process(scorer, peer, articles, args.batch, args.rounds, args.single)
    article = load_article(args.article)
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        workdir = Path(tmp)
        peer_file = workdir / "peer.joblib"
        joblib.dump({"vectorizer": peer["vectorizer"], "heads": peer["heads"]}, peer_file)
        if not args.skip_rest:
            out["rest"] = rest(model, peer_file, article, args, workdir)
        if not args.skip_cold:
            out["cold_start"] = cold_start(model, article, workdir, args.rounds)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        render(out)
    return 0


def render(node: Any, path: str = "") -> None:
    """One line per figure: ``path: median [low-high]`` for the summaries."""
    if isinstance(node, dict) and set(node) == {"median", "range"}:
        low, high = node["range"]
        print(f"{path}: {node['median']} [{low}-{high}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            render(value, f"{path}.{key}" if path else key)
    else:
        print(f"{path}: {node}")


if __name__ == "__main__":
    raise SystemExit(main())
