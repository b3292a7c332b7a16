"""Calibration across domains (issue 25): how honest the scores are on a corpus the model
never saw, for one or more model bundles side by side.

For each bundle, its recipe (the card's ``params`` and ``calibration``) is refit once per
corpus without that corpus (:func:`hypemeter.training.loco.loco_predictions`, the
vectorizers and lexicon shared, the learners and stackers refit), and each corpus's records
are scored by the refit model; a calibrated recipe's maps are fitted without that corpus too
(nested). Printed per score:

* ECE (10 equal-width bins) per held-out corpus and pooled (every corpus weighing the same):
  ``ece_ref`` with each corpus reweighted to the score's reference prevalence (the feed its
  probabilities are defined for; a bundle without a calibration entry was fitted on even
  classes, so 0.5), and ``ece_raw`` on the corpus as it is;
* ROC-AUC per held-out corpus (leave-one-corpus-out), and the validation ROC-AUCs of the card;
* the median misinformation risk (and sensationalism) of the corpora's legitimate news held
  out of the fit: articles labelled accurate (FakeNewsNet, Pérez-Rosas, the sample) and
  articles judged not hyperpartisan (SemEval-2019).

    python benchmarks/bench_calibration.py [--data-dir DATA] --models git:REV:models/OLD models/NEW
        [--record] [--json out.json]

``--record`` writes the last bundle's figures into its card (``measured.calibration``). A
variant of a recipe is a folder holding only a card.json: its ``params`` (e.g.
``mainstream_corpora``) and ``calibration`` (``reference_prevalence``,
``mainstream_negatives``) are what is measured.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypemeter.training.calibration_heldout import heldout, legitimate_medians
from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.loco import LocoPredictions
from hypemeter.training.stacking import fit_calibrated
from recipe_history import fit_params
from record import record

from hypemeter.bundles.bundle import CARD_FILE, resolve_bundle_dir
from hypemeter.paths import REPO_ROOT, default_data_dir
from hypemeter.scoring.calibration import HEADS

GOAL_ECE = 0.08
GOAL_MEDIAN_RISK = 0.15
VALIDATION_KEYS = ("sensationalism/articles", "sensationalism/headlines",
                   "misinformation/articles", "misinformation/headlines")


def read_card(where: str) -> dict[str, Any]:
    """The card only (its params, calibration and validation) of a bundle folder, a models
    folder (its current bundle), ``git:REV:PATH`` (a bundle as committed, e.g. one removed
    since), or a folder holding just a card.json (a recipe whose bundle is not trained yet)."""
    if where.startswith("git:"):
        _, rev, path = where.split(":", 2)
        text = subprocess.run(["git", "show", f"{rev}:{path.rstrip('/')}/{CARD_FILE}"],
                              cwd=REPO_ROOT, capture_output=True, text=True,
                              check=True).stdout
        return json.loads(text)
    bundle_dir = resolve_bundle_dir(Path(where))
    return json.loads((bundle_dir / CARD_FILE).read_text(encoding="utf-8"))


def evaluate_bundle(path: str, records: list[Any], refits: dict[str, LocoPredictions],
                    exact: bool = False) -> dict[str, Any]:
    """Fit ``path``'s recipe on ``records`` and refit it without each corpus; measure it.
    Bundles with the same parameters share their refits (``refits``, by parameters)."""
    card = read_card(path)
    params = fit_params(card)
    calibration = card.get("calibration") or {}
    refs = calibration.get("reference_prevalence")
    mainstream = bool(calibration.get("mainstream_negatives"))
    t0 = time.perf_counter()
    key = json.dumps(params, sort_keys=True, default=list)
    if key not in refits:
        _, loco, problem = fit_calibrated(
            records, seed=int(card.get("seed", 0)), explanations=False, quick=not exact,
            log=lambda s: print(f"  {s}", file=sys.stderr, flush=True), **params)
        if loco is None:
            raise SystemExit(f"{path}: no leave-one-corpus-out predictions ({problem})")
        refits[key] = loco
    loco = refits[key]
    held = heldout(loco, refs, mainstream=mainstream)
    validation = card.get("validation") or {}
    return {
        "version": card.get("version"),
        "calibration": {k: calibration.get(k) for k in
                        ("method", "reference_prevalence", "fitted_on")} if refs else None,
        **{head: held[head].table() for head in HEADS},
        "legitimate_news": legitimate_medians(loco, held),
        "validation_roc_auc": {
            k: round(float(validation[k]["roc_auc"]), 4) for k in VALIDATION_KEYS
            if isinstance(validation.get(k), dict) and validation[k].get("roc_auc") is not None
        },
        "seconds": round(time.perf_counter() - t0, 1),
    }


def print_table(results: list[dict[str, Any]]) -> None:
    names = [r["version"] for r in results]
    print(f"\n{'':44}" + "".join(f"{n:>26}" for n in names))
    for head in HEADS:
        print(f"\n{head} (leave-one-corpus-out; ece_ref / ece_raw / roc_auc)")
        corpora = sorted({c for r in results for c in r[head]["corpora"]})
        for c in corpora:
            cells = []
            for r in results:
                e = r[head]["corpora"].get(c)
                cells.append("n/a" if e is None else
                             f"{e['ece_ref']:.3f} / {e['ece_raw']:.3f} / {e['roc_auc']:.3f}")
            print(f"  {c:42}" + "".join(f"{x:>26}" for x in cells))
        print(f"  {'pooled (corpora equal)':42}" + "".join(
            f"{r[head]['pooled']['ece_ref']:.3f} / {r[head]['pooled']['ece_raw']:.3f}".rjust(26)
            for r in results))
        print(f"  {'reference prevalence':42}" + "".join(
            f"{r[head]['reference_prevalence']:>26}" for r in results))
    print("\nlegitimate news held out of the fit: median score (share >= 0.5)")
    for head in HEADS:
        print(f"  {head:42}" + "".join(
            f"{r['legitimate_news'][head]['median']:.3f} "
            f"({r['legitimate_news'][head]['share_ge_0_5']:.2f})".rjust(26) for r in results))
        corpora = sorted({c for r in results for c in r["legitimate_news"][head]["per_corpus"]})
        for c in corpora:
            print(f"    {c:40}" + "".join(
                f"{r['legitimate_news'][head]['per_corpus'].get(c, {}).get('median', 'n/a')}"
                .rjust(26) for r in results))
    print("\nvalidation ROC-AUC (card)")
    for k in VALIDATION_KEYS:
        print(f"  {k:42}" + "".join(
            f"{r['validation_roc_auc'].get(k, 'n/a')}".rjust(26) for r in results))
    print(f"\ngoals: ECE (ece_ref) <= {GOAL_ECE} per corpus and pooled; median misinformation "
          f"risk of legitimate news <= {GOAL_MEDIAN_RISK}; ROC-AUCs within 0.01")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="the corpora (default: $HYPEMETER_DATA_DIR)")
    ap.add_argument("--models", nargs="+", required=True,
                    help="bundle folders, a models folder (its current bundle), or "
                         "git:REV:PATH for a bundle as committed at REV")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--exact", action="store_true",
                    help="refit every learner with its own inner folds (training's quick "
                         "refits reuse the full fit's out-of-fold logits; several times "
                         "slower)")
    ap.add_argument("--record", action="store_true",
                    help="write the last bundle's figures into its card")
    args = ap.parse_args()
    records, _ = load_corpora(args.data_dir or default_data_dir())
    results = []
    refits: dict[str, LocoPredictions] = {}
    for path in args.models:
        print(f"{path}:", file=sys.stderr)
        results.append(evaluate_bundle(path, records, refits, args.exact))
    print(json.dumps(results, indent=2))
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if args.record:
        record(Path(args.models[-1]), "calibration", {"models": results})


if __name__ == "__main__":
    main()
