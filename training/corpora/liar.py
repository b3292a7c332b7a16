"""LIAR (Wang 2017): ``train.tsv``, ``valid.tsv``, ``test.tsv``; 14 tab-separated columns.

Only the statement becomes text (``headline``, kind "claim"). The five credit-history counts
(columns 9-13) include the statement's own verdict and are never read into a record; speaker and
party are not put into the text either. The speaker is the group, so one speaker's claims stay
in one split. Labels: pants-fire/false/barely-true -> 1, mostly-true/true -> 0, half-true -> None;
``target`` grades the verdict from 1.0 (pants-fire) to 0.0 (true).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hypemeter.records.results import Record

from .base import LoadReport, iter_text_lines, read_bytes
from .text import clean_inline

SPLITS: tuple[str, ...] = ("train", "valid", "test")
N_COLUMNS = 14
LABELS: dict[str, tuple[int | None, float]] = {
    "pants-fire": (1, 1.0),
    "false": (1, 0.8),
    "barely-true": (1, 0.6),
    "half-true": (None, 0.4),
    "mostly-true": (0, 0.2),
    "true": (0, 0.0),
}
# Column indices (0-based) that are read; 8..12 are the leaking credit-history counts.
ID, LABEL, STATEMENT, SPEAKER = 0, 1, 2, 4


class LiarLoader:
    name = "liar"
    tasks = ("misinformation",)

    def load(self, root: Path, report: LoadReport) -> Iterator[Record]:
        for split in SPLITS:
            key = f"{self.name}/{split}.tsv"
            data = read_bytes(root / f"{split}.tsv", key, report)
            if data is None:
                continue
            for line_no, line in iter_text_lines(data, key, report):
                if not line.strip():
                    continue
                report.row(key)
                cols = line.split("\t")
                if len(cols) != N_COLUMNS:
                    report.issue(
                        key, line_no, f"bad columns: {len(cols)} columns, expected {N_COLUMNS}"
                    )
                    continue
                verdict = cols[LABEL].strip().lower()
                if verdict not in LABELS:
                    report.issue(key, line_no, f"unknown label: {cols[LABEL]!r}")
                    continue
                statement = clean_inline(cols[STATEMENT])
                if not statement:
                    report.issue(key, line_no, "empty text: statement is empty")
                    continue
                local = cols[ID].strip().removesuffix(".json") or str(line_no)
                speaker = cols[SPEAKER].strip().lower() or "unknown"
                label, target = LABELS[verdict]
                yield report.keep(
                    key,
                    line_no,
                    Record(
                        id=f"{self.name}:{split}:{local}",
                        headline=statement,
                        body="",
                        task="misinformation",
                        label=label,
                        source=self.name,
                        group=f"liar:{speaker}",
                        corpus=self.name,
                        target=target,
                        kind="claim",
                    ),
                )
