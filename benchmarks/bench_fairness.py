"""Unintended bias on identity terms (issue 23): do identity words make a sober report read as
sensational, and does the model rank texts that mention a group as well as the others?

1. Templates (``benchmarks/fairness/``, see its README.md): 13 sober and 13 sensational
   reports, headline and body, each filled with 60 identity terms (religions, ethnicities,
   nationalities, sexual orientation, gender identity, disability, political leanings) and with
   the neutral fillers "local", "neighbourhood", "city". Per term: mean and worst score of both
   heads on the sober and the sensational templates, the excess over "local" on the same
   templates, and the spans that cover the term.
2. With ``--data-dir``: the validation model of the bundle's recipe (fit on the training
   groups of the same seeded 80/20 group split as ``hypemeter train``) scores the held-out
   groups; per term with at least ``--min-support`` positives and negatives among the records
   that mention it: Borkan et al.'s subgroup, BPSN and BNSP AUC beside the overall ROC-AUC.
   Fitting takes minutes: ``--validation-model FILE`` keeps the fitted model and reuses it.
   Each pooled term and metric over the goal gets its reason (``training/fairness_gaps.py``):
   *corpus mix* when random subgroups with the term's positives and negatives per corpus
   score the same, *term* when the term's figure lies outside their 5-95% range.
3. With ``--seed-article FILE`` (first line headline, the rest body): its scores and phrases.

Prints the goals of issue 23 and whether each is met.

    python benchmarks/bench_fairness.py [--model models/current] [--data-dir DIR]
        [--validation-model /tmp/valid.joblib] [--seed-article FILE] [--json out.json]
        [--record]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypemeter.training.fairness import (
    borkan_rows,
    gap_reasons,
    gaps_markdown,
    goals,
    load_material,
    markdown,
    template_rows,
)
from hypemeter.training.fairness_gaps import scored
from record import record
from validation_support import validation_model

from hypemeter.paths import default_models_dir
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import load_scorer

MATERIAL = Path(__file__).resolve().parent / "fairness"


def seed_article(scorer, path: Path) -> dict:
    lines = path.read_text(encoding="utf-8").split("\n", 1)
    result = scorer.score([Article(lines[0], lines[1] if len(lines) > 1 else "", "seed")],
                          explain=True)[0]
    return {"scores": result.scores,
            "phrases": [f"{s.field}:{s.text}:{s.category}:{s.weight:.3f}" for s in result.spans]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=None,
                    help="bundle or models dir (default: the models dir's current)")
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="corpora for the held-out per-term AUCs (default: skipped)")
    ap.add_argument("--validation-model", type=Path, default=None,
                    help="joblib file keeping the fitted validation model (default: none)")
    ap.add_argument("--min-support", type=int, default=10,
                    help="positives and negatives a term needs among held-out records "
                         "(default: 10)")
    ap.add_argument("--seed-article", type=Path, default=None,
                    help="a text file (line 1 headline) whose scores and phrases to print")
    ap.add_argument("--json", type=Path, default=None, help="write all figures here")
    ap.add_argument("--record", action="store_true",
                    help="record the goal figures in the bundle's card")
    args = ap.parse_args()

    scorer = load_scorer(args.model or default_models_dir())
    material = load_material(MATERIAL)
    print(f"model {scorer.version}: {len(material.terms)} terms x "
          f"{sum(map(len, material.templates.values()))} templates")
    rows = template_rows(scorer, material)
    borkan, held = None, None
    if args.data_dir is not None:
        model, valid = validation_model(scorer.bundle.card, args.data_dir,
                                        args.validation_model, scorer.bundle.model)
        held = scored(model, valid)
        borkan = borkan_rows(model, valid, material, args.min_support, held=held)
    summary = goals(rows, borkan)
    reasons = gap_reasons(held, material, summary) if held else []
    print(markdown(rows, borkan) + gaps_markdown(reasons))
    out = {"model": scorer.version, "goals": summary, "terms": rows, "held_out": borkan,
           "auc_gap_reasons": reasons}
    if args.seed_article is not None:
        out["seed_article"] = seed_article(scorer, args.seed_article)
        print("seed article:", json.dumps(out["seed_article"], indent=1))
    print("goals:", json.dumps(summary, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    if args.record:
        record(args.model, "fairness", {"goals": summary, "auc_gap_reasons": reasons})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
