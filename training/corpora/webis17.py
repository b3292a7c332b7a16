"""Webis-Clickbait-17 (Potthast et al. 2018), training release as ``train.json``.

Accepts the JSON array of this release or JSON lines. Each item needs ``post_text`` (a string,
or a list of strings as in the original ``instances.jsonl``), ``click_bait`` (0/1) and
``truth_mean`` (0..1, the graded target); ``text_id`` names the record when present.
Task "sensationalism", kind "headline": the label judges the social-media post, not the article.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypemeter.records.results import Record

from .base import LoadReport, iter_json_items, read_bytes
from .text import clean_inline, text_bucket

FILENAME = "train.json"


def _post_text(value: Any) -> str | None:
    if isinstance(value, str):
        return clean_inline(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return clean_inline(" ".join(value))
    return None


class Webis17Loader:
    name = "webis_clickbait17"
    tasks = ("sensationalism",)

    def load(self, root: Path, report: LoadReport) -> Iterator[Record]:
        key = f"{self.name}/{FILENAME}"
        data = read_bytes(root / FILENAME, key, report)
        if data is None:
            return
        for line_no, where, item in iter_json_items(data, key, report):
            report.row(key)
            if not isinstance(item, dict):
                report.issue(key, line_no, f"bad row: {where} is not a JSON object")
                continue
            missing = [f for f in ("post_text", "click_bait", "truth_mean") if f not in item]
            if missing:
                report.issue(key, line_no, f"missing field: {where}: {', '.join(missing)}")
                continue
            text = _post_text(item["post_text"])
            if not text:
                report.issue(key, line_no, f"empty text: {where}: post_text empty or not text")
                continue
            label = item["click_bait"]
            if isinstance(label, bool) or label not in (0, 1):
                report.issue(key, line_no, f"unknown label: {where}: click_bait={label!r}")
                continue
            target = item["truth_mean"]
            if isinstance(target, bool) or not isinstance(target, int | float):
                report.issue(key, line_no, f"bad value: {where}: truth_mean={target!r}")
                continue
            if not 0.0 <= float(target) <= 1.0:
                report.issue(
                    key, line_no, f"bad value: {where}: truth_mean={target!r} not in [0, 1]"
                )
                continue
            local = item.get("text_id", item.get("id"))
            local = str(local) if local is not None else where.replace(" ", "")
            yield report.keep(
                key,
                line_no,
                Record(
                    id=f"{self.name}:{local}",
                    headline=text,
                    body="",
                    task="sensationalism",
                    label=int(label),
                    source=self.name,
                    group=text_bucket("webis17", text),
                    corpus=self.name,
                    target=float(target),
                    kind="headline",
                ),
            )
