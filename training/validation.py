"""Validation metrics of a fitted model on held-out records, per task and per kind of text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypemeter.training.metrics import binary_metrics, graded_metrics
from hypemeter.training.span_metrics import span_metrics
from hypemeter.training.views import VIEW_KINDS

from hypemeter.records.results import Article, Record
from hypemeter.scoring.model import HypeModel

SCORE_COLUMN = {"sensationalism": 0, "misinformation": 1}


def _segment(records: Sequence[Record]) -> dict[str, list[Record]]:
    seg: dict[str, list[Record]] = {}
    for r in records:
        if r.task not in SCORE_COLUMN:
            continue
        kind = "articles" if r.body.strip() and r.headline.strip() else (
            "headlines" if r.headline.strip() else "body_only")
        if r.kind in VIEW_KINDS:  # views of the held-out articles: segments of their own
            kind = f"view_{r.kind}"
        seg.setdefault(f"{r.task}/{kind}", []).append(r)
    return seg


def evaluate_records(model: HypeModel, records: Sequence[Record]) -> dict[str, Any]:
    """Binary metrics (ROC-AUC, F1, Brier, ECE) per task and text kind, graded metrics where a
    target exists, per-corpus ROC-AUC, and span P/R/F1 on span-labelled records."""
    out: dict[str, Any] = {}
    for name, recs in sorted(_segment(records).items()):
        task = name.split("/")[0]
        arts = [Article(r.headline, r.body, r.id) for r in recs]
        p = model.predict_scores(arts)[:, SCORE_COLUMN[task]]
        labelled = [(r, q) for r, q in zip(recs, p, strict=True) if r.label is not None]
        entry: dict[str, Any] = {}
        if labelled:
            entry = binary_metrics([r.label for r, _ in labelled], [q for _, q in labelled])
            per_corpus: dict[str, Any] = {}
            for corpus in sorted({r.corpus for r, _ in labelled}):
                ys = [r.label for r, _ in labelled if r.corpus == corpus]
                ps = [q for r, q in labelled if r.corpus == corpus]
                m = binary_metrics(ys, ps)
                per_corpus[corpus] = {k: m.get(k) for k in ("n", "roc_auc", "brier", "ece")}
            entry["per_corpus"] = per_corpus
        graded = [(r.target, q) for r, q in zip(recs, p, strict=True) if r.target is not None]
        if graded:
            entry["graded"] = graded_metrics([t for t, _ in graded], [q for _, q in graded])
        out[name] = entry
    spans = span_metrics(model, records)
    if spans:
        out["spans"] = spans
    return out


def summary_line(metrics: dict[str, Any]) -> str:
    parts = []
    for name, entry in metrics.items():
        if isinstance(entry, dict) and "roc_auc" in entry:
            parts.append(f"{name} auc={entry['roc_auc']:.3f}")
    if "spans" in metrics:
        parts.append(f"spans f1={metrics['spans']['f1']:.3f}")
    return ", ".join(parts) or "no metrics"


def _num(value: Any, digits: int = 3) -> str:
    return "n/a" if not isinstance(value, int | float) or value != value else f"{value:.{digits}f}"


def validation_lines(metrics: dict[str, Any]) -> list[str]:
    """The validation metrics as lines for a terminal: one per task and kind of text, then
    the spans (what ``hypemeter train`` prints at the end)."""
    lines = []
    for name, entry in metrics.items():
        if not isinstance(entry, dict) or "n" not in entry:
            continue
        lines.append(
            f"  {name}: {entry['n']} records ({entry.get('positives', '?')} positive), ROC-AUC "
            f"{_num(entry.get('roc_auc'))}, F1 {_num(entry.get('f1'))} at "
            f"{_num(entry.get('threshold'), 2)}, Brier {_num(entry.get('brier'))}, "
            f"ECE {_num(entry.get('ece'))}")
    spans = metrics.get("spans")
    if isinstance(spans, dict) and "f1" in spans:
        lines.append(f"  spans: {spans.get('articles', '?')} articles, precision "
                     f"{_num(spans.get('precision'))}, recall {_num(spans.get('recall'))}, "
                     f"F1 {_num(spans.get('f1'))}")
    return lines or ["  no labelled held-out records to measure"]


__all__ = ["evaluate_records", "summary_line", "validation_lines"]
