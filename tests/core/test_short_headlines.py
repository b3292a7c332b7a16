"""Issue 22 item 4, headlines alone: a plain news headline scored without its body reads as
sober. The article corpora's headline views (a hyperpartisan article's label given to its plain
headline) once joined the headline calibration map as two of its four corpora, and every
headline scored alone moved towards 0.5 (sober article headlines: median 0.14 -> 0.43); see
hypemeter/training/views.py."""

from __future__ import annotations

import numpy as np

from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

PLAIN_HEADLINES = (
    "Council approves budget for new library",
    "City council to review parking rules next month",
    "Rainfall slightly below average in March",
    "Company reports 3% rise in quarterly revenue",
    "School board elects new chair",
    "Bridge to reopen after repairs next week",
    "University sets deadline for scholarship applications",
    "Water utility schedules maintenance on Main Street",
)
CLICKBAIT_HEADLINES = (
    "You won't believe what this council just did",
    "17 shocking things your landlord will never tell you",
    "This one weird trick will change the way you sleep forever",
    "What happened next left everyone absolutely speechless",
)
# corpora whose sensationalism labels describe a headline alone: the clickbait corpora and the
# sample's own headline-only items (23 of them); not the article corpora's headline views
HEADLINE_CORPORA = {"stop_clickbait_2016", "webis_clickbait17", "sample"}


def _scores(scorer: Scorer, headlines: tuple[str, ...]) -> np.ndarray:
    results = scorer.score([Article(h, "", f"h{k}") for k, h in enumerate(headlines)],
                           explain=False)
    return np.array([r.scores["sensationalism"] for r in results])


def test_plain_headlines_alone_score_sober(scorer: Scorer) -> None:
    plain = _scores(scorer, PLAIN_HEADLINES)
    assert float(np.median(plain)) < 0.2, plain  # 2026-12-07.1: 0.28 (up to 0.48)
    assert float(plain.max()) < 0.35, plain
    assert float(_scores(scorer, CLICKBAIT_HEADLINES).min()) > float(plain.max())


def test_the_headline_map_is_fitted_on_headline_corpora_only(scorer: Scorer) -> None:
    card = scorer.bundle.card
    selection = (card.get("calibration") or {}).get("selection", {})
    fitted_on = set(selection.get("sensationalism", {}).get("headline", {}).get("corpora", []))
    assert fitted_on <= HEADLINE_CORPORA, fitted_on  # 2026-12-07.1: + semeval2019_hyperpartisan
