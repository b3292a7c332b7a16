"""FakeNewsNet (Shu et al. 2018): three parts of the shared folder, all task "misinformation".

* ``fakenewsnet_titles.csv`` (``claim_source``, ``claim``, ``claim_label`` with 1 = real):
  titles, label = 1 - claim_label; unlabelled rows are issues. Rows without a URL are kept with
  source "unknown" and a text-bucket group.
* ``politifact_fake.csv`` (``id``, ``news_url``, ``title``, ``tweet_ids``): titles, label 1.
  Every title here also appears in the titles file, so the dedupe step drops these copies.
* ``politifact_articles/{Fake,Real}NewsContent/*.json`` (old release): headline + body.

``source`` is the registrable domain of the article URL and ``group`` is ``domain:<domain>``, so
one outlet stays in one split (the domain nearly gives the label away). Titles that occur with
both labels are dropped as conflicts by the dedupe step.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypemeter.records.io import parse_json
from hypemeter.records.results import Record

from .base import (
    LoadReport,
    Manifest,
    decode_document,
    has_bad_bytes,
    iter_class_files,
    read_bytes,
)
from .text import clean_inline, registrable_domain, text_bucket

TITLES = "fakenewsnet_titles.csv"
POLITIFACT_FAKE = "politifact_fake.csv"
ARTICLES = "politifact_articles"
ARTICLE_DIRS: tuple[tuple[str, int], ...] = (("FakeNewsContent", 1), ("RealNewsContent", 0))
# Link shorteners in the article ``source`` field: use ``canonical_link`` instead when present.
SHORTENERS = frozenset({"cnn.it", "politi.co", "abcn.ws", "fb.me", "bit.ly", "ow.ly", "goo.gl",
                        "t.co", "nyti.ms", "wapo.st", "trib.al", "dlvr.it", "buff.ly"})  # fmt: skip

csv.field_size_limit(2**31 - 1)  # politifact_fake.csv has tweet-id lists over 128 kB


def iter_csv(data: bytes, key: str, report: LoadReport) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(first line of the row, row dict)``; bad rows become issues."""
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    last_line = 0
    while True:
        try:
            cols = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.issue(key, last_line + 1, f"bad csv: {exc}")
            last_line = reader.line_num
            continue
        start, last_line = last_line + 1, reader.line_num
        if header is None:
            header = [c.strip() for c in cols]
            continue
        if not cols:
            continue
        report.row(key)
        if any(has_bad_bytes(c) for c in cols):
            report.issue(key, start, "encoding: row is not valid UTF-8")
            continue
        if len(cols) != len(header):
            report.issue(key, start, f"bad columns: {len(cols)} columns, expected {len(header)}")
            continue
        yield start, dict(zip(header, cols, strict=True))


def _domain_record_fields(url: str, fallback_group: str) -> tuple[str, str]:
    domain = registrable_domain(url)
    if domain is None:
        return "unknown", fallback_group
    return domain, f"domain:{domain}"


class FakeNewsNetLoader:
    name = "fakenewsnet"
    tasks = ("misinformation",)

    def load(self, root: Path, report: LoadReport) -> Iterator[Record]:
        yield from self._titles(root, report)
        yield from self._politifact_fake(root, report)
        yield from self._articles(root, report)

    def _titles(self, root: Path, report: LoadReport) -> Iterator[Record]:
        key = f"{self.name}/{TITLES}"
        data = read_bytes(root / TITLES, key, report)
        if data is None:
            return
        for line_no, row in iter_csv(data, key, report):
            if not {"claim_source", "claim", "claim_label"} <= row.keys():
                report.issue(key, line_no, "missing field: needs claim_source, claim, claim_label")
                continue
            raw_label = row["claim_label"].strip()
            if raw_label == "":
                report.issue(key, line_no, "unlabelled: claim_label is empty")
                continue
            if raw_label not in ("0", "1"):
                report.issue(key, line_no, f"unknown label: claim_label={raw_label!r}")
                continue
            title = clean_inline(row["claim"])
            if not title:
                report.issue(key, line_no, "empty text: claim (title) is empty")
                continue
            source, group = _domain_record_fields(
                row["claim_source"], text_bucket("fakenewsnet:nodomain", title)
            )
            yield report.keep(
                key,
                line_no,
                Record(
                    id=f"{self.name}:titles:{line_no}",
                    headline=title,
                    body="",
                    task="misinformation",
                    label=1 - int(raw_label),
                    source=source,
                    group=group,
                    corpus=self.name,
                    kind="headline",
                ),
            )

    def _politifact_fake(self, root: Path, report: LoadReport) -> Iterator[Record]:
        key = f"{self.name}/{POLITIFACT_FAKE}"
        data = read_bytes(root / POLITIFACT_FAKE, key, report)
        if data is None:
            return
        for line_no, row in iter_csv(data, key, report):
            if not {"news_url", "title"} <= row.keys():
                report.issue(key, line_no, "missing field: needs news_url, title")
                continue
            title = clean_inline(row["title"])
            if not title:
                report.issue(key, line_no, "empty text: title is empty")
                continue
            local = row.get("id", "").strip() or str(line_no)
            source, group = _domain_record_fields(
                row["news_url"], text_bucket("fakenewsnet:nodomain", title)
            )
            yield report.keep(
                key,
                line_no,
                Record(
                    id=f"{self.name}:{local}",
                    headline=title,
                    body="",
                    task="misinformation",
                    label=1,
                    source=source,
                    group=group,
                    corpus=self.name,
                    kind="headline",
                ),
            )

    def _articles(self, root: Path, report: LoadReport) -> Iterator[Record]:
        base = root / ARTICLES
        manifest = Manifest(f"{self.name}/{ARTICLES}/")
        if not base.is_dir():
            report.issue(manifest.key, None, f"missing folder: {base}")
            return
        kept = 0
        for path, key, data, _sub, label in iter_class_files(
            base, manifest, ARTICLE_DIRS, "*.json", report
        ):
            record = self._article(path, key, data, label, report)
            if record is not None:
                kept += 1
                yield report.keep(key, 1, record)
        manifest.finish(report, kept)

    def _article(
        self, path: Path, key: str, data: bytes, label: int, report: LoadReport
    ) -> Record | None:
        text = decode_document(data, key, report)
        if text is None:
            return None
        try:
            doc: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            report.issue(key, exc.lineno, f"bad json: {exc.msg}")
            return None
        except (RecursionError, ValueError):  # too deep, or an integer too long
            report.issue(key, 1, f"bad json: {parse_json(text)[1]}")
            return None
        if not isinstance(doc, dict) or "title" not in doc or "text" not in doc:
            report.issue(key, 1, "missing field: needs title and text")
            return None
        title = clean_inline(str(doc.get("title") or ""))
        body = str(doc.get("text") or "").strip()
        if not body:
            report.issue(key, 1, f"empty text: body is empty (failed scrape? title {title[:40]!r})")
            return None
        url = str(doc.get("source") or doc.get("url") or "")
        if (registrable_domain(url) or "") in SHORTENERS and doc.get("canonical_link"):
            url = str(doc["canonical_link"])
        stem = path.stem.removesuffix("-Webpage")
        source, group = _domain_record_fields(url, f"fakenewsnet:article:{stem}")
        return Record(
            id=f"{self.name}:{stem}",
            headline=title,
            body=body,
            task="misinformation",
            label=label,
            source=source,
            group=group,
            corpus=self.name,
            kind="article",
        )
