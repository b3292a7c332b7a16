"""Batch scoring throughput of the core on one process (one core), and the goal figures.

Prints articles/s per core for 3-4 KB articles with and without explanations, and with
explanations and sentence scores (CPU time of
this process, so other load on the machine does not distort it, plus wall time), the default
model's scores for the seed article (with each base learner's own probability) and the
project's sober report, and the model size.

    python benchmarks/bench_scoring.py [--n 5000] [--model models/current]
        [--repeat 3] [--seed-article FILE] [--record]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_articles import generate
from record import record
from scipy.special import expit

from hypemeter.bundles.bundle import MODEL_FILE, load_bundle
from hypemeter.paths import REPO_ROOT, default_models_dir
from hypemeter.records.results import Article
from hypemeter.scoring.model import LOGIT_COLUMNS, HypeModel
from hypemeter.scoring.scorer import Scorer


def _throughput(scorer: Scorer, articles: list[Article], explain: bool, batch: int,
                sentences: bool = False) -> tuple[float, float]:
    """Articles per CPU second and per wall second for one pass."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(0, len(articles), batch):
        scorer.score(articles[i:i + batch], explain=explain, sentences=sentences)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return len(articles) / cpu, len(articles) / wall


MODES = {"with_explanations": (True, False), "without_explanations": (False, False),
         "with_explanations_and_sentences": (True, True)}


def measure(scorer: Scorer, articles: list[Article], batch: int, repeat: int) -> dict:
    """``repeat`` rounds of the three modes in turn (so a busy spell on a shared machine falls
    on every mode alike); per mode the median round and the range, and the sentence mode's
    share of the explanation mode per round (its median)."""
    runs: dict[str, list[tuple[float, float]]] = {m: [] for m in MODES}
    for _ in range(repeat):
        for mode, (explain, sentences) in MODES.items():
            runs[mode].append(_throughput(scorer, articles, explain, batch, sentences))
    out: dict = {}
    for mode, got in runs.items():
        walls = [w for _, w in got]
        out[mode] = {"articles_per_cpu_second": round(statistics.median(c for c, _ in got), 1),
                     "articles_per_wall_second": round(statistics.median(walls), 1),
                     "wall_runs": [round(w, 1) for w in walls]}
    shares = [s / e for (_, s), (_, e) in zip(runs["with_explanations_and_sentences"],
                                              runs["with_explanations"], strict=True)]
    out["sentences_share_of_explanations"] = round(statistics.median(shares), 3)
    return out


def _base_learners(model: HypeModel, article: Article) -> dict[str, float]:
    """Each base learner's own probability for one article: shows what the stackers combine
    (the clickbait headline learner alone is what clickbait-trained baselines measure)."""
    logits = model.base_logits([article])[0]
    return {name: round(float(expit(v)), 4) for name, v in zip(LOGIT_COLUMNS, logits, strict=True)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds of the three modes; the median round is reported")
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--seed-article", type=Path, default=None,
                    help="a text file: headline on line 1, body after (scored when given)")
    ap.add_argument("--record", action="store_true",
                    help="also write the figures into the model card (measured.scoring)")
    args = ap.parse_args()
    bundle = load_bundle(args.model or default_models_dir())
    scorer = Scorer(bundle)
    rows = list(generate(args.n, seed=1))
    articles = [Article(r["headline"], r["body"], r["id"]) for r in rows]
    size = sum(len(a.headline.encode()) + len(a.body.encode()) for a in articles) / len(articles)
    # warm-up: the first batches fill the span model's per-process token cache, which a
    # serving process has filled long before (this batch fills most of it)
    scorer.score(articles[:args.batch], explain=True, sentences=True)
    out: dict = {"model": bundle.version, "articles": len(articles),
                 "mean_article_bytes": round(size),
                 "model_file_mb": round((bundle.path / MODEL_FILE).stat().st_size / 2**20, 2)}
    out.update(measure(scorer, articles, args.batch, args.repeat))
    if args.seed_article is not None and args.seed_article.is_file():
        headline, _, body = args.seed_article.read_text(encoding="utf-8").partition("\n")
        res_article = Article(headline.strip(), body.strip())
        res = scorer.score_one(res_article)
        out["seed_article"] = {**res.scores, "spans": [s.text for s in res.spans],
                               "base_learners": _base_learners(bundle.model, res_article)}
    sober = json.loads((REPO_ROOT / "tests/fixtures/sober_report.json").read_text())
    out["sober_report"] = scorer.score_one(Article(sober["headline"], sober["body"])).scores
    print(json.dumps(out, indent=2))
    if args.record:
        record(args.model, "scoring", out)


if __name__ == "__main__":
    main()
