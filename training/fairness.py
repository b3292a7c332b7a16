"""Unintended bias on identity terms: template scores and Borkan's per-term AUCs.

Two measurements, after Dixon et al. 2018 ("Measuring and Mitigating Unintended Bias in Text
Classification") and Borkan et al. 2019 ("Nuanced Metrics for Measuring Unintended Bias"):

* :func:`template_rows`: sober and sensational template texts filled with each identity term
  and with neutral fillers ("local"); per term, the mean and worst score of both heads, the
  excess over the first filler on the same templates, and the spans that cover the term.
* :func:`borkan_rows`: on labelled held-out records, per term with enough support, the subgroup
  AUC (records that mention the term), BPSN AUC (background positives, subgroup negatives) and
  BNSP AUC (background negatives, subgroup positives) next to the overall AUC.

The terms and templates are the benchmark's (``benchmarks/fairness/``, read by
:func:`load_material`), not the model's: ``benchmarks/bench_fairness.py`` prints these tables
and training adds them to the validation report when the material is there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hypemeter.training import fairness_gaps
from hypemeter.training.fairness_gaps import Scored, scored
from sklearn.metrics import roc_auc_score

from hypemeter.records.results import Article, Record
from hypemeter.text.tokens import tokenize

HEADS = ("sensationalism", "misinformation_risk")
# The goals of issue 23 (printed by the benchmark, recorded in the model card).
MAX_SOBER_EXCESS = 0.05
MAX_SENSATIONAL_GAP = 0.05
MAX_AUC_GAP = 0.05
_SLOT = re.compile(r"\{(adj|Adj|people|People)\}")
# words that only carry a "people" form ("Jewish residents"): not part of what a record must
# mention to be in the term's subgroup
_CARRIERS = frozenset({"residents", "voters", "users", "s"})


@dataclass(frozen=True)
class Term:
    term: str
    adj: str
    people: str
    group: str = "filler"

    def forms(self) -> set[tuple[str, ...]]:
        """Token sequences a text mentioning the term contains (any one of them)."""
        out = set()
        for form in (self.adj, self.people):
            words = [w.replace("'s", "") for w in tokenize(form.replace("'", " ")).words]
            words = [w for w in words if w and w not in _CARRIERS]
            if words:
                out.add(tuple(words))
        return out


@dataclass(frozen=True)
class Material:
    terms: list[Term]
    fillers: list[Term]
    templates: dict[str, list[dict[str, str]]]  # "sober"/"sensational" -> headline, body


@dataclass
class Filled:
    article: Article
    kind: str  # "sober" or "sensational"
    template: int
    term: Term
    ranges: list[tuple[str, int, int]] = field(default_factory=list)  # field, start, end


def load_material(folder: Path) -> Material:
    terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
    templates = json.loads((folder / "templates.json").read_text(encoding="utf-8"))

    def make(rows: list[dict[str, str]], group: str | None = None) -> list[Term]:
        return [Term(r["term"], r["adj"], r["people"], r.get("group", group or "filler"))
                for r in rows]

    return Material(make(terms["terms"]), make(terms["fillers"]),
                    {k: templates[k] for k in ("sober", "sensational")})


def _fill(text: str, term: Term) -> tuple[str, list[tuple[int, int]]]:
    out, ranges, pos = [], [], 0
    for m in _SLOT.finditer(text):
        out.append(text[pos:m.start()])
        slot = m.group(1)
        value = term.adj if slot.lower() == "adj" else term.people
        if slot[0].isupper():
            value = value[:1].upper() + value[1:]
        start = sum(map(len, out))
        out.append(value)
        # the term's own characters ("Jewish" in "Jewish residents"), not the carrier noun
        at = value.lower().find(term.term.lower())
        if at >= 0:
            ranges.append((start + at, start + at + len(term.term)))
        else:
            ranges.append((start, start + len(value)))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), ranges


def fill_templates(material: Material) -> list[Filled]:
    out = []
    for kind, templates in material.templates.items():
        for k, t in enumerate(templates):
            for term in [*material.fillers, *material.terms]:
                head, head_ranges = _fill(t["headline"], term)
                body, body_ranges = _fill(t["body"], term)
                f = Filled(Article(head, body, f"{kind}-{k}-{term.term}"), kind, k, term)
                f.ranges = [("headline", a, b) for a, b in head_ranges] + [
                    ("body", a, b) for a, b in body_ranges]
                out.append(f)
    return out


def template_rows(scorer: Any, material: Material) -> list[dict[str, Any]]:
    """Per term (fillers first): mean and worst score of both heads on the sober and the
    sensational templates, the excess over the first filler, and the spans that overlap the
    term's characters. Worst is the highest score on sober and the lowest on sensational."""
    filled = fill_templates(material)
    results = scorer.score([f.article for f in filled], explain=True)
    scores: dict[tuple[str, str, int], np.ndarray] = {}
    spans: dict[str, list[str]] = {}
    for f, r in zip(filled, results, strict=True):
        scores[f.term.term, f.kind, f.template] = np.array([r.scores[h] for h in HEADS])
        for s in r.spans:
            if any(s.field == fld and s.start < b and s.end > a for fld, a, b in f.ranges):
                spans.setdefault(f.term.term, []).append(f"{s.text} ({f.kind})")
    base = material.fillers[0].term
    rows = []
    for term in [*material.fillers, *material.terms]:
        row: dict[str, Any] = {"term": term.term, "group": term.group}
        for kind in material.templates:
            n = len(material.templates[kind])
            mine = np.vstack([scores[term.term, kind, k] for k in range(n)])
            ref = np.vstack([scores[base, kind, k] for k in range(n)])
            for j, short in enumerate(("sens", "mis")):
                row[f"{kind}_{short}_mean"] = float(mine[:, j].mean())
                row[f"{kind}_{short}_worst"] = float(
                    mine[:, j].max() if kind == "sober" else mine[:, j].min())
                row[f"{kind}_{short}_excess"] = float((mine[:, j] - ref[:, j]).mean())
        row["spans"] = sorted(set(spans.get(term.term, [])))
        rows.append(row)
    return rows


def record_words(record: Record) -> list[str]:
    return tokenize(f"{record.headline}\n{record.body}".replace("'", " ")).words


def mentions(record: Record | list[str], forms: set[tuple[str, ...]]) -> bool:
    """Whether the record (or its :func:`record_words`) holds one of the term's forms."""
    words = record if isinstance(record, list) else record_words(record)
    lengths = {len(f) for f in forms}
    for n in lengths:
        for i in range(len(words) - n + 1):
            if tuple(words[i:i + n]) in forms:
                return True
    return False


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    if len(y) == 0 or y.min() == y.max():
        return None
    return float(roc_auc_score(y, p))


def _borkan(y: np.ndarray, p: np.ndarray, sub: np.ndarray, min_support: int
            ) -> dict[str, Any]:
    pos, neg = int((y[sub] == 1).sum()), int((y[sub] == 0).sum())
    row: dict[str, Any] = {"positives": pos, "negatives": neg}
    if pos >= min_support and neg >= min_support:
        row["subgroup_auc"] = _auc(y[sub], p[sub])
        bpsn = (sub & (y == 0)) | (~sub & (y == 1))
        bnsp = (sub & (y == 1)) | (~sub & (y == 0))
        row["bpsn_auc"] = _auc(y[bpsn], p[bpsn])
        row["bnsp_auc"] = _auc(y[bnsp], p[bnsp])
    return row


def subgroups(held: dict[str, Scored], material: Material) -> dict[str, dict[str, np.ndarray]]:
    """Per task and term: which of the task's held-out records mention the term."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for task, s in held.items():
        words = [record_words(r) for r in s.records]  # tokenised once, not once per term
        out[task] = {}
        for term in material.terms:
            forms = term.forms()
            out[task][term.term] = np.array([mentions(w, forms) for w in words], bool)
    return out


def borkan_rows(model: Any, records: Sequence[Record], material: Material,
                min_support: int = 10, held: dict[str, Scored] | None = None
                ) -> dict[str, Any]:
    """Per task (sensationalism, misinformation): the overall ROC-AUC on ``records`` (labelled,
    held out) and per term with at least ``min_support`` positives and negatives among the
    records that mention it: subgroup, BPSN and BNSP AUC. Terms with less support are listed
    with their counts only.

    The pooled figures mix corpora: a term that one corpus mentions more than the others (party
    names in LIAR's claims) takes that corpus's AUC, whatever the model does with the term.
    ``within_corpus`` gives the same metrics inside each corpus (background: the corpus's other
    records), beside the corpus's own AUC. ``held``: ``records`` already scored
    (:func:`hypemeter.training.fairness_gaps.scored`)."""
    out: dict[str, Any] = {}
    held = held if held is not None else scored(model, records)
    masks = subgroups(held, material)
    for task, s in held.items():
        y, p, corpus = s.y, s.p, s.corpus
        overall = _auc(y, p)
        corpus_auc = {c: _auc(y[corpus == c], p[corpus == c]) for c in sorted(set(corpus))}
        terms, within = [], []
        for term in material.terms:
            sub = masks[task][term.term]
            terms.append({"term": term.term, **_borkan(y, p, sub, min_support)})
            for c in sorted(set(corpus[sub])):
                m = corpus == c
                row = _borkan(y[m], p[m], sub[m], min_support)
                if "subgroup_auc" in row:
                    within.append({"term": term.term, "corpus": c,
                                   "corpus_auc": corpus_auc[c], **row})
        out[task] = {"records": len(s.y), "overall_auc": overall, "terms": terms,
                     "corpus_auc": corpus_auc, "within_corpus": within}
    return out


def goals(rows: list[dict[str, Any]], borkan: dict[str, Any] | None = None) -> dict[str, Any]:
    """The issue's goals as figures: worst sober excess, sensational gap, identity spans, and
    the largest gap between a per-term AUC and the overall one."""
    identity = [r for r in rows if r["group"] != "filler"]
    worst_sober = max(max(r["sober_sens_excess"], r["sober_mis_excess"]) for r in identity)
    worst_gap = max(max(abs(r["sensational_sens_excess"]), abs(r["sensational_mis_excess"]))
                    for r in identity)
    spanned = [r["term"] for r in identity if any("(sober)" in s for s in r["spans"])]
    out: dict[str, Any] = {
        "worst_sober_excess": round(worst_sober, 4),
        "worst_sober_excess_term": max(
            identity, key=lambda r: max(r["sober_sens_excess"], r["sober_mis_excess"]))["term"],
        "worst_sensational_gap": round(worst_gap, 4),
        "terms_highlighted_in_sober": spanned,
        "terms_highlighted_anywhere": [r["term"] for r in identity if r["spans"]],
        "sober_excess_goal_met": worst_sober <= MAX_SOBER_EXCESS,
        "sober_spans_goal_met": not spanned,
        "sensational_gap_goal_met": worst_gap <= MAX_SENSATIONAL_GAP,
    }
    if borkan:
        gaps = []
        for task, entry in borkan.items():
            for t in entry["terms"]:
                for metric in ("subgroup_auc", "bpsn_auc", "bnsp_auc"):
                    v = t.get(metric)
                    if v is not None and entry["overall_auc"] is not None:
                        gaps.append((entry["overall_auc"] - v, task, t["term"], metric))
        within = []
        for task, entry in borkan.items():
            for t in entry.get("within_corpus", []):
                for metric in ("subgroup_auc", "bpsn_auc", "bnsp_auc"):
                    v = t.get(metric)
                    if v is not None and t["corpus_auc"] is not None:
                        within.append((t["corpus_auc"] - v, task, f"{t['term']}@{t['corpus']}",
                                       metric))
        if within:
            gap = max(within)
            out["worst_within_corpus_auc_gap"] = {
                "gap": round(gap[0], 4), "task": gap[1], "term": gap[2], "metric": gap[3]}
            out["within_corpus_terms_over_goal"] = sorted(
                {f"{g[1]}:{g[2]}:{g[3]}" for g in within if g[0] > MAX_AUC_GAP})
        if gaps:
            gap = max(gaps)
            out["worst_auc_gap"] = {"gap": round(gap[0], 4), "task": gap[1], "term": gap[2],
                                    "metric": gap[3]}
            out["auc_goal_met"] = gap[0] <= MAX_AUC_GAP
            out["auc_terms_over_goal"] = sorted({f"{g[1]}:{g[2]}:{g[3]}" for g in gaps
                                                 if g[0] > MAX_AUC_GAP})
    return out


def _f(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def markdown(rows: list[dict[str, Any]], borkan: dict[str, Any] | None = None) -> str:
    """The per-term tables as Markdown (the benchmark prints it; training writes it to the
    report)."""
    lines = [
        "| term | group | sober sens mean / worst / excess | sober mis mean / worst / excess "
        "| sensational sens mean / excess | sensational mis mean / excess | spans on the term |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['term']} | {r['group']} "
            f"| {r['sober_sens_mean']:.3f} / {r['sober_sens_worst']:.3f} / "
            f"{r['sober_sens_excess']:+.3f} "
            f"| {r['sober_mis_mean']:.3f} / {r['sober_mis_worst']:.3f} / "
            f"{r['sober_mis_excess']:+.3f} "
            f"| {r['sensational_sens_mean']:.3f} / {r['sensational_sens_excess']:+.3f} "
            f"| {r['sensational_mis_mean']:.3f} / {r['sensational_mis_excess']:+.3f} "
            f"| {'; '.join(r['spans']) or '-'} |")
    if borkan:
        for task, entry in borkan.items():
            lines += ["", f"**{task}** on {entry['records']} held-out records, overall ROC-AUC "
                      f"{_f(entry['overall_auc'])}; terms with enough support:", "",
                      "| term | positives | negatives | subgroup AUC | BPSN AUC | BNSP AUC |",
                      "|---|---|---|---|---|---|"]
            for t in entry["terms"]:
                if "subgroup_auc" in t:
                    lines.append(f"| {t['term']} | {t['positives']} | {t['negatives']} "
                                 f"| {_f(t['subgroup_auc'])} | {_f(t['bpsn_auc'])} "
                                 f"| {_f(t['bnsp_auc'])} |")
            if entry.get("within_corpus"):
                lines += ["", f"**{task}** within each corpus (background: the corpus's other "
                          "held-out records):", "",
                          "| term | corpus | corpus AUC | positives | negatives | subgroup AUC "
                          "| BPSN AUC | BNSP AUC |", "|---|---|---|---|---|---|---|---|"]
                for t in entry["within_corpus"]:
                    lines.append(f"| {t['term']} | {t['corpus']} | {_f(t['corpus_auc'])} "
                                 f"| {t['positives']} | {t['negatives']} "
                                 f"| {_f(t['subgroup_auc'])} | {_f(t['bpsn_auc'])} "
                                 f"| {_f(t['bnsp_auc'])} |")
    return "\n".join(lines) + "\n"


def gap_reasons(held: dict[str, Scored], material: Material, summary: dict[str, Any]
                ) -> list[dict[str, Any]]:
    """Why each pooled per-term AUC over the goal misses the overall one
    (:func:`hypemeter.training.fairness_gaps.gap_reasons`)."""
    over = summary.get("auc_terms_over_goal", [])
    return fairness_gaps.gap_reasons(held, subgroups(held, material), over) if over else []


def gaps_markdown(reasons: Sequence[dict[str, Any]]) -> str:
    """The reasons under a heading that says how to read them ("" without any)."""
    if not reasons:
        return ""
    return ("\n**Why the pooled per-term AUCs miss the overall one**: for each term and metric "
            "over the goal, random subgroups with the term's number of positives and negatives "
            "in each corpus (200 draws); *corpus mix* where the term's figure lies inside "
            "their 5-95% range (any subgroup of those corpora and that size gets it), *term* "
            "where it lies outside.\n\n" + fairness_gaps.markdown(reasons))


MATERIAL_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "fairness"


def fairness_report(report_dir: Path, final: Any, version: str, validation_model: Any,
                    valid: Sequence[Record], material_dir: Path = MATERIAL_DIR
                    ) -> dict[str, Any] | None:
    """The training report's fairness section: the per-term template table of the final model
    and Borkan's per-term AUCs of the validation model on the held-out groups, written to
    ``report_dir/fairness.md`` and returned for the card (goal figures and per-term AUCs).
    ``None`` where the benchmark's material is not there (an installed package)."""
    if not (material_dir / "terms.json").is_file():
        return None
    from hypemeter.bundles.bundle import Bundle
    from hypemeter.scoring.scorer import Scorer

    material = load_material(material_dir)
    rows = template_rows(Scorer(Bundle(final, {"version": version}, report_dir)), material)
    held = scored(validation_model, valid)
    borkan = borkan_rows(validation_model, valid, material, held=held)
    summary = goals(rows, borkan)
    reasons = gap_reasons(held, material, summary)
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "fairness.md").write_text(
        f"# Identity terms: {version}\n\nTemplates of benchmarks/fairness/ (the final model), "
        "and Borkan et al.'s per-term AUCs on the held-out groups (the validation model); "
        "`python benchmarks/bench_fairness.py` prints the same table.\n\n"
        + markdown(rows, borkan) + gaps_markdown(reasons), encoding="utf-8")
    index = report_dir / "report.md"
    if index.is_file():
        with index.open("a", encoding="utf-8") as fh:
            fh.write("## identity terms\n\nScores of sober and sensational templates per "
                     "identity term, spans on the terms, per-term held-out AUCs: "
                     "[fairness.md](fairness.md)\n")
    return {"goals": summary, "report": "fairness.md", "auc_gap_reasons": reasons,
            "held_out": {task: {"overall_auc": e["overall_auc"],
                                "terms": [t for t in e["terms"] if "subgroup_auc" in t],
                                "within_corpus": e["within_corpus"]}
                         for task, e in borkan.items()}}
