"""Re-measure a bundle's span validation after a change to span decoding (no change to what is
fitted): refit the validation model on the same 80% of groups ``hypemeter train`` used, score
the held-out articles' spans and sentences, and rewrite ``validation.spans`` in the card and
``report/spans/`` in the bundle (the model file is untouched).

    python benchmarks/revalidate_spans.py --data-dir DIR [--model models/current]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.corpora.split import group_split
from hypemeter.training.span_metrics import span_metrics
from hypemeter.training.span_report import write_span_report
from hypemeter.training.train import _fit

from hypemeter.bundles.bundle import CARD_FILE
from hypemeter.paths import default_models_dir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=os.environ.get("HYPEMETER_DATA_DIR"))
    ap.add_argument("--model", type=Path, default=None)
    args = ap.parse_args()
    bundle = (args.model or default_models_dir() / "current").resolve()
    card = json.loads((bundle / CARD_FILE).read_text(encoding="utf-8"))
    records, _ = load_corpora(args.data_dir, None, include_sample=True)
    train, valid = group_split(records, valid_fraction=0.2, seed=card["seed"])
    model = _fit(train, card["seed"])
    spans = span_metrics(model, valid)
    card["validation"]["spans"] = spans
    write_span_report(bundle / "report", spans)
    (bundle / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: spans[k] for k in ("precision", "recall", "f1", "weight_ece",
                                            "precision_weight_ge_0_5")}))


if __name__ == "__main__":
    main()
