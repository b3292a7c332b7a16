"""The shipped default model itself (no stand-in): it loads through the one bundle path, and
the documentation shows what it answers (the REST API page's example output is generated from
it on every build; the README's curl example sends that very article)."""

from __future__ import annotations

import json

from support.docs import pages
from support.paths import MODELS, REPO, SHIPPED

from hypemeter.bundles.bundle import MODEL_FILE, sha256_file
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import load_scorer


def test_shipped_model_loads_and_is_the_documented_one() -> None:
    assert SHIPPED.is_symlink() and SHIPPED.resolve().parent == MODELS.resolve()
    scorer = load_scorer(SHIPPED)  # raises (the test fails) if it does not load
    card = scorer.bundle.card
    assert card["model_sha256"] == sha256_file(SHIPPED / MODEL_FILE)
    assert SHIPPED.resolve().name == card["version"]
    assert f"default model `{card['version']}`" in pages.example_output()


def test_the_documented_example_is_what_the_shipped_model_answers() -> None:
    api = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    assert "<!-- generated: example-request -->" in api
    assert "<!-- generated: example-output -->" in api
    shown = pages.example_output()
    body = json.loads(shown.split("```json\n", 1)[1].split("\n```", 1)[0])
    article = Article(headline=pages.EXAMPLE["headline"], body=pages.EXAMPLE["body"])
    assert body == load_scorer(SHIPPED).score_one(article).to_dict()
    assert body["spans"] and body["scores"]["sensationalism"] > 0.5
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"-d '{json.dumps(pages.EXAMPLE)}'" in readme  # the README's curl sends it
    assert f"-d '{json.dumps(pages.EXAMPLE)}'" in pages.example_request()
