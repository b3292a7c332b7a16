"""Evaluation reports: ``metrics.json``, PNG figures and a ``report.md`` that shows them.

:func:`write_report` is shared by ``hypemeter evaluate`` (one task on a user's labelled file)
and training (:func:`write_validation_report`, the validation split of every task, written
into the bundle's ``report/`` folder, where ``GET /v1/model`` links to it).

The figures are drawn by :mod:`hypemeter.training.figures`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from hypemeter.training.figures import (
    PLOTS_MISSING_NOTE,
    plot_graded,
    plot_histogram,
    plot_pr,
    plot_reliability,
    plot_roc,
    plots_available,
    reliability_bins,
)
from hypemeter.training.metrics import (
    Interval,
    binary_metrics,
    expected_calibration_error,
    graded_metrics,
    span_prf,
)

REPORT_FILES = {
    "roc": "roc.png",
    "pr": "pr.png",
    "reliability": "reliability.png",
    "histogram": "score_histogram.png",
    "graded": "graded.png",
}
SCORE_OF_TASK = {"sensationalism": "sensationalism", "misinformation": "misinformation_risk"}
SpanPairs = Iterable[tuple[Sequence[Interval], Sequence[Interval]]]


def json_safe(obj: Any) -> Any:
    """NaN/inf become null, numpy scalars plain numbers: metrics.json is strict JSON."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else f"{value:.{digits}f}"
    return str(value)


def _markdown(title: str, metrics: dict[str, Any], files: dict[str, str],
              notes: Sequence[str]) -> str:
    b = metrics["binary"]
    thr = b.get("threshold")
    lines = [f"# {title}", ""]
    meta = metrics.get("meta") or {}
    for key, value in meta.items():
        if isinstance(value, str | int | float):
            lines.append(f"- **{key}**: {value}")
    lines += [
        f"- **records**: {b['n']} ({b['positives']} positive)",
        "",
        "## Metrics",
        "",
        "| metric | at model threshold | at best threshold |",
        "| --- | --- | --- |",
        f"| threshold | {_fmt(thr, 3)} | {_fmt(b.get('best_threshold'), 3)} |",
        f"| F1 | {_fmt(b.get('f1'))} | {_fmt(b.get('f1_at_best'))} |",
        f"| accuracy | {_fmt(b.get('accuracy'))} | {_fmt(b.get('accuracy_at_best'))} |",
        f"| precision | {_fmt(b.get('precision'))} | {_fmt(b.get('precision_at_best'))} |",
        f"| recall | {_fmt(b.get('recall'))} | {_fmt(b.get('recall_at_best'))} |",
        "",
        "| ranking and calibration | value |",
        "| --- | --- |",
        f"| ROC-AUC | {_fmt(b.get('roc_auc'))} |",
        f"| PR-AUC (average precision) | {_fmt(b.get('pr_auc'))} |",
        f"| Brier score | {_fmt(b.get('brier'), 4)} |",
        f"| expected calibration error (10 bins) | {_fmt(b.get('ece'), 4)} |",
        "",
    ]
    cm = b.get("confusion_matrix")
    if cm:
        lines += [
            f"### Confusion matrix at threshold {_fmt(thr, 3)}",
            "",
            "| | predicted 0 | predicted 1 |",
            "| --- | --- | --- |",
            f"| **label 0** | {cm[0][0]} | {cm[0][1]} |",
            f"| **label 1** | {cm[1][0]} | {cm[1][1]} |",
            "",
        ]
    if "graded" in metrics:
        g = metrics["graded"]
        lines += ["## Graded target", "",
                  f"- field `{g.get('field', 'target')}`, {g.get('n')} records",
                  f"- MSE {_fmt(g.get('mse'), 4)}, Spearman rho {_fmt(g.get('spearman'))}", ""]
    if "spans" in metrics:
        s = metrics["spans"]
        lines += ["## Spans (character-overlap credit, SemEval-2020 Task 11)", "",
                  f"- precision {_fmt(s['precision'])}, recall {_fmt(s['recall'])}, "
                  f"F1 {_fmt(s['f1'])}",
                  f"- {s['predicted']} predicted, {s['gold']} gold spans in "
                  f"{s.get('documents', 'n/a')} documents", ""]
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    figs = [(k, v) for k, v in files.items() if v.endswith(".png")]
    if figs:
        lines += ["## Figures", ""]
        captions = {"roc": "ROC curve", "pr": "Precision-recall curve",
                    "reliability": "Reliability diagram", "histogram": "Score histograms by label",
                    "graded": "Score vs graded target"}
        for key, name in figs:
            lines += [f"### {captions.get(key, key)}", "", f"![{captions.get(key, key)}]({name})",
                      ""]
    return "\n".join(lines)


def write_report(
    out_dir: Path | str,
    y: Sequence[int] | np.ndarray,
    p: Sequence[float] | np.ndarray,
    *,
    threshold: float = 0.5,
    title: str = "hypemeter evaluation",
    target: Sequence[float | None] | np.ndarray | None = None,
    target_field: str = "target",
    span_pairs: SpanPairs | None = None,
    meta: dict[str, Any] | None = None,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """Write ``metrics.json``, the figures and ``report.md`` for labels ``y`` and scores ``p``.

    ``threshold`` is the model's operating threshold (the card's); the best-F1 threshold is
    found too. ``target`` (same length as ``y``, ``None`` where absent) adds MSE and Spearman;
    ``span_pairs`` (predicted, gold) character intervals per document field add span P/R/F1.
    ``meta`` (data file, model version, skipped rows...) is stored in metrics.json. Returns the
    metrics dict, whose ``files`` maps each figure to its file name inside ``out_dir``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    y_arr = np.asarray(y, dtype=int)
    p_arr = np.asarray(p, dtype=float)
    if y_arr.shape != p_arr.shape:
        raise ValueError(f"y has {y_arr.shape} values, p {p_arr.shape}")
    notes = list(notes)
    binary = binary_metrics(y_arr.tolist(), p_arr.tolist(), threshold)
    both = len(np.unique(y_arr)) == 2
    if both:
        pred = p_arr >= threshold
        pred_best = p_arr >= binary["best_threshold"]
        binary.update(_pr_at(y_arr, pred, ""), **_pr_at(y_arr, pred_best, "_at_best"))
        binary["confusion_matrix_at_best"] = _confusion(y_arr, pred_best)
    else:
        binary["ece"] = expected_calibration_error(y_arr, p_arr) if len(y_arr) else None
        binary["confusion_matrix"] = _confusion(y_arr, p_arr >= threshold)
        notes.append("Only one class is present, so ROC, PR and best-threshold metrics are "
                     "undefined and their figures are not drawn.")
    metrics: dict[str, Any] = {"title": title, "meta": dict(meta or {}), "binary": binary,
                               "reliability": reliability_bins(y_arr, p_arr)}
    files: dict[str, str] = {}
    draw = plots_available()
    if not draw:
        notes.append(PLOTS_MISSING_NOTE)
    if len(y_arr) and draw:
        if both:
            plot_roc(out / REPORT_FILES["roc"], y_arr, p_arr, threshold, title)
            files["roc"] = REPORT_FILES["roc"]
            plot_pr(out / REPORT_FILES["pr"], y_arr, p_arr, threshold, title)
            files["pr"] = REPORT_FILES["pr"]
        plot_reliability(out / REPORT_FILES["reliability"], y_arr, p_arr, title)
        files["reliability"] = REPORT_FILES["reliability"]
        plot_histogram(out / REPORT_FILES["histogram"], y_arr, p_arr, threshold, title)
        files["histogram"] = REPORT_FILES["histogram"]
    if target is not None:
        pairs = [(float(t), float(q)) for t, q in zip(target, p_arr, strict=True)
                 if t is not None and math.isfinite(float(t))]
        if pairs:
            t_arr = np.array([t for t, _ in pairs])
            q_arr = np.array([q for _, q in pairs])
            metrics["graded"] = {"field": target_field, "n": len(pairs),
                                 **graded_metrics(t_arr.tolist(), q_arr.tolist())}
            if draw:
                plot_graded(out / REPORT_FILES["graded"], t_arr, q_arr, title)
                files["graded"] = REPORT_FILES["graded"]
    if span_pairs is not None:
        span_list = list(span_pairs)
        if span_list:
            metrics["spans"] = {**span_prf(span_list), "documents": len(span_list)}
    files["metrics"] = "metrics.json"
    files["report"] = "report.md"
    metrics["files"] = files
    metrics["notes"] = notes
    (out / "metrics.json").write_text(
        json.dumps(json_safe(metrics), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    (out / "report.md").write_text(_markdown(title, metrics, files, notes) + "\n",
                                   encoding="utf-8")
    return metrics


def _pr_at(y: np.ndarray, pred: np.ndarray, suffix: str) -> dict[str, float]:
    tp = float((pred & (y == 1)).sum())
    return {f"precision{suffix}": tp / pred.sum() if pred.any() else 0.0,
            f"recall{suffix}": tp / max(1, int((y == 1).sum()))}


def _confusion(y: np.ndarray, pred: np.ndarray) -> list[list[int]]:
    """[[tn, fp], [fn, tp]] (rows = label, columns = prediction)."""
    pred = np.asarray(pred, dtype=bool)
    return [[int(((y == 0) & ~pred).sum()), int(((y == 0) & pred).sum())],
            [int(((y == 1) & ~pred).sum()), int(((y == 1) & pred).sum())]]


# --- training's validation report ---------------------------------------------------------


def write_validation_report(
    out_dir: Path | str,
    model: Any,
    records: Sequence[Any],
    *,
    thresholds: dict[str, float] | None = None,
    title: str = "hypemeter validation",
    link_prefix: str = "report/",
) -> dict[str, Any]:
    """Write a report per task (``<out_dir>/<task>/``) for held-out training ``records``
    (:class:`hypemeter.records.results.Record`) scored by a fitted ``model``, plus an index
    ``report.md`` and a combined ``metrics.json`` at the top.

    Returns an entry for the model card: the index, metrics and figure paths, each prefixed
    with ``link_prefix`` (the report folder's path inside the bundle).
    """
    from hypemeter.records.results import Article
    from hypemeter.spans.columns import SPAN_TECHNIQUES

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    thresholds = thresholds or {}
    combined: dict[str, Any] = {"title": title, "tasks": {}}
    entry: dict[str, Any] = {"index": f"{link_prefix}report.md",
                             "metrics": f"{link_prefix}metrics.json", "figures": []}
    span_pairs: list[tuple[list[Interval], list[Interval]]] = []
    span_recs = [r for r in records if r.spans]
    if span_recs:
        arts = [Article(r.headline, r.body, r.id) for r in span_recs]
        explained = model.explain(arts, model.analyze(arts))
        for rec, (predicted, _) in zip(span_recs, explained, strict=True):
            for fld in ("headline", "body"):
                span_pairs.append((
                    [(s.start, s.end) for s in predicted if s.field == fld],
                    [(g.start, g.end) for g in rec.spans
                     if g.field == fld and g.technique in SPAN_TECHNIQUES],
                ))
    index = [f"# {title}", ""]
    for column, task in enumerate(("sensationalism", "misinformation")):
        recs = [r for r in records if r.task == task and r.label is not None]
        if not recs:
            continue
        arts = [Article(r.headline, r.body, r.id) for r in recs]
        p = np.asarray(model.predict_scores(arts))[:, column]
        score = SCORE_OF_TASK[task]
        has_target = any(r.target is not None for r in recs)
        m = write_report(
            out / task, [int(r.label) for r in recs], p,
            threshold=float(thresholds.get(score, 0.5)),
            title=f"{task} (validation)",
            target=[r.target for r in recs] if has_target else None,
            target_field="target",
            span_pairs=span_pairs if task == "sensationalism" and span_pairs else None,
            meta={"split": "validation", "task": task, "score": score,
                  "corpora": ", ".join(sorted({r.corpus for r in recs}))},
        )
        combined["tasks"][task] = {k: v for k, v in m.items() if k != "reliability"}
        b = m["binary"]
        index += [f"## {task}", "",
                  f"{b['n']} records; ROC-AUC {_fmt(b.get('roc_auc'))}, "
                  f"F1 {_fmt(b.get('f1'))} at threshold {_fmt(b.get('threshold'), 2)}, "
                  f"Brier {_fmt(b.get('brier'), 4)}, ECE {_fmt(b.get('ece'), 4)}. "
                  f"[Full report]({task}/report.md)", ""]
        for key, name in m["files"].items():
            if name.endswith(".png"):
                index += [f"![{task} {key}]({task}/{name})", ""]
                entry["figures"].append({"task": task, "kind": key,
                                         "path": f"{link_prefix}{task}/{name}"})
    (out / "metrics.json").write_text(
        json.dumps(json_safe(combined), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    (out / "report.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return entry


__all__ = ["REPORT_FILES", "SCORE_OF_TASK", "json_safe", "write_report",
           "write_validation_report"]
