"""HYPO (Troiano et al., EMNLP 2018): ``HYPO.tsv`` with a header row and three columns.

Each row is a triple: a hyperbole (label 1), its literal paraphrase (0) and a literal sentence
using the same key word ("minimal unit", 0). Task "sensationalism", kind "sentence", the text is
in ``body`` with an empty headline; the group ``hypo:<line>`` keeps a triple together. An empty
cell is an issue for that cell only; the rest of the row still loads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hypemeter.records.results import Record

from .base import LoadReport, iter_text_lines, read_bytes
from .text import clean_inline

FILENAME = "HYPO.tsv"
HEADER: tuple[str, ...] = ("HYPO", "PARAPHRASES", "MINIMAL UNITS CORPUS")
CELLS: tuple[tuple[str, int], ...] = (("hyperbole", 1), ("paraphrase", 0), ("minimal", 0))


class HypoLoader:
    name = "hypo_troiano2018"
    tasks = ("sensationalism",)

    def load(self, root: Path, report: LoadReport) -> Iterator[Record]:
        key = f"{self.name}/{FILENAME}"
        data = read_bytes(root / FILENAME, key, report)
        if data is None:
            return
        header_seen = False
        for line_no, line in iter_text_lines(data, key, report):
            if not line.strip():
                continue
            cols = line.split("\t")
            if not header_seen:
                header_seen = True
                if tuple(c.strip().upper() for c in cols) == HEADER:
                    continue
                report.issue(key, line_no, "bad header: expected HYPO, PARAPHRASES, MINIMAL UNITS")
            report.row(key)
            if len(cols) != len(HEADER):
                report.issue(key, line_no, f"bad columns: {len(cols)} columns, expected 3")
                continue
            for (kind, label), cell, column in zip(CELLS, cols, HEADER, strict=True):
                text = clean_inline(cell)
                if not text:
                    report.issue(key, line_no, f"missing field: empty {column} cell")
                    continue
                yield report.keep(
                    key,
                    line_no,
                    Record(
                        id=f"{self.name}:{line_no}:{kind}",
                        headline="",
                        body=text,
                        task="sensationalism",
                        label=label,
                        source=self.name,
                        group=f"hypo:{line_no}",
                        corpus=self.name,
                        kind="sentence",
                    ),
                )
