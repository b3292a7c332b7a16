"""Remove duplicate texts within and across corpora before any split.

Key = (task, normalised headline + body): NFKC, lowercase, punctuation removed, whitespace
collapsed (see :func:`hypemeter.training.corpora.text.normalise_text`). Within one key:

* all copies share one label -> keep the first (corpus order, then file order); every other copy
  is a ``duplicate`` issue in its own corpus's report;
* the copies disagree on the label (``None`` counts as a label: LIAR half-true vs false is a
  disagreement) -> every copy is dropped and is a ``label conflict`` issue.

The same text in different tasks (the sample corpus emits one record per task) is not a
duplicate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from hypemeter.records.results import Record

from .base import LoadReport
from .text import normalise_text


def dedupe_key(record: Record) -> tuple[str, str]:
    return record.task, normalise_text(record.headline, record.body)


def dedupe(
    records: Sequence[Record], reports: Mapping[str, LoadReport] | Sequence[LoadReport] = ()
) -> list[Record]:
    """Return the records to keep; log each dropped copy as an issue in its corpus's report.

    ``reports`` maps corpus name -> report (a sequence of reports works too); records of a corpus
    without a report are dropped the same way, just not logged.
    """
    by_corpus: dict[str, LoadReport] = (
        dict(reports) if isinstance(reports, Mapping) else {r.corpus: r for r in reports}
    )
    groups: dict[tuple[str, str], list[int]] = {}
    for i, record in enumerate(records):
        groups.setdefault(dedupe_key(record), []).append(i)

    drop: set[int] = set()
    for (task, _text), idx in groups.items():
        if len(idx) == 1:
            continue
        copies = [records[i] for i in idx]
        labels = {r.label for r in copies}
        if len(labels) > 1:
            counts = Counter(r.label for r in copies)
            shown = ", ".join(f"{label}: {n}" for label, n in sorted(counts.items(), key=str))
            ids = ", ".join(r.id for r in copies[:4]) + (", ..." if len(copies) > 4 else "")
            reason = (
                f"label conflict: {len(copies)} copies of one text in task {task} with labels "
                f"{{{shown}}} ({ids}); all dropped"
            )
            for i, r in zip(idx, copies, strict=True):
                drop.add(i)
                _log(by_corpus, r, reason)
        else:
            first = copies[0]
            for i, r in zip(idx[1:], copies[1:], strict=True):
                drop.add(i)
                _log(
                    by_corpus, r, f"duplicate: same text as {first.id} in task {task}; copy dropped"
                )
    return [r for i, r in enumerate(records) if i not in drop]


def _log(reports: dict[str, LoadReport], record: Record, reason: str) -> None:
    report = reports.get(record.corpus)
    if report is None:
        return
    file, line = report.origins.get(record.id, (record.corpus, None))
    report.issue(file, line, reason)
    report.unkeep(record.id)
