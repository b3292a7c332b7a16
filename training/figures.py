"""The figures of the evaluation and training reports: ROC, precision-recall, reliability,
score histograms and graded targets as PNG files.

Figures are drawn with matplotlib's Agg canvas directly (no pyplot state), so reports can be
written from threads, workers and servers without a display. matplotlib is an extra
(``hypemeter[plots]``): without it, :func:`plots_available` is false and reports say so
(:data:`PLOTS_MISSING_NOTE`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from hypemeter.training.metrics import expected_calibration_error

PLOTS_MISSING_NOTE = ("Figures are not drawn: matplotlib is not installed (it comes with the "
                      "plots extra: pip install 'hypemeter[plots]').")


def plots_available() -> bool:
    """matplotlib is an extra (``hypemeter[plots]``): without it reports have no figures."""
    import importlib.util

    try:
        return importlib.util.find_spec("matplotlib") is not None
    except ValueError:  # a module set to None in sys.modules
        return False


def new_figure(width: float = 5.0, height: float = 4.2) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _title(ax: Any, kind: str, title: str) -> None:
    import textwrap

    ax.set_title("\n".join(textwrap.wrap(f"{kind} - {title}", 58)), fontsize=9)


def save_figure(fig: Any, path: Path) -> None:
    fig.savefig(path, format="png", metadata={"Software": None})


def plot_roc(path: Path, y: np.ndarray, p: np.ndarray, threshold: float, title: str) -> None:
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(y, p)
    auc = roc_auc_score(y, p)
    fig = new_figure()
    ax = fig.add_subplot()
    ax.plot(fpr, tpr, color="C0", lw=2, label=f"ROC (AUC = {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1, label="chance")
    pred = p >= threshold
    neg, pos = (y == 0).sum(), (y == 1).sum()
    ax.scatter([(pred & (y == 0)).sum() / max(neg, 1)], [(pred & (y == 1)).sum() / max(pos, 1)],
               color="C3", zorder=3, label=f"threshold {threshold:.2f}")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1),
           ylim=(0, 1.01))
    _title(ax, "ROC", title)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    save_figure(fig, path)


def plot_pr(path: Path, y: np.ndarray, p: np.ndarray, threshold: float, title: str) -> None:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    prec, rec, _ = precision_recall_curve(y, p)
    ap = average_precision_score(y, p)
    fig = new_figure()
    ax = fig.add_subplot()
    ax.step(rec, prec, where="post", color="C0", lw=2, label=f"PR (AP = {ap:.3f})")
    ax.axhline(y.mean(), color="0.6", ls="--", lw=1, label=f"base rate {y.mean():.2f}")
    pred = p >= threshold
    tp = (pred & (y == 1)).sum()
    if pred.any():
        ax.scatter([tp / max((y == 1).sum(), 1)], [tp / pred.sum()], color="C3", zorder=3,
                   label=f"threshold {threshold:.2f}")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.01))
    _title(ax, "Precision-recall", title)
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    save_figure(fig, path)


def reliability_bins(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Equal-width bins (as in the ECE): count, mean predicted score, observed positive rate."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        m = idx == b
        n = int(m.sum())
        out.append({
            "lo": float(edges[b]), "hi": float(edges[b + 1]), "n": n,
            "mean_score": float(p[m].mean()) if n else None,
            "positive_rate": float(y[m].mean()) if n else None,
        })
    return out


def plot_reliability(path: Path, y: np.ndarray, p: np.ndarray, title: str,
                     bins: int = 10) -> None:
    table = reliability_bins(y, p, bins)
    ece = expected_calibration_error(y, p, bins)
    fig = new_figure(5.0, 5.2)
    gs = fig.add_gridspec(2, 1, height_ratios=(3, 1))
    ax = fig.add_subplot(gs[0])
    xs = [b["mean_score"] for b in table if b["n"]]
    ys = [b["positive_rate"] for b in table if b["n"]]
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1, label="perfect calibration")
    ax.plot(xs, ys, marker="o", color="C0", lw=2, label=f"model (ECE = {ece:.3f})")
    ax.set(ylabel="observed positive rate", xlim=(0, 1), ylim=(0, 1.01))
    _title(ax, "Reliability", title)
    ax.tick_params(labelbottom=False)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    ax2 = fig.add_subplot(gs[1], sharex=ax)
    width = 1.0 / bins
    ax2.bar([b["lo"] for b in table], [b["n"] for b in table], width=width, align="edge",
            color="C0", alpha=0.5, edgecolor="white")
    ax2.set(xlabel="predicted score", ylabel="count")
    save_figure(fig, path)


def plot_histogram(path: Path, y: np.ndarray, p: np.ndarray, threshold: float,
                   title: str) -> None:
    fig = new_figure(5.6, 4.0)
    ax = fig.add_subplot()
    edges = np.linspace(0, 1, 41)
    for label, color in ((0, "C0"), (1, "C3")):
        sel = p[y == label]
        if len(sel):
            ax.hist(sel, bins=edges, color=color, alpha=0.55,
                    label=f"label {label} (n={len(sel)})")
    ax.axvline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:.2f}")
    ax.set(xlabel="score", ylabel="articles", xlim=(0, 1))
    _title(ax, "Scores by label", title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save_figure(fig, path)


def plot_graded(path: Path, target: np.ndarray, p: np.ndarray, title: str) -> None:
    fig = new_figure()
    ax = fig.add_subplot()
    ax.scatter(target, p, s=6, alpha=0.35, color="C0", edgecolors="none")
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1)
    ax.set(xlabel="graded target", ylabel="score", xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
    _title(ax, "Score vs graded target", title)
    ax.grid(alpha=0.3)
    save_figure(fig, path)


__all__ = ["PLOTS_MISSING_NOTE", "new_figure", "plot_graded", "plot_histogram", "plot_pr",
           "plot_reliability", "plot_roc", "plots_available", "reliability_bins",
           "save_figure"]
