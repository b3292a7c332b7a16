"""The project's own sample corpus: ``datasets/sample/sample.jsonl`` in this repository.

One JSON object per line: ``id``, ``headline``, ``body``, ``sensational`` (0/1),
``misinformation`` (0/1), ``source`` (a fictional outlet), ``loaded_phrases`` (exact substrings
of the headline or body). Each line yields two records, task "sensationalism" and task
"misinformation" (ids ``sample:<id>:<task>``); the loaded phrases become ``Loaded_Language``
gold spans (first occurrence, headline searched before body) on the sensationalism record only,
so a span model that collects ``record.spans`` sees each phrase once. A phrase that is not found
is an issue and only that span is skipped. The group is the outlet (``sample:<source>``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypemeter.records.results import GoldSpan, Record, Task

from .base import LoadReport, iter_json_items, read_bytes

FILENAME = "sample.jsonl"
TECHNIQUE = "Loaded_Language"
REQUIRED: tuple[str, ...] = ("id", "headline", "body", "sensational", "misinformation")


def _binary(value: Any) -> int | None:
    if isinstance(value, bool) or value not in (0, 1):
        return None
    return int(value)


class SampleLoader:
    name = "sample"
    tasks = ("sensationalism", "misinformation")

    def __init__(self, filename: str = FILENAME, name: str = "sample") -> None:
        self.filename = filename
        self.name = name  # "own:<file stem>" for a user's file in this format

    def load(self, root: Path, report: LoadReport) -> Iterator[Record]:
        key = f"{self.name}/{self.filename}"
        data = read_bytes(root / self.filename, key, report)
        if data is None:
            return
        seen: set[str] = set()
        for line_no, where, item in iter_json_items(data, key, report):
            report.row(key)
            if not isinstance(item, dict):
                report.issue(key, line_no, f"bad row: {where} is not a JSON object")
                continue
            missing = [f for f in REQUIRED if f not in item]
            if missing:
                report.issue(key, line_no, f"missing field: {', '.join(missing)}")
                continue
            local = str(item["id"]).strip()
            headline, body = item["headline"], item["body"]
            if not isinstance(headline, str) or not isinstance(body, str):
                report.issue(key, line_no, "bad value: headline and body must be strings")
                continue
            headline, body = headline.strip(), body.strip()
            if not local or not (headline or body):
                report.issue(key, line_no, "empty text: id, or both headline and body, empty")
                continue
            if local in seen:
                report.issue(key, line_no, f"duplicate id: {local!r}")
                continue
            labels: dict[Task, int | None] = {
                "sensationalism": _binary(item["sensational"]),
                "misinformation": _binary(item["misinformation"]),
            }
            bad = [task for task, value in labels.items() if value is None]
            if bad:
                report.issue(key, line_no, f"unknown label: {', '.join(bad)} must be 0 or 1")
                continue
            seen.add(local)
            spans = self._spans(
                item.get("loaded_phrases", []), headline, body, key, line_no, report
            )
            source = str(item.get("source") or "unknown").strip() or "unknown"
            for task, label in labels.items():
                yield report.keep(
                    key,
                    line_no,
                    Record(
                        id=f"{self.name}:{local}:{task}",
                        headline=headline,
                        body=body,
                        task=task,
                        label=label,
                        source=source,
                        group=f"{self.name}:{source.lower()}",
                        corpus=self.name,
                        spans=list(spans) if task == "sensationalism" else [],
                        kind="article" if body else "headline",
                    ),
                )

    @staticmethod
    def _spans(
        phrases: Any, headline: str, body: str, key: str, line_no: int, report: LoadReport
    ) -> list[GoldSpan]:
        if not isinstance(phrases, list):
            report.issue(key, line_no, "bad value: loaded_phrases is not a list; spans skipped")
            return []
        spans: list[GoldSpan] = []
        for phrase in phrases:
            if not isinstance(phrase, str) or not phrase.strip():
                report.issue(
                    key, line_no, f"bad span: loaded phrase {phrase!r} is empty or not text"
                )
                continue
            for field, text in (("headline", headline), ("body", body)):
                start = text.find(phrase)
                if start >= 0:
                    spans.append(GoldSpan(field, start, start + len(phrase), TECHNIQUE))  # type: ignore[arg-type]
                    break
            else:
                report.issue(key, line_no, f"bad span: loaded phrase {phrase!r} not found in text")
        return spans
