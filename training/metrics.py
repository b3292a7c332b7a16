"""Evaluation metrics shared by training, ``hypemeter evaluate`` and the benchmarks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    roc_auc_score,
)


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10,
                               sample_weight: np.ndarray | None = None) -> float:
    """Equal-width-bin ECE: the weighted mean |accuracy - confidence| gap. ``sample_weight``
    reweights the records (e.g. to another class balance, see
    :func:`hypemeter.training.calibration.cell_weights`)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    total = w.sum()
    for b in range(bins):
        m = idx == b
        if m.any() and w[m].sum() > 0:
            wb = w[m]
            gap = abs(np.average(y[m], weights=wb) - np.average(p[m], weights=wb))
            ece += wb.sum() / total * gap
    return float(ece)


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    prec, rec, thr = precision_recall_curve(y, p)
    f1 = 2 * prec * rec / np.maximum(prec + rec, 1e-12)
    return float(thr[int(np.argmax(f1[:-1]))]) if len(thr) else 0.5


def binary_metrics(y: Sequence[int], p: Sequence[float], threshold: float = 0.5) -> dict:
    """ROC-AUC, PR-AUC, F1/accuracy at ``threshold`` and at the best threshold, Brier, ECE."""
    y_arr = np.asarray(y, dtype=int)
    p_arr = np.asarray(p, dtype=float)
    out: dict = {"n": len(y_arr), "positives": int(y_arr.sum()), "threshold": threshold}
    if len(np.unique(y_arr)) < 2:
        out["note"] = "only one class present: ranking metrics undefined"
        out["brier"] = float(brier_score_loss(y_arr, p_arr, labels=[0, 1])) if len(y_arr) else None
        return out
    pred = (p_arr >= threshold).astype(int)
    best = best_f1_threshold(y_arr, p_arr)
    pred_best = (p_arr >= best).astype(int)
    out.update(
        roc_auc=float(roc_auc_score(y_arr, p_arr)),
        pr_auc=float(average_precision_score(y_arr, p_arr)),
        f1=float(f1_score(y_arr, pred)),
        accuracy=float(accuracy_score(y_arr, pred)),
        best_threshold=best,
        f1_at_best=float(f1_score(y_arr, pred_best)),
        accuracy_at_best=float(accuracy_score(y_arr, pred_best)),
        brier=float(brier_score_loss(y_arr, p_arr)),
        ece=expected_calibration_error(y_arr, p_arr),
        confusion_matrix=confusion_matrix(y_arr, pred, labels=[0, 1]).tolist(),
    )
    return out


def graded_metrics(target: Sequence[float], p: Sequence[float]) -> dict:
    from scipy.stats import spearmanr

    t = np.asarray(target, dtype=float)
    q = np.asarray(p, dtype=float)
    # undefined (not a warning) for fewer than two values or a constant side
    defined = len(t) > 1 and np.ptp(t) > 0 and np.ptp(q) > 0
    rho = spearmanr(t, q).statistic if defined else float("nan")
    return {"mse": float(np.mean((t - q) ** 2)), "spearman": float(rho)}


Interval = tuple[int, int]


def _overlap(a: Interval, b: Interval) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def span_prf(pairs: Iterable[tuple[Sequence[Interval], Sequence[Interval]]]) -> dict:
    """Span precision/recall/F1 with partial character-overlap credit (SemEval-2020 Task 11 SI).

    ``pairs`` yields (predicted intervals, gold intervals) per document field.
    P = sum over predicted s, gold t of |s∩t|/|s| divided by the number of predictions; R the same
    with |t| and the number of gold spans.
    """
    p_num = r_num = 0.0
    n_pred = n_gold = 0
    for pred, gold in pairs:
        n_pred += len(pred)
        n_gold += len(gold)
        for s in pred:
            for t in gold:
                o = _overlap(s, t)
                if o:
                    p_num += o / max(1, s[1] - s[0])
                    r_num += o / max(1, t[1] - t[0])
    precision = p_num / n_pred if n_pred else 0.0
    recall = r_num / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "predicted": n_pred,
            "gold": n_gold}
