"""Stop Clickbait (Chakraborty et al., ASONAM 2016): one headline per line, blank lines between.

``clickbait_data`` -> label 1, ``non_clickbait_data`` -> label 0; task "sensationalism",
kind "headline". The two classes come from different outlets (and casing), so the group is a
bucket of the normalised text rather than an outlet we do not know.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hypemeter.records.results import Record

from .base import LoadReport, iter_text_lines, read_bytes
from .text import text_bucket

FILES: tuple[tuple[str, int], ...] = (("clickbait_data", 1), ("non_clickbait_data", 0))


class StopClickbaitLoader:
    name = "stop_clickbait_2016"
    tasks = ("sensationalism",)

    def load(self, root: Path, report: LoadReport) -> Iterator[Record]:
        for filename, label in FILES:
            key = f"{self.name}/{filename}"
            data = read_bytes(root / filename, key, report)
            if data is None:
                continue
            tag = "cb" if label else "nc"
            for line_no, line in iter_text_lines(data, key, report):
                headline = line.strip()
                if not headline:
                    continue
                report.row(key)
                yield report.keep(
                    key,
                    line_no,
                    Record(
                        id=f"{self.name}:{tag}:{line_no}",
                        headline=headline,
                        body="",
                        task="sensationalism",
                        label=label,
                        source=self.name,
                        group=text_bucket("stop_clickbait", headline),
                        corpus=self.name,
                        kind="headline",
                    ),
                )
