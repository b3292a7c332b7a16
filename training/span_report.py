"""The span section of a bundle's validation report: ``report/spans/report.md`` with the span
reliability diagram (``reliability.png``), precision and recall by weight band, category
accuracy and the sentence scores' calibration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypemeter.training.figures import (
    PLOTS_MISSING_NOTE,
    new_figure,
    plots_available,
    save_figure,
)


def _fmt(v: Any, digits: int = 3) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def plot_span_reliability(path: Path, bands: list[dict[str, Any]]) -> None:
    fig = new_figure()
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    xs = [b["mean_weight"] for b in bands if b["spans"]]
    ys = [b["precision"] for b in bands if b["spans"]]
    sizes = [10 + 2 * b["spans"] ** 0.8 for b in bands if b["spans"]]
    ax.plot(xs, ys, color="tab:blue")
    ax.scatter(xs, ys, s=sizes, color="tab:blue", label="spans (area ~ count)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("span weight (mean in band)")
    ax.set_ylabel("precision (share of spans matching a marked phrase)")
    ax.set_title("Span weights: reliability (validation)")
    ax.legend(loc="upper left")
    save_figure(fig, path)


def write_span_report(out_dir: Path, spans: dict[str, Any], link_prefix: str = "report/"
                      ) -> list[dict[str, str]]:
    """Write ``out_dir/spans/``; return the figure entries for the card's report index."""
    folder = out_dir / "spans"
    folder.mkdir(parents=True, exist_ok=True)
    draw = plots_available()
    if draw:
        plot_span_reliability(folder / "reliability.png", spans["weight_bands"])
    lines = [
        "# Spans (validation: held-out propaganda-annotated articles)", "",
        f"Techniques: {', '.join(spans['techniques'])}; {spans['articles']} articles. "
        "Character-overlap credit as in SemEval-2020 Task 11.", "",
        f"- precision {_fmt(spans['precision'])}, recall {_fmt(spans['recall'])}, "
        f"F1 {_fmt(spans['f1'])} ({spans['predicted']} predicted, {spans['gold']} gold)",
        f"- the four techniques of earlier cards: F1 {_fmt(spans['four_techniques']['f1'])}",
        f"- among learned spans with weight >= 0.5: {_fmt(spans['precision_weight_ge_0_5'])} "
        f"match a marked phrase ({spans['spans_weight_ge_0_5']} spans; "
        f"{_fmt(spans.get('char_precision_weight_ge_0_5'))} of their characters lie inside one)",
        f"- expected calibration error of `weight` (learned spans, 10 bins; outcome: the span "
        f"matches a marked phrase): {_fmt(spans['weight_ece'], 4)}; against the share of "
        f"characters: {_fmt(spans.get('weight_ece_chars'), 4)}",
        f"- product vocabulary spans (fixed weight, not calibrated): "
        f"{spans.get('vocabulary_spans', {}).get('spans', 0)}, of which "
        f"{_fmt(spans.get('vocabulary_spans', {}).get('precision'))} match; with them, ECE "
        f"{_fmt(spans.get('all_spans', {}).get('weight_ece'), 4)} and precision at weight "
        f">= 0.5 {_fmt(spans.get('all_spans', {}).get('precision_weight_ge_0_5'))}",
        f"- category accuracy on matched spans: {_fmt(spans['category_accuracy'])} "
        f"(any overlapping gold category: {_fmt(spans['category_accuracy_any_overlapping'])}, "
        f"{spans['category_matched']} spans)",
        f"- sentence scores: {spans['sentences']['n']} sentences, "
        f"ECE {_fmt(spans['sentences']['ece'], 4)}", "",
        "## Reliability by weight band", "",
        "Precision: the share of spans that match (overlap) a marked phrase, the outcome the "
        "weight is calibrated on; characters: the share of their characters inside one.", "",
        "| weight band | spans | mean weight | precision | characters |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {b['band']} | {b['spans']} | {_fmt(b['mean_weight'])} | "
              f"{_fmt(b['precision'])} | {_fmt(b.get('chars'))} |"
              for b in spans["weight_bands"]]
    lines += ["", "## Keeping spans from a minimum weight", "",
              "| min weight | spans | precision | recall | F1 |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {c['min_weight']} | {c['predicted']} | {_fmt(c['precision'])} | "
              f"{_fmt(c['recall'])} | {_fmt(c['f1'])} |" for c in spans["by_min_weight"]]
    lines += ["", "## Category confusion (gold rows, predicted columns; merged categories as "
              "results report them)", ""]
    for gold, row in spans["category_confusion"].items():
        lines.append(f"- {gold}: " + ", ".join(f"{p} {n}" for p, n in row.items()))
    lines += ["", "![Span reliability](reliability.png)" if draw else PLOTS_MISSING_NOTE, ""]
    (folder / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not draw:
        return []
    return [{"task": "spans", "kind": "reliability", "path": f"{link_prefix}spans/reliability.png"}]
