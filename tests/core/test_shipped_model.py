"""The shipped default model itself (no stand-in): it loads through the one bundle path, is
the version the README documents, and scores the README's example as the README shows."""

from __future__ import annotations

import json
import re

from hypemeter.bundles.bundle import MODEL_FILE, sha256_file
from hypemeter.paths import REPO_ROOT
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import load_scorer

SHIPPED = REPO_ROOT / "models" / "current"
README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_shipped_model_loads_and_is_the_documented_one() -> None:
    assert SHIPPED.is_symlink() and SHIPPED.resolve().parent == REPO_ROOT / "models"
    scorer = load_scorer(SHIPPED)  # raises (the test fails) if it does not load
    card = scorer.bundle.card
    assert card["model_sha256"] == sha256_file(SHIPPED / MODEL_FILE)
    assert SHIPPED.resolve().name == card["version"]
    assert f"default model `{card['version']}`" in README


def test_shipped_model_scores_the_readme_example_as_shown() -> None:
    match = re.search(r"```json\n(\{\n  \"id\": null,.*?\n\})\n```", README, re.S)
    assert match, "the README's example output"
    shown = json.loads(match.group(1))
    article = Article(headline="SHOCKING: doctors are FURIOUS about this one weird trick",
                      body="Experts are terrified. Act now before it is too late!")
    assert f'"headline": "{article.headline}"' in README and f'"body": "{article.body}"' \
        in README  # the curl example that produced it
    result = load_scorer(SHIPPED).score_one(article).to_dict()
    # the README may predate the language fields (issue 24): they must then be the English
    # detection; everything the README shows must be what the model returns
    assert (result.pop("language"), result.pop("language_asserted")) == (
        shown.pop("language", "en"), shown.pop("language_asserted", False))
    assert result == shown
