"""The calibration part of the model card and of the reports: reliability per corpus.

* :func:`calibration_card`: the card's ``calibration`` entry (method per score and kind,
  reference prevalences, what they mean, and leave-one-corpus-out ECE, ROC-AUC and the
  median scores of legitimate news, all measured on held-out corpora);
* :func:`write_calibration_report`: reliability diagrams per corpus, on the leave-one-corpus-out
  predictions and on the validation split, into ``report/calibration/``;
* :func:`plot_reliability_panels` and :func:`weighted_bins`, shared with ``hypemeter
  evaluate``'s per-group diagrams.

A score calibrated to a reference prevalence is measured on records reweighted to it (each
corpus's positives a ``reference`` share, :func:`hypemeter.training.calibration.cell_weights`):
that is the feed its probabilities are defined for.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from hypemeter.training.calibration import cell_weights
from hypemeter.training.calibration_heldout import heldout, legitimate_medians
from hypemeter.training.figures import new_figure, plots_available, save_figure
from hypemeter.training.loco import TASK_OF_HEAD, LocoPredictions
from hypemeter.training.metrics import expected_calibration_error
from hypemeter.training.report import json_safe

from hypemeter.records.results import Article
from hypemeter.scoring.calibration import HEADS

Panel = tuple[str, np.ndarray, np.ndarray, np.ndarray | None]  # name, y, p, weights


def meaning(head: str, reference: float) -> str:
    what = "sensational" if head == "sensationalism" else "fabricated or misleading"
    return (f"calibrated to a feed in which {reference:.0%} of texts are {what}; for a feed "
            f"with prevalence q, logit(p') = logit(p) + logit(q) - logit({reference:g})")


def calibration_card(model: Any, loco: LocoPredictions | None,
                     problem: str | None = None) -> dict[str, Any]:
    """The card's ``calibration`` entry for a fitted ``model``, its held-out predictions and,
    for a model without calibration, why (``problem``)."""
    cal = model.calibration_
    if cal is None or loco is None:
        return {"method": None, "reference_prevalence": None, "fitted_on": None,
                "note": problem or "not calibrated: the stackers' own sigmoid"}
    entry = cal.describe()
    refs = entry["reference_prevalence"]
    entry["meaning"] = {head: meaning(head, refs[head]) for head in HEADS}
    held = heldout(loco, refs, mainstream=bool(entry.get("mainstream_negatives")))
    entry["leave_one_corpus_out"] = {
        "note": "each corpus scored by learners, stackers and calibration maps fitted "
                "without it; ece_ref reweights each corpus to the reference prevalence, "
                "ece_raw takes it as it is (10 equal-width bins)",
        **{head: held[head].table() for head in HEADS},
    }
    entry["legitimate_news"] = legitimate_medians(loco, held)
    return entry


def weighted_bins(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None,
                  bins: int = 10) -> list[dict[str, Any]]:
    """Equal-width bins: weight, mean score and positive rate (weighted when ``w`` is)."""
    w = np.ones(len(y)) if w is None else w
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        m = idx == b
        weight = float(w[m].sum())
        out.append({"lo": float(edges[b]), "hi": float(edges[b + 1]), "n": int(m.sum()),
                    "weight": weight,
                    "mean_score": float(np.average(p[m], weights=w[m])) if weight else None,
                    "positive_rate": float(np.average(y[m], weights=w[m])) if weight else None})
    return out


def plot_reliability_panels(path: Path, panels: Sequence[Panel], title: str) -> None:
    """One small reliability diagram per panel (a corpus, a group, the pooled set)."""
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = new_figure(3.2 * cols, 3.0 * rows + 0.4)
    fig.suptitle(title, fontsize=9)
    for k, (name, y, p, w) in enumerate(panels):
        ax = fig.add_subplot(rows, cols, k + 1)
        table = [b for b in weighted_bins(y, p, w) if b["weight"]]
        ece = expected_calibration_error(y, p, sample_weight=w)
        ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1)
        ax.plot([b["mean_score"] for b in table], [b["positive_rate"] for b in table],
                marker="o", ms=3, color="C0", lw=1.5)
        ax.set(xlim=(0, 1), ylim=(0, 1.01))
        ax.set_title(f"{name}\nn={len(y)}, ECE={ece:.3f}", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    save_figure(fig, path)


def _validation_panels(model: Any, records: Sequence[Any], head: str,
                       reference: float) -> list[Panel]:
    task = TASK_OF_HEAD[head]
    recs = [r for r in records if r.task == task and r.label is not None]
    if not recs:
        return []
    p = np.asarray(model.predict_scores([Article(r.headline, r.body, r.id) for r in recs])
                   )[:, HEADS.index(head)]
    y = np.array([int(r.label) for r in recs])
    corpus = np.array([r.corpus for r in recs])
    both = [c for c in np.unique(corpus) if len(np.unique(y[corpus == c])) == 2]
    panels: list[Panel] = []
    for c in both:
        m = corpus == c
        panels.append((str(c), y[m], p[m], cell_weights(corpus[m], y[m], reference)))
    m = np.isin(corpus, both)
    if len(both) > 1:
        panels.append(("pooled (corpora equal)", y[m], p[m],
                       cell_weights(corpus[m], y[m], reference)))
    return panels


def write_calibration_report(out_dir: Path, model: Any, valid: Sequence[Any],
                             loco: LocoPredictions | None,
                             entry: dict[str, Any]) -> list[dict[str, str]]:
    """Reliability per corpus (leave-one-corpus-out and validation) into
    ``out_dir/calibration/``, a section in ``out_dir/report.md``; returns the card's figure
    entries."""
    refs = entry.get("reference_prevalence")
    if not refs or loco is None:
        return []
    folder = Path(out_dir) / "calibration"
    folder.mkdir(parents=True, exist_ok=True)
    held = heldout(loco, refs, mainstream=bool(entry.get("mainstream_negatives")))
    figures: list[dict[str, str]] = []
    lines = ["# Calibration across corpora", "",
             *(f"- **{head}**: {entry['meaning'][head]}" for head in HEADS), "",
             f"Method (chosen by leave-one-corpus-out log loss): "
             f"`{json.dumps(entry['method'])}`.", "",
             "ECE (10 bins) with each corpus reweighted to the reference prevalence "
             "(ece_ref) and as it is (ece_raw).", ""]
    draw = plots_available()
    for head in HEADS:
        table = entry["leave_one_corpus_out"][head]
        lines += [f"## {head}: leave-one-corpus-out", "",
                  "| corpus | n | positives | ROC-AUC | ECE ref | ECE raw | mean score |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for c, e in table["corpora"].items():
            lines.append(f"| {c} | {e['n']} | {e['positives']} | {e['roc_auc']:.3f} | "
                         f"{e['ece_ref']:.3f} | {e['ece_raw']:.3f} | {e['mean_score']:.3f} |")
        pooled = table["pooled"]
        lines += [f"| pooled (corpora equal) | {pooled['n']} | | | {pooled['ece_ref']:.3f} | "
                  f"{pooled['ece_raw']:.3f} | |", ""]
        h = held[head]
        if not draw:
            continue
        panels: list[Panel] = [(c, *h.records([c])) for c in h.corpora()]
        panels.append(("pooled (corpora equal)", *h.records(h.corpora())))
        name = f"loco_{head}.png"
        plot_reliability_panels(folder / name, panels,
                                f"{head}: leave-one-corpus-out, reweighted to "
                                f"{refs[head]:g} prevalence")
        lines += [f"![{head} leave-one-corpus-out]({name})", ""]
        figures.append({"task": TASK_OF_HEAD[head], "kind": "reliability_loco",
                        "path": f"report/calibration/{name}"})
        vpanels = _validation_panels(model, valid, head, refs[head])
        if vpanels:
            name = f"validation_{head}.png"
            plot_reliability_panels(folder / name, vpanels,
                                    f"{head}: validation split per corpus, reweighted to "
                                    f"{refs[head]:g} prevalence")
            lines += [f"![{head} validation per corpus]({name})", ""]
            figures.append({"task": TASK_OF_HEAD[head], "kind": "reliability_per_corpus",
                            "path": f"report/calibration/{name}"})
    legit = entry.get("legitimate_news") or {}
    if legit:
        lines += ["## Legitimate news held out of the fit", "",
                  "| score | articles | median | share >= 0.5 |", "| --- | --- | --- | --- |"]
        for head, e in legit.items():
            lines.append(f"| {head} | {e['n']} | {e['median']:.3f} | {e['share_ge_0_5']:.3f} |")
        lines.append("")
    if not draw:
        lines.append("Figures are not drawn: matplotlib is not installed.")
    (folder / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "metrics.json").write_text(
        json.dumps(json_safe(entry), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    with (Path(out_dir) / "report.md").open("a", encoding="utf-8") as index:
        index.write("## calibration\n\nReliability per corpus, on leave-one-corpus-out "
                    "predictions and on the validation split. "
                    "[Full report](calibration/report.md)\n\n")
        for fig in figures:
            index.write(f"![{fig['kind']}]({fig['path'].removeprefix('report/')})\n\n")
    return figures




def add_group_section(out_dir: Path, metrics: dict[str, Any], y: Sequence[int],
                      p: Sequence[float], groups: Sequence[str | None],
                      reference: float | None) -> None:
    """``hypemeter evaluate``'s calibration per group (``--group-field``, e.g. outlet or
    corpus) and, for a calibrated model, at its reference prevalence: adds ``per_group`` and
    ``binary.ece_at_reference`` to ``metrics`` (rewriting metrics.json), a reliability figure
    with a panel per group, and a section of report.md."""
    from sklearn.metrics import roc_auc_score

    out = Path(out_dir)
    y_arr = np.asarray(y, dtype=int)
    p_arr = np.asarray(p, dtype=float)
    g_arr = np.array(["(none)" if g is None else str(g) for g in groups])
    lines: list[str] = []
    if reference is not None and len(np.unique(y_arr)) == 2:
        w = cell_weights(np.zeros(len(y_arr)), y_arr, reference)
        metrics["binary"]["reference_prevalence"] = reference
        metrics["binary"]["ece_at_reference"] = expected_calibration_error(
            y_arr, p_arr, sample_weight=w)
        lines += ["## Calibration at the model's reference prevalence", "",
                  f"The model's scores are calibrated to a feed in which {reference:.0%} of "
                  f"texts are positive; this file has {y_arr.mean():.0%}. Reweighted to "
                  f"{reference:g}, the ECE is {metrics['binary']['ece_at_reference']:.4f} "
                  f"(as the file is: {metrics['binary'].get('ece') or 0:.4f}).", ""]
    names = [g for g in dict.fromkeys(g_arr.tolist())]
    if len(names) > 1 or names != ["(none)"]:
        per_group: dict[str, Any] = {}
        panels: list[Panel] = []
        for g in sorted(names):
            m = g_arr == g
            ys, ps = y_arr[m], p_arr[m]
            two = len(np.unique(ys)) == 2
            entry: dict[str, Any] = {
                "n": int(m.sum()), "positives": int(ys.sum()),
                "mean_score": float(ps.mean()),
                "roc_auc": float(roc_auc_score(ys, ps)) if two else None,
                "ece": expected_calibration_error(ys, ps),
            }
            if reference is not None and two:
                entry["ece_at_reference"] = expected_calibration_error(
                    ys, ps, sample_weight=cell_weights(np.zeros(len(ys)), ys, reference))
            per_group[g] = entry
            panels.append((g, ys, ps, None))
        metrics["per_group"] = per_group
        lines += ["## Per group", "",
                  "| group | n | positives | mean score | ROC-AUC | ECE | ECE at reference |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]

        def f(v: Any) -> str:
            return "n/a" if v is None else f"{v:.3f}"

        for g, e in per_group.items():
            lines.append(f"| {g} | {e['n']} | {e['positives']} | {f(e['mean_score'])} | "
                         f"{f(e['roc_auc'])} | {f(e['ece'])} | "
                         f"{f(e.get('ece_at_reference'))} |")
        lines.append("")
        if plots_available() and len(panels) <= 24:
            plot_reliability_panels(out / "reliability_per_group.png", panels,
                                    f"{metrics.get('title', '')}: reliability per group")
            metrics["files"]["reliability_per_group"] = "reliability_per_group.png"
            lines += ["![Reliability per group](reliability_per_group.png)", ""]
    if not lines:
        return
    (out / "metrics.json").write_text(
        json.dumps(json_safe(metrics), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    with (out / "report.md").open("a", encoding="utf-8") as report:
        report.write("\n".join(lines) + "\n")


__all__ = ["add_group_section", "calibration_card", "plot_reliability_panels", "weighted_bins",
           "write_calibration_report"]
