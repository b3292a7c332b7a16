"""Propaganda Techniques Corpus v2 (SemEval-2020 Task 11, Da San Martino et al.).

``train-articles/articleN.txt``: line 1 is the title, then the text. ``train-task2-TC.labels``:
``id<TAB>technique<TAB>start<TAB>end`` with character offsets into the whole file (title line
included, end exclusive). Headline = line 1, body = the rest after the first newline (leading
blank lines removed); each span becomes ``GoldSpan``s relative to its field, split in two if it
crosses the title/body boundary. A BOM at the start of a file counts as one character in the
offsets (it is removed and the offsets shifted). Task "spans", label 1 if any span; ``target`` =
fraction of headline+body characters covered by Loaded_Language, Exaggeration,Minimisation or
Appeal_to_fear-prejudice spans.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from hypemeter.records.results import GoldSpan, Record

from .base import LoadReport, Manifest, decode_document, iter_text_lines, read_bytes

LABELS = "train-task2-TC.labels"
ARTICLES = "train-articles"
SENSATIONAL_TECHNIQUES = frozenset(
    {"Loaded_Language", "Exaggeration,Minimisation", "Appeal_to_fear-prejudice"}
)
_ARTICLE_FILE = re.compile(r"^article(\d+)\.txt$")

# article id -> [(label line, technique, start, end)]
Labels = dict[str, list[tuple[int, str, int, int]]]


def read_labels(data: bytes, key: str, report: LoadReport) -> Labels:
    spans: Labels = defaultdict(list)
    for line_no, line in iter_text_lines(data, key, report):
        if not line.strip():
            continue
        report.row(key)
        cols = line.split("\t")
        if len(cols) != 4:
            report.issue(key, line_no, f"bad columns: {len(cols)} columns, expected 4")
            continue
        article_id, technique, start_s, end_s = (c.strip() for c in cols)
        try:
            start, end = int(start_s), int(end_s)
        except ValueError:
            report.issue(key, line_no, f"bad offsets: {start_s!r}, {end_s!r} are not integers")
            continue
        if not article_id or not technique:
            report.issue(key, line_no, "missing field: article id or technique is empty")
            continue
        spans[article_id].append((line_no, technique, start, end))
    return spans


def split_article(text: str) -> tuple[str, str, int]:
    """Return (headline, body, offset of body[0] in text)."""
    nl = text.find("\n")
    if nl < 0:
        return text.rstrip("\r"), "", len(text)
    body_start = nl + 1
    while body_start < len(text) and text[body_start] in "\r\n":
        body_start += 1
    return text[:nl].rstrip("\r"), text[body_start:], body_start


def to_gold_spans(
    start: int, end: int, technique: str, headline_len: int, body_start: int
) -> list[GoldSpan]:
    """Cut a file-level span into field-relative spans (empty pieces are dropped)."""
    out: list[GoldSpan] = []
    if start < headline_len:
        out.append(GoldSpan("headline", start, min(end, headline_len), technique))
    if end > body_start:
        out.append(
            GoldSpan("body", max(start, body_start) - body_start, end - body_start, technique)
        )
    return out


def covered_fraction(spans: list[GoldSpan], headline_len: int, body_len: int) -> float:
    total = headline_len + body_len
    if total == 0:
        return 0.0
    covered = 0
    for field, length in (("headline", headline_len), ("body", body_len)):
        mask = bytearray(length)
        for s in spans:
            if s.field == field and s.technique in SENSATIONAL_TECHNIQUES:
                mask[s.start : s.end] = b"\x01" * (s.end - s.start)
        covered += sum(mask)
    return covered / total


class PtcLoader:
    name = "ptc_semeval2020"
    tasks = ("spans",)

    def load(self, root: Path, report: LoadReport) -> Iterator[Record]:
        labels_key = f"{self.name}/{LABELS}"
        data = read_bytes(root / LABELS, labels_key, report)
        if data is None:  # without labels every article would look span-free: load none
            return
        labels = read_labels(data, labels_key, report)
        manifest = Manifest(f"{self.name}/{ARTICLES}/")
        folder = root / ARTICLES
        if not folder.is_dir():
            report.issue(manifest.key, None, f"missing folder: {folder}")
            return
        kept = 0
        seen: set[str] = set()
        for path in sorted(folder.glob("*.txt")):
            m = _ARTICLE_FILE.match(path.name)
            key = manifest.key + path.name
            if m is None:
                report.issue(key, None, "bad file name: expected articleN.txt")
                continue
            article_id = m.group(1)
            raw = read_bytes(path, key, report, register=False)
            if raw is None:
                continue
            manifest.add(path.name, raw)
            seen.add(article_id)
            record = self._article(
                article_id, raw, key, labels.get(article_id, []), labels_key, report
            )
            if record is not None:
                kept += 1
                yield report.keep(key, 1, record)
        manifest.finish(report, kept)
        for article_id in sorted(set(labels) - seen):
            for line_no, _t, _s, _e in labels[article_id]:
                report.issue(
                    labels_key, line_no, f"missing article: article{article_id}.txt not found"
                )

    def _article(
        self,
        article_id: str,
        raw: bytes,
        key: str,
        spans: list[tuple[int, str, int, int]],
        labels_key: str,
        report: LoadReport,
    ) -> Record | None:
        text = decode_document(raw, key, report, keep_bom=True)
        if text is None:
            for line_no, *_ in spans:
                report.issue(
                    labels_key, line_no, f"missing article: article{article_id}.txt unreadable"
                )
            return None
        file_len = len(text)
        shift = 1 if text.startswith("\ufeff") else 0
        text = text[shift:]
        headline, body, body_start = split_article(text)
        if not headline.strip() and not body.strip():
            report.issue(key, 1, "empty text: article is empty")
            return None
        gold: list[GoldSpan] = []
        for line_no, technique, start, end in spans:
            if not 0 <= start < end <= file_len:
                report.issue(
                    labels_key,
                    line_no,
                    f"bad offsets: {start}-{end} outside article{article_id}.txt "
                    f"({file_len} characters) or empty",
                )
                continue
            pieces = to_gold_spans(
                max(start - shift, 0), end - shift, technique, len(headline), body_start
            )
            if not pieces:
                report.issue(
                    labels_key, line_no, f"bad offsets: {start}-{end} cover only a line break"
                )
                continue
            gold.extend(pieces)
            if labels_key in report.files:
                report.files[labels_key]["kept"] += 1
        gold.sort(key=lambda s: (s.field != "headline", s.start, s.end, s.technique))
        return Record(
            id=f"{self.name}:{article_id}",
            headline=headline,
            body=body,
            task="spans",
            label=1 if gold else 0,
            source=self.name,
            group=f"ptc:{article_id}",
            corpus=self.name,
            target=covered_fraction(gold, len(headline), len(body)),
            spans=gold,
            kind="article",
        )
