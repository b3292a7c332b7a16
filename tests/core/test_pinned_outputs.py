"""Scoring outputs pinned on fixed texts: scores, spans and sentence scores of the shipped model,
so that a speed change that alters any output fails here.

What is pinned, per article (``pinned_outputs.json``):

* ``digests``: the SHA-256 of the results' JSON with every float replaced by a placeholder:
  ids, span fields, offsets, categories, the number and order of spans and sentences, exactly;
* ``floats``: every float of those results (scores, span weights, sentence scores), in JSON
  order, compared to within :data:`TOLERANCE` (1e-9).

Why not the floats bit for bit: they go through BLAS dot products, ``exp`` and sums whose last
bit depends on the CPU (SIMD width, FMA), the BLAS build and its threading; another machine
gave differences of up to 5.6e-17 (issue 22), enough to change a digest of the raw floats on
every machine but the one that wrote it. Any real change moves a float by far more than 1e-9,
or changes a span, an offset or a count, which the digest still catches exactly.

The pins belong to one model version; another model skips the test until they are written
again with ``HYPEMETER_REPIN=1 python -m pytest tests/core/test_pinned_outputs.py``."""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
from pathlib import Path
from typing import Any

import pytest
from support.benchmarks import load_make_articles

from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

PINNED = Path(__file__).resolve().parents[1] / "fixtures" / "pinned_outputs.json"
TOLERANCE = 1e-9  # absolute, on every float of the results (see the module docstring)
FLOAT = "<float>"  # what stands for a float in the digested JSON

# Written for this test: apostrophes, curly quotes, capitals, non-ASCII letters, odd spaces,
# abbreviations, ellipses, urgency and clickbait formulas, empty fields.
TEXTS = [
    ("Act now: you won't believe what happened next",
     "Residents who read the notice on Monday said the plan was fine. You won't believe what "
     "happened next, one neighbour wrote."),
    ("Council approves budget after SHOCKING late-night vote",
     "The city council approved the budget on Tuesday. Critics called it a disaster!!! "
     "Mr. Reyes said the U.S. grant was \u201cfine\u201d\u2026 Was it? Nobody knows."),
    ("", "Only a body here.\n\nA second paragraph\twith a tab, and it\u2019s over."),
    ("Only a headline, no body", ""),
    ("\u0130stanbul caf\u00e9 na\u00efve \u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3 \u216b",
     "Terrible, horrifying, catastrophic disaster! Furious residents fear the worst. This is "
     "why you need to know: the BEST and the WORST deals ever, the latest and most honest."),
]


def _articles() -> list[Article]:
    rows = list(load_make_articles().generate(40, seed=1))
    out = [Article(r["headline"], r["body"], r["id"]) for r in rows]
    rng = random.Random(3)
    for r in rows[:10]:  # the same articles with curly quotes and a few capitalised words
        def vary(text: str) -> str:
            words = text.replace("'", "\u2019").split(" ")
            return " ".join(w.upper() if rng.random() < 0.05 else w for w in words)
        out.append(Article(vary(r["headline"]), vary(r["body"]), "v" + r["id"]))
    out += [Article(h, b, f"text-{k}") for k, (h, b) in enumerate(TEXTS)]
    return out


def split_floats(value: Any, floats: list[float]) -> Any:
    """``value`` (JSON data) with every float replaced by :data:`FLOAT`, the floats appended to
    ``floats`` in order."""
    if isinstance(value, float):
        floats.append(value)
        return FLOAT
    if isinstance(value, dict):
        return {k: split_floats(v, floats) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [split_floats(v, floats) for v in value]
    return value


def pin_of(outputs: Any) -> tuple[str, list[float]]:
    """(digest of the float-free JSON, the floats) of one article's outputs."""
    floats: list[float] = []
    skeleton = split_floats(outputs, floats)
    blob = json.dumps(skeleton, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest(), floats


def outputs_by_article(scorer: Scorer) -> dict[str, Any]:
    articles = _articles()
    full = scorer.score(articles, explain=True, sentences=True)
    plain = scorer.score(articles, explain=False)
    return {str(a.id): [f.to_dict(), p.to_dict()]
            for a, f, p in zip(articles, full, plain, strict=True)}


def pins(outputs: dict[str, Any]) -> dict[str, Any]:
    """The fixture's ``digests`` and ``floats`` for ``outputs`` (id -> outputs)."""
    digests, floats = {}, {}
    for key, value in outputs.items():
        digests[key], floats[key] = pin_of(value)
    return {"digests": digests, "floats": floats}


def differences(pinned: dict[str, Any], got: dict[str, Any],
                tolerance: float = TOLERANCE) -> list[str]:
    """Why ``got`` (from :func:`pins`) is not ``pinned``: one line per article that differs."""
    out = []
    for key, digest in pinned["digests"].items():
        if got["digests"].get(key) != digest:
            out.append(f"{key}: spans, offsets or structure changed")
            continue
        want, have = pinned["floats"][key], got["floats"][key]
        far = [(w, h) for w, h in zip(want, have, strict=True)
               if not math.isclose(w, h, rel_tol=0.0, abs_tol=tolerance)]
        if far:
            w, h = max(far, key=lambda p: abs(p[0] - p[1]))
            out.append(f"{key}: {len(far)} float(s) moved by more than {tolerance}, "
                       f"the most {w!r} -> {h!r}")
    out += [f"{key}: not pinned" for key in got["digests"] if key not in pinned["digests"]]
    return out


def pinned_text(model: str, got: dict[str, Any]) -> str:
    """The fixture file: one line per article (its float list on one line, not one a line)."""
    def block(name: str) -> str:
        rows = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in got[name].items()]
        return f" {json.dumps(name)}: {{\n" + ",\n".join(rows) + "\n }"
    return (f'{{\n "model": {json.dumps(model)},\n' + block("digests") + ",\n"
            + block("floats") + "\n}\n")


def test_outputs_are_the_pinned_ones(scorer: Scorer) -> None:
    got = pins(outputs_by_article(scorer))
    if os.environ.get("HYPEMETER_REPIN") == "1":
        PINNED.write_text(pinned_text(scorer.version, got))
    pinned = json.loads(PINNED.read_text())
    if pinned["model"] != scorer.version:
        pytest.skip(f"outputs pinned for model {pinned['model']}, not {scorer.version}")
    assert "floats" in pinned, ("pinned_outputs.json was written by the old, bit-for-bit "
                                "version of this test: write it again with HYPEMETER_REPIN=1")
    assert len(got["digests"]) == len(pinned["digests"]) == 55
    differ = differences(pinned, got)
    assert not differ, f"outputs changed for {len(differ)} articles, first: {differ[:5]}"
