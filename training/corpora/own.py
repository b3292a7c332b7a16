"""A user's own labelled file, or corrections exported from the feedback database.

One JSON object per line::

    {"id", "headline", "body", "sensational"?: 0|1, "misinformation"?: 0|1, "source"?: str,
     "loaded_phrases"?: [exact substrings],
     "spans"?: [{"field": "headline"|"body", "start": int, "end": int,
                 "verdict": "loaded"|"not_loaded", "category"?: str}],
     "created_at"?: ISO-8601, "model_version"?: str}

Either label may be missing (most people judge one thing at a time): a record trains only what
its labels teach, one :class:`Record` per label present (task ``sensationalism`` /
``misinformation``). A line needs at least one label or one span verdict, else it is an issue
and skipped. Span verdicts become gold spans on one of the text's records (the
sensationalism one when there is one): ``loaded`` a phrase to learn (with its category when
given), ``not_loaded`` a :data:`~hypemeter.records.results.NOT_LOADED` span the lexicon learns as a
negative. Text with span verdicts but no label yields a ``sensationalism`` record with
``label=None`` (the article-level learners skip it; the lexicon reads its spans).

The same text (identical headline and body) corrected more than once is merged: per label and
per span (field, start, end), the latest correction wins: by ``created_at`` when both lines
have one, else the later line. Offsets are Unicode code points into the field and must cut a
non-empty, in-range substring; a bad span is an issue (file and line) and only that span is
skipped. The group is the outlet (``own:<name>:<source>``) when ``source`` is given, else a
bucket of the text, so held-out validation records exist for corrections without an outlet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypemeter.language import UNDETERMINED, detect, language_name
from hypemeter.records.results import CORRECTION_CATEGORIES, NOT_LOADED, GoldSpan, Record, Task

from .base import LoadReport, iter_json_items, read_bytes
from .text import text_bucket

LABEL_FIELDS: dict[str, Task] = {"sensational": "sensationalism",
                                 "misinformation": "misinformation"}
VERDICTS = ("loaded", "not_loaded")
# A chosen category -> the corpus technique whose words the lexicon learns as loaded; urgency
# and clickbait have no technique of their own and count as loaded language for the words.
CATEGORY_TECHNIQUE: dict[str, str] = {
    "loaded_language": "Loaded_Language",
    "exaggeration": "Exaggeration,Minimisation",
    "fear_appeal": "Appeal_to_fear-prejudice",
    "name_calling": "Name_Calling,Labeling",
    "slogan": "Slogans",
    "doubt": "Doubt",
}
DEFAULT_TECHNIQUE = "Loaded_Language"
# The languages the models trained here read (the card's "languages"). A correction or own
# record confidently in another language is stored but not trained on: an issue, skipped.
TRAINING_LANGUAGES: tuple[str, ...] = ("en",)

SpanKey = tuple[str, int, int]


@dataclass
class _Text:
    """Everything known about one text after merging its corrections (latest wins)."""

    headline: str
    body: str
    local_id: str
    source: str | None
    line: int
    labels: dict[Task, tuple[int, tuple[datetime | None, int]]] = field(default_factory=dict)
    spans: dict[SpanKey, tuple[str, str | None, tuple[datetime | None, int]]] = field(
        default_factory=dict)


def _newer(new: tuple[datetime | None, int], old: tuple[datetime | None, int]) -> bool:
    """Does the correction stamped ``new`` (created_at, line) replace the one stamped ``old``?
    By created_at when both have one (a tie goes to the later line), else the later line."""
    if new[0] is not None and old[0] is not None and new[0] != old[0]:
        return new[0] > old[0]
    return new[1] > old[1]


def parse_created_at(value: Any) -> datetime | None:
    """An ISO-8601 timestamp (naive ones are taken as UTC); raises ValueError when bad."""
    if not isinstance(value, str):
        raise ValueError("created_at must be an ISO-8601 string")
    stamp = datetime.fromisoformat(value.strip())
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _binary(value: Any) -> int | None:
    if isinstance(value, bool) or value not in (0, 1):
        return None
    return int(value)


class OwnDataLoader:
    """Loads one own-data JSONL file as corpus ``name`` (``own:<file stem>``)."""

    tasks = ("sensationalism", "misinformation")

    def __init__(self, filename: str, name: str) -> None:
        self.filename = filename
        self.name = name

    def load(self, root: Path, report: LoadReport) -> Iterator[Record]:
        key = f"{self.name}/{self.filename}"
        data = read_bytes(root / self.filename, key, report)
        if data is None:
            return
        texts: dict[tuple[str, str], _Text] = {}
        stamps: list[datetime] = []
        versions: set[str] = set()
        superseded = 0
        for line_no, where, item in iter_json_items(data, key, report):
            report.row(key)
            parsed = self._parse(item, where, key, line_no, report)
            if parsed is None:
                continue
            headline, body, local, source, labels, spans, created, version = parsed
            stamp = (created, line_no)
            if created is not None:
                stamps.append(created)
            if version:
                versions.add(version)
            text = texts.get((headline, body))
            if text is None:
                text = texts[headline, body] = _Text(headline, body, local, source, line_no)
            else:
                text.line, text.local_id = line_no, local
                text.source = source or text.source
            for task, label in labels.items():
                old = text.labels.get(task)
                if old is None or _newer(stamp, old[1]):
                    superseded += old is not None and old[0] != label
                    text.labels[task] = (label, stamp)
            for span_key, (verdict, category) in spans.items():
                old_span = text.spans.get(span_key)
                if old_span is None or _newer(stamp, old_span[2]):
                    superseded += old_span is not None and old_span[:2] != (verdict, category)
                    text.spans[span_key] = (verdict, category, stamp)
        yield from self._records(texts.values(), key, report)
        report.meta = self._meta(texts.values(), stamps, versions, superseded)

    # ------------------------------------------------------------------ one line
    def _parse(
        self, item: Any, where: str, key: str, line_no: int, report: LoadReport
    ) -> tuple[str, str, str, str | None, dict[Task, int], dict[SpanKey, tuple[str, str | None]],
               datetime | None, str | None] | None:
        def issue(reason: str) -> None:
            report.issue(key, line_no, reason)

        if not isinstance(item, dict):
            issue(f"bad row: {where} is not a JSON object")
            return None
        headline, body = item.get("headline", ""), item.get("body", "")
        headline = "" if headline is None else headline
        body = "" if body is None else body
        if not isinstance(headline, str) or not isinstance(body, str):
            issue("bad value: headline and body must be strings")
            return None
        if not (headline.strip() or body.strip()):
            issue("empty text: headline and body are both empty")
            return None
        language = detect(headline, body, TRAINING_LANGUAGES)
        if language != UNDETERMINED and language not in TRAINING_LANGUAGES:
            reads = ", ".join(language_name(c) for c in TRAINING_LANGUAGES)
            issue(f"unsupported language: the text is in {language_name(language)}; the "
                  f"model is trained on {reads} only, so it is not used for training")
            return None
        raw_id = item.get("id")
        if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, str | int)):
            issue(f"bad value: id must be a string or an integer, not {raw_id!r}")
            return None
        local = str(raw_id).strip() if raw_id is not None else ""
        local = local or f"line{line_no}"
        nested = item.get("labels") if isinstance(item.get("labels"), dict) else {}
        labels: dict[Task, int] = {}
        for name, task in LABEL_FIELDS.items():
            value = item.get(name, nested.get(name))
            if value is None:
                continue
            label = _binary(value)
            if label is None:
                issue(f"unknown label: {name} must be 0 or 1, not {value!r}")
                return None
            labels[task] = label
        created = None
        if item.get("created_at") is not None:
            try:
                created = parse_created_at(item["created_at"])
            except ValueError:
                issue(f"bad value: created_at {item['created_at']!r} is not ISO-8601; "
                      "ordered by line instead")
        spans = self._phrases(item.get("loaded_phrases"), headline, body, issue)
        spans.update(self._verdicts(item.get("spans"), headline, body, issue))
        if not labels and not spans:
            issue("no label: needs sensational or misinformation (0 or 1), or a span verdict")
            return None
        source = item.get("source")
        source = str(source).strip() if source is not None and str(source).strip() else None
        version = item.get("model_version")
        return (headline, body, local, source, labels, spans, created,
                version if isinstance(version, str) and version else None)

    @staticmethod
    def _phrases(phrases: Any, headline: str, body: str,
                 issue: Any) -> dict[SpanKey, tuple[str, str | None]]:
        """``loaded_phrases``: each exact substring's first occurrence (headline first)."""
        if phrases is None:
            return {}
        if not isinstance(phrases, list):
            issue("bad value: loaded_phrases is not a list; spans skipped")
            return {}
        out: dict[SpanKey, tuple[str, str | None]] = {}
        for phrase in phrases:
            if not isinstance(phrase, str) or not phrase.strip():
                issue(f"bad span: loaded phrase {phrase!r} is empty or not text")
                continue
            for name, text in (("headline", headline), ("body", body)):
                start = text.find(phrase)
                if start >= 0:
                    out[name, start, start + len(phrase)] = ("loaded", None)
                    break
            else:
                issue(f"bad span: loaded phrase {phrase!r} not found in text")
        return out

    @staticmethod
    def _verdicts(spans: Any, headline: str, body: str,
                  issue: Any) -> dict[SpanKey, tuple[str, str | None]]:
        """``spans``: verdicts on exact offsets (code points into the field), checked."""
        if spans is None:
            return {}
        if not isinstance(spans, list):
            issue("bad value: spans is not a list; spans skipped")
            return {}
        out: dict[SpanKey, tuple[str, str | None]] = {}
        for k, span in enumerate(spans):
            at = f"spans[{k}]"
            if not isinstance(span, dict):
                issue(f"bad span: {at} is not an object")
                continue
            name, start, end = span.get("field"), span.get("start"), span.get("end")
            verdict, category = span.get("verdict"), span.get("category")
            if name not in ("headline", "body"):
                issue(f"bad span: {at}.field must be 'headline' or 'body', not {name!r}")
                continue
            if any(isinstance(v, bool) or not isinstance(v, int) for v in (start, end)):
                issue(f"bad span: {at} start and end must be integers")
                continue
            text = headline if name == "headline" else body
            if not 0 <= start < end <= len(text):
                issue(f"bad span: {at} offsets {start}-{end} are outside the {name} "
                      f"({len(text)} characters) or empty")
                continue
            if not text[start:end].strip():
                issue(f"bad span: {at} offsets {start}-{end} cut only whitespace")
                continue
            if "text" in span and span["text"] != text[start:end]:
                issue(f"bad span: {at} text {span['text']!r} does not match the {name} at "
                      f"{start}-{end} ({text[start:end]!r})")
                continue
            if verdict not in VERDICTS:
                issue(f"bad span: {at}.verdict must be 'loaded' or 'not_loaded', not {verdict!r}")
                continue
            if category is not None and category not in CORRECTION_CATEGORIES:
                issue(f"bad span: {at}.category {category!r} is not one of "
                      f"{', '.join(CORRECTION_CATEGORIES)}")
                continue
            out[name, start, end] = (verdict, category)
        return out

    # ------------------------------------------------------------------ records
    def _records(self, texts: Any, key: str, report: LoadReport) -> Iterator[Record]:
        used: set[str] = set()
        for text in texts:
            spans = [
                GoldSpan(f, s, e, NOT_LOADED, None) if verdict == "not_loaded"  # type: ignore[arg-type]
                else GoldSpan(f, s, e, CATEGORY_TECHNIQUE.get(category or "", DEFAULT_TECHNIQUE),  # type: ignore[arg-type]
                              category)
                for (f, s, e), (verdict, category, _) in sorted(text.spans.items())
            ]
            local = text.local_id
            if local in used:  # one id reused for different texts: keep both, apart
                local = f"{local}@line{text.line}"
            used.add(local)
            if text.source:
                group = f"{self.name}:{text.source.lower()}"
            else:
                group = text_bucket(f"{self.name}:text", text.headline, text.body)
            labels: list[tuple[Task, int | None]] = [
                (task, text.labels[task][0]) for task in self.tasks if task in text.labels  # type: ignore[misc]
            ] or [("sensationalism", None)]
            for n, (task, label) in enumerate(labels):
                yield report.keep(key, text.line, Record(
                    id=f"{self.name}:{local}:{task}",
                    headline=text.headline,
                    body=text.body,
                    task=task,
                    label=label,
                    source=text.source or "unknown",
                    group=group,
                    corpus=self.name,
                    spans=list(spans) if n == 0 else [],
                    kind="article" if text.body.strip() else "headline",
                ))

    @staticmethod
    def _meta(texts: Any, stamps: list[datetime], versions: set[str],
              superseded: int) -> dict[str, Any]:
        """What the card says about this file (see ``own_data`` in the card)."""
        texts = list(texts)
        labels = {task: {"0": 0, "1": 0} for task in LABEL_FIELDS.values()}
        verdicts = {v: 0 for v in VERDICTS}
        for text in texts:
            for task, (label, _) in text.labels.items():
                labels[task][str(label)] += 1
            for verdict, _, _ in text.spans.values():
                verdicts[verdict] += 1
        return {
            "texts": len(texts),
            "labels": labels,
            "span_verdicts": verdicts,
            "superseded": superseded,
            "created_at": {
                "first": min(stamps).isoformat(timespec="seconds"),
                "last": max(stamps).isoformat(timespec="seconds"),
            } if stamps else None,
            "model_versions": sorted(versions),
        }
