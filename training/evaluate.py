"""``hypemeter evaluate``: score a labelled file and write a report of how good the model is.

Reads JSONL/CSV/Parquet (a file, directory or glob, see :mod:`hypemeter.engines.partitions`),
scores every row that has a usable label, and writes ``metrics.json``, the figures and
``report.md`` with :func:`hypemeter.training.report.write_report`:

* binary metrics for ``--task`` (ROC-AUC, PR-AUC, F1/accuracy/precision/recall at the model's
  threshold from its card and at the best-F1 threshold, Brier, ECE, confusion matrix);
* MSE and Spearman against a graded target (``--target-field``; by default ``truth_mean`` or
  ``target`` when the file has one);
* span precision/recall/F1 (SemEval-2020 Task 11 character-overlap credit) on rows that carry
  gold spans (``spans``: a list of ``{field, start, end}``, or that list as JSON text in CSV);
* calibration per group (``--group-field``; by default ``corpus``, ``outlet`` or ``domain``
  when the file has one): a reliability diagram per group, and for a calibrated model the ECE
  with the file reweighted to the score's reference prevalence (see docs/calibration.md).

Rows with bad JSON, no text, or a missing or unknown label (anything but 0/1/true/false) are
reported with file:line and skipped; malformed gold spans or targets are reported and only
that part of the row is left out.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hypemeter.training.calibration_report import add_group_section
from hypemeter.training.metrics import Interval
from hypemeter.training.report import SCORE_OF_TASK, write_report

from hypemeter.engines.partitions import (
    PartitionError,
    count_records,
    iter_inputs,
    resolve_inputs,
)
from hypemeter.errors import DataError
from hypemeter.records.batch import chunked
from hypemeter.records.io import BadRecord, InputRecord, UnsupportedLanguageRecord, parse_json
from hypemeter.records.results import Article, ScoreResult
from hypemeter.scoring.scorer import Scorer, isolate_failures, load_scorer

AUTO_TARGET_FIELDS = ("truth_mean", "target")
AUTO_GROUP_FIELDS = ("corpus", "outlet", "domain")
TRUE = {"1", "true"}
FALSE = {"0", "false"}
MAX_LISTED = 50


def parse_label(value: Any) -> int | None:
    """0/1, true/false (JSON booleans, numbers or text in any case); anything else is None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) and value in (0, 1):
        return int(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUE:
            return 1
        if text in FALSE:
            return 0
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number in (0.0, 1.0) else None
    return None


def parse_target(value: Any) -> float | None:
    """A graded target in [0, 1], or None."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and 0.0 <= number <= 1.0 else None


def parse_spans(value: Any, article: Article) -> list[tuple[str, int, int]] | str:
    """Gold spans as (field, start, end), or the reason they cannot be used."""
    if isinstance(value, str):
        value, problem = parse_json(value)
        if problem is not None and problem.startswith("invalid JSON: "):
            return f"gold spans are not valid JSON ({problem.removeprefix('invalid JSON: ')})"
        if problem is not None:  # valid JSON that Python cannot read
            return f"gold spans: {problem}"
    if not isinstance(value, list):
        return "gold spans must be a list of {field, start, end}"
    out: list[tuple[str, int, int]] = []
    for i, span in enumerate(value):
        if not isinstance(span, dict):
            return f"gold span {i} is not an object"
        fld, start, end = span.get("field"), span.get("start"), span.get("end")
        if fld not in ("headline", "body"):
            return f"gold span {i}: field must be 'headline' or 'body'"
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) \
                or isinstance(end, bool):
            return f"gold span {i}: start and end must be integers"
        text = article.headline if fld == "headline" else article.body
        if not 0 <= start < end <= len(text):
            return f"gold span {i}: [{start}, {end}) is outside the {fld} (length {len(text)})"
        out.append((fld, start, end))
    return out


@dataclass
class Row:
    line: str  # file:line
    article: Article
    label: int
    targets: dict[str, float | None]
    spans: list[tuple[str, int, int]] | None
    source: str = ""
    lineno: int = 0
    group: str | None = None


def collect_rows(
    records: Iterator[InputRecord | BadRecord],
    *,
    label_field: str,
    target_fields: tuple[str, ...],
    spans_field: str,
    group_fields: tuple[str, ...] = (),
) -> Iterator[Row | BadRecord | str]:
    """Turn input records into labelled rows, bad records, or warnings (text)."""
    for rec in records:
        if isinstance(rec, BadRecord):
            yield rec
            continue
        f = rec.fields
        if label_field not in f or f[label_field] is None or f[label_field] == "":
            yield BadRecord(rec.source, rec.line, f"missing label field {label_field!r}")
            continue
        label = parse_label(f[label_field])
        if label is None:
            yield BadRecord(rec.source, rec.line,
                            f"label {f[label_field]!r} is not 0/1/true/false")
            continue
        where = f"{rec.source}:{rec.line}"
        targets: dict[str, float | None] = {}
        for name in target_fields:
            if name in f and f[name] not in (None, ""):
                targets[name] = parse_target(f[name])
                if targets[name] is None:
                    yield (f"{where}: graded target {name}={f[name]!r} is not a number "
                           "in [0, 1]; ignored")
        spans: list[tuple[str, int, int]] | None = None
        raw = f.get(spans_field)
        if raw is not None and raw != "":
            parsed = parse_spans(raw, rec.article)
            if isinstance(parsed, str):
                yield f"{where}: {parsed}; the row's spans are ignored"
            else:
                spans = parsed
        group = next((str(f[name]) for name in group_fields
                      if f.get(name) not in (None, "")), None)
        yield Row(where, rec.article, label, targets, spans, rec.source, rec.line, group)


def score_rows(scorer: Scorer, rows: list[Row], *, explain: bool
               ) -> Iterator[tuple[Row, ScoreResult] | BadRecord]:
    """Score ``rows``; a row the model cannot score is isolated and yielded as a BadRecord."""
    outcomes = isolate_failures(lambda arts: scorer.score(arts, explain=explain),
                                [r.article for r in rows])
    for row, outcome in zip(rows, outcomes, strict=True):
        if isinstance(outcome, Exception):
            yield BadRecord(row.source, row.lineno,
                            f"cannot score: {type(outcome).__name__}: {outcome}")
        elif outcome.error is not None:  # a language the model does not read: no score
            yield UnsupportedLanguageRecord(
                row.source, row.lineno,
                f"{outcome.error.code} ({outcome.language}): {outcome.error.message}")
        else:
            yield row, outcome


def evaluate_file(
    data: str,
    *,
    model_path: Path,
    out_dir: Path,
    task: str = "sensationalism",
    label_field: str = "label",
    target_field: str | None = None,
    spans_field: str = "spans",
    group_field: str | None = None,
    fmt: str | None = None,
    batch_size: int = 256,
    quiet: bool = True,
    errors: IO[str] | None = None,
    max_field_chars: int | None = None,
) -> dict[str, Any]:
    """Evaluate the bundle at ``model_path`` on ``data``; write the report into ``out_dir``.

    Returns the metrics (as in metrics.json), with ``meta.skipped`` counting bad rows.
    ``max_field_chars`` caps each row's headline and body (a longer one is a bad row).
    """
    errors = errors if errors is not None else sys.stderr
    started = time.perf_counter()
    if task not in SCORE_OF_TASK:
        raise DataError(f"unknown task {task!r} (choose from {', '.join(SCORE_OF_TASK)})")
    score_name = SCORE_OF_TASK[task]
    parts = resolve_inputs(data, fmt)
    scorer = load_scorer(model_path)
    bundle = scorer.bundle
    threshold = float((bundle.card.get("thresholds") or {}).get(score_name, 0.5))
    target_fields = (target_field,) if target_field else AUTO_TARGET_FIELDS
    group_fields = (group_field,) if group_field else AUTO_GROUP_FIELDS
    groups: list[str | None] = []

    progress = None
    if not quiet and errors.isatty():
        from hypemeter.records.batch import progress_bar

        progress = progress_bar(errors, "evaluating", total=count_records(parts))
    ys: list[int] = []
    ps: list[float] = []
    targets: dict[str, list[float | None]] = {name: [] for name in target_fields}
    span_pairs: list[tuple[list[Interval], list[Interval]]] = []
    skipped = bad_partitions = warnings = 0
    listed: list[str] = []
    items = collect_rows(iter_inputs(parts, max_field_chars=max_field_chars),
                         label_field=label_field, target_fields=target_fields,
                         spans_field=spans_field, group_fields=group_fields)
    try:
        for chunk in chunked(items, max(1, batch_size)):
            rows = [r for r in chunk if isinstance(r, Row)]
            scored = score_rows(scorer, rows, explain=any(r.spans is not None for r in rows)) \
                if rows else iter(())
            for item in [*chunk, *scored]:
                if isinstance(item, BadRecord):
                    skipped += 1
                    bad_partitions += isinstance(item, PartitionError)
                    print(f"skipped {item}", file=errors)
                    if len(listed) < MAX_LISTED:
                        listed.append(str(item))
                elif isinstance(item, str):
                    warnings += 1
                    print(f"warning {item}", file=errors)
                elif isinstance(item, tuple):
                    row, res = item
                    ys.append(row.label)
                    ps.append(float(res.scores[score_name]))
                    groups.append(row.group)
                    for name in target_fields:
                        targets[name].append(row.targets.get(name))
                    if row.spans is not None:
                        for fld in ("headline", "body"):
                            span_pairs.append((
                                [(s.start, s.end) for s in res.spans if s.field == fld],
                                [(a, b) for f, a, b in row.spans if f == fld],
                            ))
            if progress is not None:
                progress.update(len(chunk))
    finally:
        if progress is not None:
            progress.close()
    if not ys:
        raise DataError(f"no usable labelled rows in {data} (label field {label_field!r}; "
                        f"{skipped} row(s) skipped)")
    chosen = next((n for n in target_fields if any(v is not None for v in targets[n])), None)
    notes = []
    if skipped:
        notes.append(f"{skipped} row(s) were skipped (bad JSON, no text, or a missing or "
                     "unknown label); see metrics.json meta.skipped_rows.")
    meta = {
        "data": data,
        "task": task,
        "score": score_name,
        "label_field": label_field,
        "model_version": bundle.version,
        "model_path": str(bundle.path),
        "threshold_source": "model card" if score_name in (bundle.card.get("thresholds") or {})
        else "default 0.5",
        "partitions": len(parts),
        "skipped": skipped,
        "bad_partitions": bad_partitions,
        "warnings": warnings,
        "skipped_rows": listed,
    }
    metrics = write_report(
        out_dir, ys, ps, threshold=threshold,
        title=f"hypemeter {bundle.version}: {task} on {Path(data).name or data}",
        target=targets[chosen] if chosen else None, target_field=chosen or "target",
        span_pairs=span_pairs if span_pairs else None, meta=meta, notes=notes,
    )
    calibration = bundle.card.get("calibration") or {}
    reference = (calibration.get("reference_prevalence") or {}).get(score_name)
    add_group_section(out_dir, metrics, ys, ps, groups,
                      float(reference) if reference is not None else None)
    metrics["meta"]["seconds"] = round(time.perf_counter() - started, 2)
    return metrics


def summary(metrics: dict[str, Any]) -> str:
    b = metrics["binary"]

    def f(key: str, d: dict[str, Any] = b) -> str:
        v = d.get(key)
        return "n/a" if v is None or not math.isfinite(v) else f"{v:.3f}"

    parts = [f"{b['n']} rows", f"ROC-AUC {f('roc_auc')}", f"PR-AUC {f('pr_auc')}",
             f"F1 {f('f1')} @ {b['threshold']:.2f}", f"best F1 {f('f1_at_best')}",
             f"Brier {f('brier')}", f"ECE {f('ece')}"]
    if "graded" in metrics:
        parts.append(f"MSE {f('mse', metrics['graded'])}, "
                     f"Spearman {f('spearman', metrics['graded'])}")
    if "spans" in metrics:
        parts.append(f"span F1 {f('f1', metrics['spans'])}")
    return ", ".join(parts)


__all__ = ["evaluate_file", "parse_label", "parse_spans", "score_rows"]
