"""What each step of the fairness and short-text recipe costs (issues 22 and 23), measured apart.

Each step is a set of :class:`~hypemeter.scoring.model.HypeModel` and
:class:`~hypemeter.training.recipe.Recipe` parameters; for each, the validation model (fit on
the training groups of ``hypemeter train``'s seeded 80/20 group split, as in
``validation_support.py``; no explanations, no calibration) prints:

* the validation ROC-AUCs the model card reports (``validation``: per task and kind of text,
  and the held-out articles' short views), which calibration cannot move (its maps are
  monotone per input kind);
* the short-text figures of ``bench_short_texts.py`` (sober median of first sentences and of
  headlines alone, the stackers' own sigmoid);
* the sensationalism of held-out legitimate news (share at 0.5 or more, median);
* the identity-term templates of ``bench_fairness.py`` scored by the validation model (worst
  sober excess, worst sensational gap; spans need the final model's span model: not here) and
  Borkan's worst per-term AUC gap on the held-out groups.

    python benchmarks/bench_recipe_steps.py --data-dir DIR [--steps base,reports,...]
        [--cache-dir /tmp/steps] [--json out.json]

Steps (each adds to or changes the one before it; ``shipped`` is 2026-12-07.2's recipe, and
``reports_no_lexicon`` 2026-12-07.3's, the default):
``base`` (2026-12-07.0's recipe), ``reports``, ``mask``, ``views`` (2026-12-07.1's recipe),
``no_sens_headline_views``, ``article_stackers``, ``no_headline_views``, ``shipped``
(2026-12-07.2's recipe); then where the reports about groups go, each against
``shipped``: ``reports_no_views``, ``reports_half`` (half weight), ``reports_article_learners``
(not the body learner, no views), ``reports_article_learners_only`` (nor the stackers),
``reports_no_lexicon``, ``no_reports`` (none at all) and ``reports_span_model_only`` (the
span model only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import joblib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_short_texts import held_out, measure
from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.corpora.split import group_split
from hypemeter.training.fairness import (
    MATERIAL_DIR,
    borkan_rows,
    goals,
    load_material,
    template_rows,
)
from hypemeter.training.stacking import fit_model
from hypemeter.training.validation import evaluate_records
from hypemeter.training.views import short_views

from hypemeter.records.results import Article
from hypemeter.scoring.model import HypeModel

BOTH = ("sensationalism", "misinformation")
# the reports about groups in every learner they reach, the stackers, the views and the lexicon
# (2026-12-07.1 and .2)
REPORTS_EVERYWHERE: dict[str, Any] = {
    "identity_report_learners": ("body", "loaded_head", "sens_article"),
    "identity_report_stackers": True, "identity_report_views": True,
    "identity_report_lexicon": True}
BASE: dict[str, Any] = {"identity_mask": False, "view_weight": None, "body_stacker": False,
                        "identity_report_tasks": (), "headline_views": (*BOTH, "spans"),
                        **REPORTS_EVERYWHERE}
STEPS: dict[str, dict[str, Any]] = {
    "base": BASE,
    "reports": {**BASE, "identity_report_tasks": BOTH},
    "mask": {**BASE, "identity_report_tasks": BOTH, "identity_mask": True},
    "views": {**BASE, "identity_report_tasks": BOTH, "identity_mask": True, "view_weight": 0.5},
    "no_sens_headline_views": {**BASE, "identity_report_tasks": BOTH, "identity_mask": True,
                               "view_weight": 0.5, "headline_views": ("misinformation",)},
    "article_stackers": {**BASE, "identity_report_tasks": BOTH, "identity_mask": True,
                         "view_weight": 0.5, "headline_views": ("misinformation",),
                         "body_stacker": True},
    "no_headline_views": {**BASE, "identity_report_tasks": BOTH, "identity_mask": True,
                          "view_weight": 0.5, "headline_views": (), "body_stacker": True},
    "shipped": REPORTS_EVERYWHERE,  # 2026-12-07.2's recipe (2026-12-07.3: reports_no_lexicon)
    # where the reports about groups go (issue 23: they cost HYPO's body-only sentences)
    "reports_no_views": {**REPORTS_EVERYWHERE, "identity_report_views": False},
    "reports_half": {**REPORTS_EVERYWHERE, "identity_report_weight": 0.5},
    "reports_article_learners": {**REPORTS_EVERYWHERE, "identity_report_views": False,
                                 "identity_report_learners": ("loaded_head", "sens_article")},
    "reports_article_learners_only": {
        **REPORTS_EVERYWHERE, "identity_report_learners": ("loaded_head", "sens_article"),
        "identity_report_views": False, "identity_report_stackers": False},
    "reports_no_lexicon": {**REPORTS_EVERYWHERE, "identity_report_lexicon": False},
    "reports_article_learners_no_lexicon": {
        **REPORTS_EVERYWHERE, "identity_report_learners": ("loaded_head", "sens_article"),
        "identity_report_views": False, "identity_report_lexicon": False},
    "no_reports": {"identity_report_tasks": ()},
    "reports_span_model_only": {"identity_report_learners": (), "identity_report_views": False,
                                "identity_report_stackers": False,
                                "identity_report_lexicon": False},
}
CARD_KEYS = ("sensationalism/articles", "sensationalism/body_only", "sensationalism/headlines",
             "misinformation/articles", "misinformation/headlines")


def legitimate_news(model: HypeModel, valid: list) -> dict[str, Any]:
    """Sensationalism of the held-out legitimate news (full articles labelled accurate, or
    judged not hyperpartisan; each text once): the share at 0.5 or more and the median, on
    the stackers' own sigmoid (sensationalism keeps it in calibration)."""
    seen, arts = set(), []
    for r in valid:
        if (r.label == 0 and r.headline.strip() and r.body.strip()
                and (r.task == "misinformation" or r.corpus == "semeval2019_hyperpartisan")
                and (r.headline, r.body) not in seen):
            seen.add((r.headline, r.body))
            arts.append(Article(r.headline, r.body, r.id))
    p = model.predict_scores(arts)[:, 0]
    return {"n": len(arts), "share_ge_0_5": round(float((p >= 0.5).mean()), 3),
            "median": round(float(np.median(p)), 3)}


def measure_step(model: HypeModel, valid: list) -> dict[str, Any]:
    # span-labelled records: their span figures need a span model (not fitted here)
    plain = [replace(r, spans=[]) for r in [*valid, *short_views(valid)]]
    val = evaluate_records(model, plain)
    aucs = {k: round(v["roc_auc"], 4) for k, v in val.items()
            if isinstance(v, dict) and v.get("roc_auc") is not None}
    short = measure(model, held_out(valid))["sensationalism"]

    class Scores:  # template_rows' scorer interface, scores only
        def score(self, articles: list, explain: bool = True) -> list:
            return [SimpleNamespace(spans=[], scores={"sensationalism": float(p[0]),
                                                      "misinformation_risk": float(p[1])})
                    for p in model.predict_scores(articles)]

    material = load_material(MATERIAL_DIR)
    g = goals(template_rows(Scores(), material), borkan_rows(model, valid, material))
    return {"validation_roc_auc": aucs, "legitimate_news": legitimate_news(model, valid),
            "short": {v: {"roc_auc": r["roc_auc"], "sober_median": r["sober_quartiles"][1]}
                      for v, r in short.items()},
            "templates": {k: g.get(k) for k in ("worst_sober_excess", "worst_sober_excess_term",
                                                "worst_sensational_gap")},
            "worst_auc_gap": g.get("worst_auc_gap")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, required=True, help="the training corpora")
    ap.add_argument("--steps", default=",".join(STEPS),
                    help=f"comma-separated steps (default: all: {', '.join(STEPS)})")
    ap.add_argument("--cache-dir", type=Path, default=None,
                    help="keep each step's fitted validation model here (default: none)")
    ap.add_argument("--json", type=Path, default=None, help="write all figures here")
    args = ap.parse_args()
    steps = args.steps.split(",")
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        ap.error(f"unknown step(s) {', '.join(unknown)}; known: {', '.join(STEPS)}")
    records, _ = load_corpora(args.data_dir, None, include_sample=True)
    train, valid = group_split(records, valid_fraction=0.2, seed=0)
    out: dict[str, Any] = {}
    for step in steps:
        cache = args.cache_dir / f"{step}.joblib" if args.cache_dir else None
        if cache is not None and cache.exists():
            model = joblib.load(cache)
        else:
            t0 = time.perf_counter()
            model = fit_model(train, seed=0, explanations=False, **STEPS[step])
            print(f"{step}: fitted in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
            if cache is not None:
                cache.parent.mkdir(parents=True, exist_ok=True)
                joblib.dump(model, cache)
        out[step] = measure_step(model, valid)
        print(step, json.dumps(out[step]), flush=True)
    print("\n| step | " + " | ".join(CARD_KEYS) + " | sober first sentence / headline median "
          "| legitimate news >= 0.5 (median) | worst sober excess | worst sensational gap "
          "| worst per-term AUC gap |")
    print("|---" * (len(CARD_KEYS) + 6) + "|")
    for step, r in out.items():
        a, s, t, w = (r["validation_roc_auc"], r["short"], r["templates"], r["worst_auc_gap"])
        print(f"| {step} | " + " | ".join(f"{a.get(k, float('nan')):.4f}" for k in CARD_KEYS)
              + f" | {s['first_sentence']['sober_median']} / {s['headline_only']['sober_median']}"
              f" | {r['legitimate_news']['share_ge_0_5']} ({r['legitimate_news']['median']})"
              f" | {t['worst_sober_excess']:.3f} | {t['worst_sensational_gap']:.3f} | "
              f"{w['gap']:.3f} ({w['task']}, {w['term']}) |")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
