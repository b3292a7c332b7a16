"""Short texts (issue 22 item 4): do length and a missing field stand in for style?

The validation model of the bundle's recipe (fit on the training groups of ``hypemeter
train``'s seeded group split, see validation_support.py) scores the held-out articles four
ways: full text (headline and body), headline removed (body only), first sentence of the body
alone (no headline), headline alone. Per view: the sensationalism score distribution
(quartiles) of the sober and of the sensational articles, and ROC-AUC; the misinformation
head's ROC-AUC on held-out fabricated vs accurate articles the same four ways. Plus a few
one-line texts written for this benchmark, scored by the bundle itself.

Sober articles: held-out articles labelled not sensational, and the Pérez-Rosas crowd-sourced
legitimate news reports; sensational: held-out articles labelled sensational. Goal: sober
one-liners (first sentence, no headline) score like sober articles, median < 0.15.

    python benchmarks/bench_short_texts.py --data-dir DIR [--model models/current]
        [--validation-model /tmp/valid.joblib] [--json out.json] [--record]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypemeter.training.views import first_sentence
from record import record
from validation_support import validation_model

from hypemeter.paths import default_models_dir
from hypemeter.records.results import Article, Record
from hypemeter.scoring.scorer import load_scorer

GOAL_MEDIAN = 0.15
VIEWS = ("full", "body_only", "first_sentence", "headline_only")
OBJECTIVE = "perez_rosas_amt"
# one-liners written for this benchmark: plain statements, and loaded ones for contrast
ONE_LINERS = {
    "sober": [
        "Plain text.",
        "The report was published on Monday.",
        "The council approved the budget on Tuesday.",
        "The library will close at 6pm on Friday for staff training.",
        "Rainfall in March was slightly below the ten-year average.",
        "The company said quarterly revenue rose 3% to $1.2 billion.",
        "The bridge will reopen to traffic after repairs next week.",
        "Students can apply for the scholarship until 30 April.",
    ],
    "sensational": [
        "You won't believe what this council just did!",
        "Shocking betrayal leaves furious residents absolutely devastated.",
        "This insane scandal will destroy everything you love.",
        "Terrifying new threat could wipe out millions, experts warn.",
    ],
}


def view(r: Record, name: str) -> Article | None:
    if name == "full":
        return Article(r.headline, r.body, r.id)
    if name == "body_only":
        return Article("", r.body, r.id)
    if name == "headline_only":
        return Article(r.headline, "", r.id)
    sentence = first_sentence(r.body)
    return Article("", sentence, r.id) if sentence else None


def quartiles(p: np.ndarray) -> list[float]:
    return [round(float(q), 3) for q in np.quantile(p, [0.25, 0.5, 0.75])] if len(p) else []


def held_out(valid: list[Record]) -> dict[str, list[tuple[Record, int]]]:
    """Held-out full articles (headline and body) per head, with their labels."""
    both = [r for r in valid if r.headline.strip() and r.body.strip() and r.kind == "article"]
    sens = [(r, int(r.label)) for r in both
            if r.task == "sensationalism" and r.label is not None]
    sens += [(r, 0) for r in both
             if r.task == "misinformation" and r.source == OBJECTIVE and r.label == 0]
    mis = [(r, int(r.label)) for r in both if r.task == "misinformation" and r.label is not None]
    return {"sensationalism": sens, "misinformation_risk": mis}


def measure(model, items: dict[str, list[tuple[Record, int]]]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for column, (head, pairs) in enumerate(items.items()):
        rows: dict[str, dict] = {}
        for name in VIEWS:
            arts, ys = [], []
            for r, y in pairs:
                a = view(r, name)
                if a is not None and (a.headline.strip() or a.body.strip()):
                    arts.append(a)
                    ys.append(y)
            y = np.array(ys)
            p = model.predict_scores(arts)[:, column]
            rows[name] = {
                "n": len(y), "roc_auc": round(float(roc_auc_score(y, p)), 4),
                "sober_quartiles": quartiles(p[y == 0]),
                "sensational_quartiles": quartiles(p[y == 1]),
            }
        out[head] = rows
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=None,
                    help="bundle or models dir (default: the models dir's current)")
    ap.add_argument("--data-dir", type=Path, required=True, help="the training corpora")
    ap.add_argument("--validation-model", type=Path, default=None,
                    help="joblib file keeping the fitted validation model (default: none)")
    ap.add_argument("--json", type=Path, default=None, help="write all figures here")
    ap.add_argument("--record", action="store_true",
                    help="record the figures in the bundle's card")
    args = ap.parse_args()

    scorer = load_scorer(args.model or default_models_dir())
    model, valid = validation_model(scorer.bundle.card, args.data_dir, args.validation_model,
                                    scorer.bundle.model)
    figures = measure(model, held_out(valid))
    print(f"model {scorer.version}: validation model on held-out groups")
    for head, rows in figures.items():
        print(f"\n{head}\n| view | n | ROC-AUC | sober q25 / median / q75 | "
              "sensational q25 / median / q75 |\n|---|---|---|---|---|")
        for name, r in rows.items():
            print(f"| {name} | {r['n']} | {r['roc_auc']:.3f} | "
                  f"{' / '.join(map(str, r['sober_quartiles']))} | "
                  f"{' / '.join(map(str, r['sensational_quartiles']))} |")
    lines = {}
    for kind, texts in ONE_LINERS.items():
        res = scorer.score([Article("", t, f"{kind}{k}") for k, t in enumerate(texts)],
                           explain=False)
        lines[kind] = {t: r.scores["sensationalism"] for t, r in zip(texts, res, strict=True)}
    print("\nwritten one-liners, bundle's sensationalism (body only, no headline):")
    for kind, scores in lines.items():
        for t, s in scores.items():
            print(f"  {kind:11s} {s:.3f}  {t}")
    median = figures["sensationalism"]["first_sentence"]["sober_quartiles"][1]
    summary = {"sober_first_sentence_median": median, "goal": GOAL_MEDIAN,
               "goal_met": median < GOAL_MEDIAN,
               "written_sober_median": round(float(np.median(list(lines["sober"].values()))),
                                             4)}
    print("goal:", json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps({"model": scorer.version, "held_out": figures,
                                         "one_liners": lines, "goal": summary}, indent=1) + "\n")
    if args.record:
        record(args.model, "short_texts", {"held_out": figures, "goal": summary})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
