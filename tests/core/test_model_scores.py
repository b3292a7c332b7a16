"""The shipped model scores the fixture texts exactly as it did: the raw float64 scores of
``models/current`` on the project's sample corpus and the report fixtures, bit for bit.

Fitting lives in ``hypemeter.training`` and scoring in ``hypemeter.scoring.model``; moving code
between
them (or making scoring faster) must not move a score by one bit. Retraining the default model
changes the scores: rewrite the expected file then, with
``.venv/bin/python tests/core/test_model_scores.py --write``.
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


def test_the_shipped_model_scores_the_fixtures_bit_for_bit(bundle_dir: Path) -> None:
    bundle = load_bundle(bundle_dir)
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert expected["version"] == bundle.version, (
        f"{EXPECTED.name} holds the scores of {expected['version']}, the shipped model is "
        f"{bundle.version}: rewrite it (see this module's docstring)")
    got = current_scores(bundle)
    assert len(got) == len(expected["scores"]) > 300
    changed = [k for k in expected["scores"] if got.get(k) != expected["scores"][k]]
    assert not changed, f"{len(changed)} score(s) changed, e.g. {changed[:3]}"


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    shipped = load_bundle(SHIPPED)
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in current_scores(shipped).items()]
    EXPECTED.write_text(f'{{"version": {json.dumps(shipped.version)}, "scores": {{\n'
                        + ",\n".join(lines) + "\n}}\n", encoding="utf-8")
    print(f"wrote {EXPECTED}")
