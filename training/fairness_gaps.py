"""Why a per-term AUC misses the overall one: the corpora the term's records come from.

Borkan's pooled metrics (:func:`hypemeter.training.fairness.borkan_rows`) mix the held-out
corpora, whose AUCs and score levels differ widely (LIAR's one-line claims against full
articles). A term mentioned mostly by one corpus's records takes that corpus's place in the
ranking whatever the model does with the term. :func:`gap_reasons` tells the two apart for each
term and metric over the goal: it draws random subgroups with the term's own number of
positives and negatives *from each corpus* (the corpus mix held fixed, the term's words left
out of it) and computes the same metric for each draw. If the term's figure lies inside the
draws' 5-95% range, the gap is what any subgroup of those corpora and that size gets: a
property of the validation corpora, not of the term.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from hypemeter.records.results import Article, Record

METRICS = ("subgroup_auc", "bpsn_auc", "bnsp_auc")
TASK_COLUMN = {"sensationalism": 0, "misinformation": 1}


@dataclass
class Scored:
    """One task's labelled held-out records with the model's scores."""

    records: list[Record]
    y: np.ndarray
    p: np.ndarray
    corpus: np.ndarray


def scored(model: Any, records: Sequence[Record]) -> dict[str, Scored]:
    """Per task, its labelled ``records`` scored by ``model`` (the task's head)."""
    out = {}
    for task, column in TASK_COLUMN.items():
        recs = [r for r in records if r.task == task and r.label is not None]
        if recs:
            p = model.predict_scores([Article(r.headline, r.body, r.id) for r in recs])
            out[task] = Scored(recs, np.array([int(r.label or 0) for r in recs]),
                               p[:, column], np.array([r.corpus for r in recs]))
    return out


def metric(name: str, y: np.ndarray, p: np.ndarray, sub: np.ndarray) -> float | None:
    """Borkan's ``name`` for subgroup ``sub`` (None without both classes)."""
    if name == "subgroup_auc":
        keep = sub
    elif name == "bpsn_auc":  # background positives, subgroup negatives
        keep = (sub & (y == 0)) | (~sub & (y == 1))
    else:  # bnsp: background negatives, subgroup positives
        keep = (sub & (y == 1)) | (~sub & (y == 0))
    if keep.sum() == 0 or y[keep].min() == y[keep].max():
        return None
    return float(roc_auc_score(y[keep], p[keep]))


def matched_draws(s: Scored, sub: np.ndarray, name: str, draws: int, seed: int
                  ) -> np.ndarray:
    """``name`` for ``draws`` random subgroups holding, in every corpus, as many positives and
    negatives as ``sub`` does there (drawn from that corpus's records of that class)."""
    rng = np.random.default_rng(seed)
    cells = []
    for c in np.unique(s.corpus[sub]):
        for label in (0, 1):
            pool = np.flatnonzero((s.corpus == c) & (s.y == label))
            k = int((sub & (s.corpus == c) & (s.y == label)).sum())
            if k:
                cells.append((pool, k))
    values = []
    for _ in range(draws):
        fake = np.zeros(len(s.y), bool)
        for pool, k in cells:
            fake[rng.choice(pool, size=k, replace=False)] = True
        v = metric(name, s.y, s.p, fake)
        if v is not None:
            values.append(v)
    return np.array(values)


def gap_reasons(held: dict[str, Scored], subgroups: dict[str, dict[str, np.ndarray]],
                over_goal: Sequence[str], draws: int = 200, seed: int = 0
                ) -> list[dict[str, Any]]:
    """For each ``task:term:metric`` of ``over_goal``: the term's figure, the corpora its
    records come from, the corpus-matched draws' median and 5-95% range, and the reason:
    ``corpus mix`` when the figure lies inside that range, else ``term``.
    ``subgroups[task][term]`` marks the records of ``held[task]`` that mention the term."""
    out = []
    for key in over_goal:
        task, term, name = key.split(":")
        s, sub = held[task], subgroups[task][term]
        value = metric(name, s.y, s.p, sub)
        if value is None:
            continue
        control = matched_draws(s, sub, name, draws, seed)
        low, mid, high = (float(np.quantile(control, q)) for q in (0.05, 0.5, 0.95))
        corpora = {str(c): {"positives": int((sub & (s.corpus == c) & (s.y == 1)).sum()),
                            "negatives": int((sub & (s.corpus == c) & (s.y == 0)).sum())}
                   for c in np.unique(s.corpus[sub])}
        out.append({"task": task, "term": term, "metric": name, "value": round(value, 4),
                    "overall_auc": round(float(roc_auc_score(s.y, s.p)), 4),
                    "corpora": corpora, "matched_median": round(mid, 4),
                    "matched_5_95": [round(low, 4), round(high, 4)],
                    "reason": "corpus mix" if low <= value <= high else "term"})
    return out


def markdown(reasons: Sequence[dict[str, Any]]) -> str:
    """The reasons as a Markdown table."""
    lines = ["| task | term | metric | value | overall | records per corpus (+/-) "
             "| corpus-matched median [5-95%] | reason |", "|---|---|---|---|---|---|---|---|"]
    for r in reasons:
        mix = ", ".join(f"{c} {v['positives']}/{v['negatives']}"
                        for c, v in sorted(r["corpora"].items(),
                                           key=lambda kv: -sum(kv[1].values())))
        lo, hi = r["matched_5_95"]
        lines.append(f"| {r['task']} | {r['term']} | {r['metric']} | {r['value']:.3f} "
                     f"| {r['overall_auc']:.3f} | {mix} | {r['matched_median']:.3f} "
                     f"[{lo:.3f}-{hi:.3f}] | {r['reason']} |")
    return "\n".join(lines) + "\n"


__all__ = ["Scored", "gap_reasons", "markdown", "matched_draws", "metric", "scored"]
