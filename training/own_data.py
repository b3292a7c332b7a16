"""The card's ``own_data`` section: for each own-data / feedback corpus, how many corrections it
holds, when they were made, and how the model does on that corpus's held-out records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypemeter.training.corpora.base import LoadReport
from hypemeter.training.validation import evaluate_records

from hypemeter.records.results import Record
from hypemeter.scoring.model import HypeModel

NO_HELD_OUT = ("no held-out records: the validation split holds out whole outlets (source), "
               "or buckets of texts when there is no source")


def own_data_summary(
    reports: Sequence[LoadReport], records: Sequence[Record], valid: Sequence[Record],
    model: HypeModel,
) -> list[dict[str, Any]]:
    """One entry per corpus loaded from an own-data file (its report carries ``meta``):
    the file's counts (texts, labels, span verdicts, corrections superseded by later ones), the
    ``created_at`` range, the records it gave, and ``validation``: the validation model's
    metrics on this corpus's held-out records (per task and kind of text, spans), or a note."""
    out = []
    for rep in reports:
        if not rep.meta:
            continue
        held = [r for r in valid if r.corpus == rep.corpus]
        entry: dict[str, Any] = {
            "name": rep.corpus,
            **rep.meta,
            "records": sum(r.corpus == rep.corpus for r in records),
            "held_out_records": len(held),
            "issues": rep.count(),
        }
        if held:
            entry["validation"] = evaluate_records(model, held)
        else:
            entry["validation"] = {"note": NO_HELD_OUT}
        out.append(entry)
    return out
