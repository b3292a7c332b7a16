"""Reading article records (JSONL or CSV) with line numbers, and writing results.

Readers never raise on a bad record: they yield a :class:`BadRecord` naming the file and line,
and go on with the next one.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hypemeter.errors import DataError
from hypemeter.schema import Article, unencodable_at, unicode_problem

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One parsed input row: the article plus the raw fields (labels, gold spans...)."""

    source: str
    line: int
    article: Article
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BadRecord:
    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


def format_of(name: str) -> str:
    """``csv`` / ``parquet`` / ``jsonl`` from a file name (``.gz`` is looked through); JSONL
    for anything else and for stdin. The one format rule of inputs and outputs."""
    low = name.lower()
    if low.endswith(".gz"):
        low = low[:-3]
    if low.endswith(".csv"):
        return "csv"
    if low.endswith((".parquet", ".pq")):
        return "parquet"
    return "jsonl"


def _text_field(name: str, value: Any) -> str:
    """The text of field ``name`` ("" when missing or null); raises ValueError when bad."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"field {name!r} must be a string")
    problem = unicode_problem(value)
    if problem is not None:
        raise ValueError(f"field {name!r} is {problem}")
    return value


def _id_field(fields: dict[str, Any]) -> str | None:
    """The record id as text; raises ValueError unless it is a string or an integer."""
    raw_id = fields.get("id")
    if raw_id is None:
        return None
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise ValueError(f"field 'id' must be a string or an integer, not {raw_id!r}")
    return _text_field("id", raw_id) if isinstance(raw_id, str) else str(raw_id)


def _article_from(fields: dict[str, Any]) -> Article | str:
    """Build an Article or return the reason it cannot be built."""
    try:
        headline = _text_field("headline", fields.get("headline"))
        body = _text_field("body", fields.get("body"))
        if not headline.strip() and not body.strip():
            return "fields 'headline' and 'body' are both empty or missing"
        return Article(headline=headline, body=body, id=_id_field(fields))
    except ValueError as exc:
        return str(exc)


def iter_jsonl(stream: IO[str], source: str) -> Iterator[InputRecord | BadRecord]:
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        problem = undecodable(line)
        if problem is not None:
            yield BadRecord(source, lineno, problem)
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadRecord(source, lineno, f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(obj, dict):
            yield BadRecord(source, lineno, "expected a JSON object")
            continue
        art = _article_from(obj)
        if isinstance(art, str):
            yield BadRecord(source, lineno, art)
        else:
            yield InputRecord(source, lineno, art, obj)


class _Lines:
    """Numbered lines for a csv reader; the lines of a record that fails to parse can be put
    back, all but its first, so one stray quote costs one record and not the rest of the file."""

    def __init__(self, stream: Iterable[str]) -> None:
        self._it = iter(stream)
        self._back: deque[tuple[int, str]] = deque()
        self._count = 0
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._back:
            item = self._back.popleft()
        else:
            line = next(self._it)
            self._count += 1
            item = (self._count, line)
        self.taken.append(item)
        return item[1]

    def first(self) -> int:
        """The line the record being read started on."""
        return self.taken[0][0] if self.taken else self._count + 1

    def put_back_all_but_first(self) -> None:
        self._back.extendleft(reversed(self.taken[1:]))
        self.taken = []


def _csv_rows(stream: Iterable[str], source: str) -> Iterator[tuple[int, list[str]] | BadRecord]:
    """(first line, values) per non-blank CSV record, or a BadRecord for a malformed one."""
    lines = _Lines(stream)
    reader = csv.reader(lines, strict=True)
    while True:
        lines.taken = []
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            hint = " (a quoted field is never closed)" if "end of data" in str(exc) else ""
            yield BadRecord(source, lines.first(), f"malformed CSV: {exc}{hint}")
            lines.put_back_all_but_first()
            continue
        if values:
            yield lines.first(), values


def _csv_record(header: list[str], lineno: int, values: list[str], source: str
                ) -> InputRecord | BadRecord:
    if len(values) != len(header):
        return BadRecord(source, lineno, f"{len(values)} fields, header has {len(header)}")
    row = dict(zip(header, values, strict=True))
    problem = next((p for v in values if (p := undecodable(v))), None)
    if problem is not None:
        return BadRecord(source, lineno, problem)
    art = _article_from(row)
    if isinstance(art, str):
        return BadRecord(source, lineno, art)
    return InputRecord(source, lineno, art, row)


def iter_csv(stream: Iterable[str], source: str) -> Iterator[InputRecord | BadRecord]:
    rows = _csv_rows(stream, source)
    header: list[str] | None = None
    for item in rows:
        if isinstance(item, BadRecord):
            yield item
            if header is None:
                return  # no header, nothing in the file can be read
            continue
        if header is None:
            header = item[1]
            if not {"headline", "body"} & set(header):
                yield BadRecord(source, item[0],
                                "CSV header needs a 'headline' and/or 'body' column")
                return
            continue
        yield _csv_record(header, item[0], item[1], source)


def iter_records(
    stream: IO[str], source: str, fmt: str | None = None
) -> Iterator[InputRecord | BadRecord]:
    """Yield records from a JSONL or CSV stream; ``fmt`` is detected when not given."""
    if fmt is None:
        fmt = format_of(source)
    if fmt == "parquet":
        raise DataError(f"{source}: Parquet is not a text format (read it as a partition)")
    if fmt == "csv":
        yield from iter_csv(stream, source)
    else:
        yield from iter_jsonl(stream, source)


# A BOM at the start of a file or stdin is dropped; bytes that are not UTF-8 are kept as
# U+DC80..U+DCFF (which strict UTF-8 decoding never yields) and reported per line.
INPUT_ENCODING = "utf-8-sig"
INPUT_ERRORS = "surrogateescape"


def undecodable(text: str) -> str | None:
    """Why ``text`` (decoded with :data:`INPUT_ERRORS`) is not valid UTF-8, or None."""
    at = unencodable_at(text)
    if at is None:
        return None
    code = ord(text[at])
    byte = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "a surrogate"
    return f"not valid UTF-8 ({byte} at character {at + 1})"


def open_text(path: str | Path) -> IO[str]:
    """Open a file, a ``.gz`` file or ``-`` (stdin) for reading records (see INPUT_ENCODING)."""
    name = str(path)
    if name == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None:  # a text stream with no bytes under it (embedding, tests)
            return sys.stdin
        return io.TextIOWrapper(buffer, encoding=INPUT_ENCODING, errors=INPUT_ERRORS,
                                newline="")
    if name.lower().endswith(".gz"):
        return gzip.open(name, "rt", encoding=INPUT_ENCODING, errors=INPUT_ERRORS, newline="")
    return Path(name).open(encoding=INPUT_ENCODING, errors=INPUT_ERRORS, newline="")


def close_text(fh: IO[str]) -> None:
    """Close what :func:`open_text` opened, leaving stdin itself open."""
    if fh is sys.stdin:
        return
    if isinstance(fh, io.TextIOWrapper) and fh.buffer is getattr(sys.stdin, "buffer", None):
        fh.detach()
        return
    fh.close()
