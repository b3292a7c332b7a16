"""The shipped model scores the fixture texts as it did: the raw float64 scores of
``models/current`` on the project's sample corpus and the report fixtures, to within
:data:`TOLERANCE` (1e-9).

Why a tolerance and not bit for bit: the scores go through BLAS dot products, ``exp`` and sums
whose last bit depends on the CPU (SIMD width, FMA or not), the BLAS build and its threading
(the order in which partial sums are added). The same model on another machine gave scores
that differ by up to 5.6e-17 (issue 22), so an exact pin fails on every machine but the one
that wrote it. A real change (a refactoring that alters a feature, a different model) moves
scores by far more than 1e-9: the pin still catches it. The expected file keeps the exact
hex floats of the machine that wrote it.

Fitting lives in ``hypemeter.training`` and scoring in ``hypemeter.scoring.model``; moving code
between them (or making scoring faster) must not move a score. Retraining the default model
changes the scores: rewrite the expected file then, with
``PYTHONPATH=tests .venv/bin/python tests/core/test_model_scores.py --write``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from support.paths import REPO as REPO_ROOT

from hypemeter.bundles.bundle import Bundle, load_bundle
from hypemeter.records.results import Article

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED = FIXTURES / "current_scores.json"
SHIPPED = REPO_ROOT / "models" / "current"
# Scores agree to this absolute difference across CPUs and BLAS builds (see the docstring);
# scores lie in [0, 1], so this is also about 1e-9 relative for scores that matter.
TOLERANCE = 1e-9


def fixture_articles() -> list[Article]:
    lines = (REPO_ROOT / "datasets" / "sample" / "sample.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in lines.splitlines() if line.strip()]
    for name in ("loaded_report.json", "sober_report.json"):
        rows.append({"id": name, **json.loads((FIXTURES / name).read_text(encoding="utf-8"))})
    return [Article(str(r.get("headline") or ""), str(r.get("body") or ""), str(r["id"]))
            for r in rows]


def current_scores(bundle: Bundle) -> dict[str, list[str]]:
    """id -> [sensationalism, misinformation_risk] as exact hex floats."""
    articles = fixture_articles()
    model = bundle.model
    scores = model.predict_scores(articles, model.analyze(articles))
    return {a.id or "": [float(v).hex() for v in row]
            for a, row in zip(articles, scores, strict=True)}


def changed_scores(expected: dict[str, list[str]], got: dict[str, list[str]],
                   tolerance: float = TOLERANCE) -> list[str]:
    """The ids whose scores are missing or further than ``tolerance`` from the expected ones
    (both as hex floats, ``{id: [sensationalism, misinformation_risk]}``)."""
    changed = []
    for key, want in expected.items():
        have = got.get(key)
        if have is None or len(have) != len(want) or any(
            not abs(float.fromhex(h) - float.fromhex(w)) <= tolerance
            for h, w in zip(have, want, strict=True)
        ):
            changed.append(key)
    return changed


def test_the_shipped_model_scores_the_fixtures_as_pinned(bundle_dir: Path) -> None:
    bundle = load_bundle(bundle_dir)
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert expected["version"] == bundle.version, (
        f"{EXPECTED.name} holds the scores of {expected['version']}, the shipped model is "
        f"{bundle.version}: rewrite it (see this module's docstring)")
    got = current_scores(bundle)
    assert len(got) == len(expected["scores"]) > 300
    changed = changed_scores(expected["scores"], got)
    assert not changed, (f"{len(changed)} score(s) changed by more than {TOLERANCE}, e.g. "
                         f"{[(k, expected['scores'][k], got.get(k)) for k in changed[:3]]}")


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    shipped = load_bundle(SHIPPED)
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in current_scores(shipped).items()]
    EXPECTED.write_text(f'{{"version": {json.dumps(shipped.version)}, "scores": {{\n'
                        + ",\n".join(lines) + "\n}}\n", encoding="utf-8")
    print(f"wrote {EXPECTED}")
