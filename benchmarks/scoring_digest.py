"""Everything scoring outputs for a fixed set of texts, to compare two versions of the code.

Writes one JSON line per article: the result (scores, spans, sentence scores) and what the text
analysis gives (tokens, offsets, separators, style vector, lexicon matches). Texts: generated
articles (``make_articles.py``), the same articles rewritten with non-ASCII punctuation, accents,
capitals and odd characters, the test fixtures, and hand-written edge cases. A speed change must
leave the file byte-identical:

    python benchmarks/scoring_digest.py --out /tmp/before.jsonl      # on the old code
    python benchmarks/scoring_digest.py --compare /tmp/before.jsonl  # on the new code

A retrained model cannot leave it byte-identical (its version is in every result): the comparison
also says how far the outputs moved (``outputs``: the largest score and sentence-score
difference, the articles whose spans differ in place or category and the largest span-weight
difference among the others, the articles whose text analysis differs).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_articles import generate

from hypemeter.bundles.bundle import load_bundle
from hypemeter.paths import REPO_ROOT, default_models_dir
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

EDGE_CASES = [
    "a''b 'tis rock'n'roll don't ’twas it’s o’clock x'' ''y __init__ x_y _z_ a_",
    "ABCdefGHI NATO BREAKING!!! U.S.A. e.g. Mr. Smith... What?! “Quoted.” (Aside.) Next",
    "Ⅻ ² ١٢٣ ǅungla ßtraße İstanbul ΣΊΣΥΦΟΣ Ωmega ﬁne naïve café résumé 東京 😀 emoji",
    "\ttabs\tand\u00a0non-breaking\u2009spaces\u2028line\u2029para\r\nwindows\rmac\x0bvt",
    "ends without punctuation", "", "   ", "!!!", "...", "?", "'", "’", "a", "A.", "1.5 2,000",
    "Now or never. Act now! Don't wait: time is running out; last chance, before it's too late",
    "You won't believe what happened next. THIS will blow your mind. You need to know why",
    "Stop.\n\nGo.\n\n\nWait…  Really…? Yes!” he said. “No.’ ‘Yes.’ «Non.» [Note.] {x.} end",
    "caf\u00e9 cafe\u0301 \u0130I \u0131i \u212a kelvin \u00b5 micro \u01c5 \u1e9e SS",
]


def _variant(text: str, rng: random.Random) -> str:
    """The text with curly quotes and apostrophes, accents, capitals and odd characters."""
    words = text.replace("'", "’").replace(' "', " “").replace('" ', "” ").split(" ")
    out = []
    for w in words:
        r = rng.random()
        if r < 0.04:
            w = w.upper()
        elif r < 0.06:
            w = w.replace("e", "é").replace("a", "à")
        elif r < 0.07:
            w = w + rng.choice(["’s", "'s", "_x", "²", "…", "—", "\u00a0", "\t", "😀"])
        elif r < 0.08:
            w = rng.choice(["ΣΊΣΥΦΟΣ", "İstanbul", "straße", "ﬁne", "Ⅻ", "١٢٣", "东京"])
        out.append(w)
    return " ".join(out)


def _fixture_texts() -> Iterator[tuple[str, str]]:
    fixtures = REPO_ROOT / "tests" / "fixtures"
    for path in sorted(fixtures.rglob("*")):
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        strings: list[str] = []
        for line in text.splitlines():
            try:
                value = json.loads(line)
            except ValueError:
                strings.append(line)
                continue
            stack = [value]
            while stack:
                v = stack.pop()
                if isinstance(v, str) and len(v) > 3:
                    strings.append(v)
                elif isinstance(v, dict):
                    stack.extend(v.values())
                elif isinstance(v, list):
                    stack.extend(v)
        for k in range(0, len(strings), 2):
            pair = strings[k:k + 2]
            yield pair[0], pair[1] if len(pair) > 1 else ""
        yield "", text[:20000]


def articles(n: int) -> list[Article]:
    rng = random.Random(7)
    rows = list(generate(n, seed=1))
    out = [Article(r["headline"], r["body"], r["id"]) for r in rows]
    out += [Article(_variant(r["headline"], rng), _variant(r["body"], rng), f"v{r['id']}")
            for r in rows[: n // 2]]
    out += [Article(h, b, f"fixture-{k}") for k, (h, b) in enumerate(_fixture_texts())]
    out += [Article(h, b, f"edge-{i}-{j}") for i, h in enumerate(EDGE_CASES)
            for j, b in enumerate(EDGE_CASES) if (h.strip() or b.strip()) and (i + j) % 3 == 0]
    return out


def digest_lines(scorer: Scorer, items: list[Article], batch: int = 100) -> Iterator[str]:
    model = scorer.bundle.model
    for i in range(0, len(items), batch):
        chunk = items[i:i + batch]
        results = scorer.score(chunk, explain=True, sentences=True)
        plain = scorer.score(chunk, explain=False)
        analyses = model.analyze(chunk)
        for a, r, p, an in zip(chunk, results, plain, analyses, strict=True):
            fields = {}
            for name in ("headline", "body"):
                fa = getattr(an, name)
                t = fa.tokens
                fields[name] = {
                    "words": t.words, "starts": list(t.starts), "ends": list(t.ends),
                    "raw": t.raw, "seps": list(t.seps), "style": [repr(float(x)) for x in fa.style],
                    "matches": [(m.first, m.last, m.category, repr(m.weight))
                                for m in fa.matches],
                }
            row = {"id": a.id, "result": r.to_dict(), "plain": p.to_dict(), "analysis": fields}
            yield json.dumps(row, sort_keys=True, ensure_ascii=True)


def how_far(old: list[str], new: list[str]) -> dict[str, object]:
    """How far the outputs of two digests are apart, the model's name and version aside."""
    score = sentence = weight = 0.0
    placed: list[str] = []
    analysis = 0
    for a, b in zip(map(json.loads, old), map(json.loads, new), strict=False):
        analysis += a["analysis"] != b["analysis"]
        for key in ("result", "plain"):
            if (a[key]["scores"] is None) != (b[key]["scores"] is None):
                placed.append(a["id"] + " (scored in one only)")
                continue
            for name, v in (a[key]["scores"] or {}).items():
                score = max(score, abs(v - b[key]["scores"][name]))
        ra, rb = a["result"], b["result"]
        where = [[(s["field"], s["start"], s["end"], s["category"]) for s in r["spans"]]
                 for r in (ra, rb)]
        if where[0] != where[1]:
            placed.append(a["id"])
        else:
            weight = max([weight, *(abs(x["weight"] - y["weight"])
                                    for x, y in zip(ra["spans"], rb["spans"], strict=True))])
        sa, sb = ra.get("sentences") or [], rb.get("sentences") or []
        if [(s["start"], s["end"]) for s in sa] == [(s["start"], s["end"]) for s in sb]:
            sentence = max([sentence, *(abs(x["sensationalism"] - y["sensationalism"])
                                        for x, y in zip(sa, sb, strict=True))])
        else:
            placed.append(a["id"] + " (sentences)")
    return {"max_score_difference": score, "max_sentence_score_difference": sentence,
            "articles_with_spans_placed_differently": len(placed), "first_of_them": placed[:5],
            "max_span_weight_difference": weight, "articles_analysed_differently": analysis}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--out", type=Path, help="write the digest here")
    ap.add_argument("--compare", type=Path, help="compare with a digest written before")
    args = ap.parse_args()
    scorer = Scorer(load_bundle(args.model or default_models_dir()))
    items = articles(args.n)
    lines = list(digest_lines(scorer, items))
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report: dict = {"articles": len(lines)}
    if args.compare:
        old = args.compare.read_text(encoding="utf-8").splitlines()
        differ = [k for k, (a, b) in enumerate(zip(old, lines, strict=False)) if a != b]
        report.update(compared=len(old), identical=not differ and len(old) == len(lines),
                      differing=len(differ))
        if differ:
            k = differ[0]
            a, b = json.loads(old[k]), json.loads(lines[k])
            report["first_difference"] = {
                "id": a["id"],
                "keys": sorted(key for key in a if a[key] != b.get(key)),
            }
            report["outputs"] = how_far(old, lines)
    print(json.dumps(report, indent=2))
    if args.compare and not report["identical"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
