"""SemEval-2019 Task 4 (Kiesel et al. 2019), by-article training set.

``articles-training-byarticle-20181122.xml`` holds ``<article id title published-at>`` with
``<p>``/``<a>``/``<q>`` content; ``ground-truth-training-byarticle-20181122.xml`` holds
``<article id hyperpartisan url labeled-by>``. Headline = ``title``; body = the text with tags
stripped, one paragraph per ``<p>`` (loose text between paragraphs is its own paragraph),
paragraphs joined by blank lines. Task "sensationalism", kind "article", label 1 = hyperpartisan;
source/group = the article URL's domain.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from bisect import bisect_right
from collections.abc import Iterator
from pathlib import Path

from hypemeter.records.results import Record

from .base import LoadReport, read_bytes
from .text import clean_inline, registrable_domain

ARTICLES = "articles-training-byarticle-20181122.xml"
GROUND_TRUTH = "ground-truth-training-byarticle-20181122.xml"
_ARTICLE_TAG = re.compile(rb"<article\b[^>]*?\bid=\"([^\"]*)\"")
_LABELS = {"true": 1, "false": 0}


def _line_index(data: bytes) -> dict[str, int]:
    """Map article id -> 1-based line of its opening tag (ElementTree has no line numbers)."""
    newlines = [m.start() for m in re.finditer(rb"\n", data)]
    return {
        m.group(1).decode("utf-8", "replace"): bisect_right(newlines, m.start()) + 1
        for m in _ARTICLE_TAG.finditer(data)
    }


def article_body(article: ET.Element) -> str:
    """Text of an article element: one paragraph per ``<p>``, loose text grouped between them."""
    paragraphs: list[str] = []
    loose: list[str] = [article.text or ""]

    def flush() -> None:
        text = clean_inline("".join(loose))
        if text:
            paragraphs.append(text)
        loose.clear()

    for child in article:
        if child.tag == "p":
            flush()
            text = clean_inline("".join(child.itertext()))
            if text:
                paragraphs.append(text)
        else:
            loose.append("".join(child.itertext()))
        loose.append(child.tail or "")
    flush()
    return "\n\n".join(paragraphs)


class HyperpartisanLoader:
    name = "semeval2019_hyperpartisan"
    tasks = ("sensationalism",)

    def load(self, root: Path, report: LoadReport) -> Iterator[Record]:
        truth = self._ground_truth(root, report)
        key = f"{self.name}/{ARTICLES}"
        data = read_bytes(root / ARTICLES, key, report)
        if data is None or truth is None:
            return
        lines = _line_index(data)
        seen: set[str] = set()
        try:
            for _event, elem in ET.iterparse(io.BytesIO(data), events=("end",)):
                if elem.tag != "article":
                    continue
                record = self._record(elem, key, lines, truth, report)
                seen.add(elem.get("id", ""))
                elem.clear()
                if record is not None:
                    yield report.keep(key, lines.get(record.id.rsplit(":", 1)[1]), record)
        except ET.ParseError as exc:
            line, _col = exc.position
            report.issue(key, line, f"bad xml: {exc}; rest of file skipped")
        gt_key = f"{self.name}/{GROUND_TRUTH}"
        for article_id, (_label, _url, line) in truth.items():
            if article_id not in seen:
                report.issue(gt_key, line, f"missing article: id {article_id} has no article text")

    def _ground_truth(
        self, root: Path, report: LoadReport
    ) -> dict[str, tuple[int, str, int | None]] | None:
        key = f"{self.name}/{GROUND_TRUTH}"
        data = read_bytes(root / GROUND_TRUTH, key, report)
        if data is None:
            return None
        try:
            tree = ET.fromstring(data)
        except ET.ParseError as exc:
            report.issue(key, exc.position[0], f"bad xml: {exc}")
            return None
        lines = _line_index(data)
        truth: dict[str, tuple[int, str, int | None]] = {}
        for elem in tree.iter("article"):
            report.row(key)
            article_id = elem.get("id", "")
            line = lines.get(article_id)
            raw = (elem.get("hyperpartisan") or "").strip().lower()
            if not article_id:
                report.issue(key, line, "missing field: article without id")
            elif raw not in _LABELS:
                report.issue(
                    key, line, f"unknown label: hyperpartisan={elem.get('hyperpartisan')!r}"
                )
            elif article_id in truth:
                report.issue(key, line, f"duplicate id: {article_id}")
            else:
                truth[article_id] = (_LABELS[raw], elem.get("url") or "", line)
                report.files[key]["kept"] += 1
        return truth

    def _record(
        self,
        elem: ET.Element,
        key: str,
        lines: dict[str, int],
        truth: dict[str, tuple[int, str, int | None]],
        report: LoadReport,
    ) -> Record | None:
        report.row(key)
        article_id = elem.get("id", "")
        line = lines.get(article_id)
        if article_id not in truth:
            report.issue(key, line, f"missing label: article {article_id!r} not in ground truth")
            return None
        label, url, _ = truth[article_id]
        headline = clean_inline(elem.get("title") or "")
        body = article_body(elem)
        if not body and not headline:
            report.issue(key, line, f"empty text: article {article_id}")
            return None
        domain = registrable_domain(url)
        return Record(
            id=f"{self.name}:{article_id}",
            headline=headline,
            body=body,
            task="sensationalism",
            label=label,
            source=domain or "unknown",
            group=f"domain:{domain}" if domain else f"hyperpartisan:{article_id}",
            corpus=self.name,
            kind="article",
        )
