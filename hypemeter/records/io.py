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
from hypemeter.records.results import Article, unencodable_at, unicode_problem

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


class UnsupportedLanguageRecord(BadRecord):
    """A record whose text is in a language the model does not read: not scored, reported
    and counted like any skipped record (its reason names the language)."""


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


def _text_field(name: str, value: Any, max_chars: int | None = None) -> str:
    """The text of field ``name`` ("" when missing or null); raises ValueError when bad."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"field {name!r} must be a string")
    if max_chars is not None and len(value) > max_chars:
        raise ValueError(f"field {name!r} has {len(value):,} characters; the limit is "
                         f"{max_chars:,} ({LIMIT_SETTING})")
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


def _article_from(fields: dict[str, Any], max_chars: int | None = None) -> Article | str:
    """Build an Article or return the reason it cannot be built (``max_chars`` caps the
    headline and the body, as the API's ``HYPEMETER_MAX_FIELD_CHARS`` does)."""
    try:
        headline = _text_field("headline", fields.get("headline"), max_chars)
        body = _text_field("body", fields.get("body"), max_chars)
        if not headline.strip() and not body.strip():
            return "fields 'headline' and 'body' are both empty or missing"
        return Article(headline=headline, body=body, id=_id_field(fields))
    except ValueError as exc:
        return str(exc)


def json_problem(exc: BaseException) -> str:
    """Why :func:`json.loads` failed, in words (for a JSON decoding exception it raised):
    a syntax error, nesting deeper than the interpreter's recursion limit, an integer longer
    than :func:`sys.get_int_max_str_digits` digits, or bytes that are not UTF-8. Shared by the
    file readers and usable by the API for request bodies."""
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} at column {exc.colno}"
    if isinstance(exc, RecursionError):
        return ("JSON nested too deeply (arrays or objects inside each other beyond about "
                f"{sys.getrecursionlimit():,} levels)")
    if isinstance(exc, UnicodeDecodeError):
        return f"not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at byte {exc.start + 1})"
    if isinstance(exc, ValueError) and "digits" in str(exc):  # int("9" * 5000)
        return ("JSON number too long (an integer of more than "
                f"{sys.get_int_max_str_digits():,} digits)")
    return f"unreadable JSON ({type(exc).__name__}: {exc})"


def parse_json(text: str) -> tuple[Any, str | None]:
    """``(value, None)``, or ``(None, why)`` when ``text`` is not JSON Python can read
    (see :func:`json_problem`)."""
    try:
        return json.loads(text), None
    except (RecursionError, ValueError) as exc:  # JSONDecodeError is a ValueError
        return None, json_problem(exc)


# How long a line may be, per character of the field limit: a field of N characters takes
# at most 12 N characters in JSON (an astral character written as two \uXXXX escapes) or
# 2 N in CSV (every quote doubled); two text fields, plus room for ids, labels and gold spans.
LINE_CHARS_PER_FIELD_CHAR = 24
LINE_SLACK_CHARS = 1_000_000
LIMIT_SETTING = "HYPEMETER_MAX_FIELD_CHARS"


def max_line_chars(max_field_chars: int | None) -> int | None:
    """The longest line that can hold a record within ``max_field_chars`` (None: no limit)."""
    if max_field_chars is None:
        return None
    return LINE_CHARS_PER_FIELD_CHAR * max_field_chars + LINE_SLACK_CHARS


@dataclass(frozen=True, slots=True)
class LongLine:
    """A line longer than the line limit: it was read in blocks and dropped, not kept."""

    chars: int
    limit: int

    def reason(self, max_field_chars: int | None) -> str:
        return (f"line of {self.chars:,} characters is longer than any record within the "
                f"field limit of {max_field_chars:,} characters ({LIMIT_SETTING}) can be; "
                "not read")


_DROP_BLOCK = 1 << 20


def bounded_lines(stream: Iterable[str], limit: int | None) -> Iterator[str | LongLine]:
    """The lines of ``stream``; a line longer than ``limit`` characters is read in 1 MiB
    blocks, dropped, and yielded as a :class:`LongLine`, so memory stays bounded however
    long a line is. Without a limit, or for a plain iterable of lines, the lines as they are.
    """
    readline = getattr(stream, "readline", None)
    if limit is None or readline is None:
        yield from stream
        return
    while line := readline(limit + 1):
        if len(line) <= limit or line.endswith(("\n", "\r")):
            yield line
            continue
        total = len(line)
        del line
        while block := readline(_DROP_BLOCK):
            total += len(block)
            if block.endswith(("\n", "\r")):
                break
        yield LongLine(total, limit)


def iter_jsonl(stream: Iterable[str], source: str, max_field_chars: int | None = None
               ) -> Iterator[InputRecord | BadRecord]:
    """Records from JSONL text; ``max_field_chars`` caps the headline and body (and bounds
    the line length, see :func:`bounded_lines`)."""
    lines = bounded_lines(stream, max_line_chars(max_field_chars))
    for lineno, line in enumerate(lines, start=1):
        if isinstance(line, LongLine):
            yield BadRecord(source, lineno, line.reason(max_field_chars))
            continue
        if not line.strip():
            continue
        problem = undecodable(line)
        if problem is not None:
            yield BadRecord(source, lineno, problem)
            continue
        obj, problem = parse_json(line)
        if problem is not None:
            yield BadRecord(source, lineno, problem)
            continue
        if not isinstance(obj, dict):
            yield BadRecord(source, lineno, "expected a JSON object")
            continue
        art = _article_from(obj, max_field_chars)
        if isinstance(art, str):
            yield BadRecord(source, lineno, art)
        else:
            yield InputRecord(source, lineno, art, obj)


class _Lines:
    """Numbered lines for a csv reader; the lines of a record that fails to parse can be put
    back, all but its first, so one stray quote costs one record and not the rest of the file."""

    def __init__(self, stream: Iterable[str | LongLine]) -> None:
        self._it = iter(stream)
        self._back: deque[tuple[int, str]] = deque()
        self._count = 0
        self.taken: list[tuple[int, str]] = []
        self.long: dict[int, LongLine] = {}  # lines dropped for their length (read as blank)

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._back:
            item = self._back.popleft()
        else:
            line = next(self._it)
            self._count += 1
            if isinstance(line, LongLine):
                self.long[self._count] = line
                line = "\n"
            item = (self._count, line)
        self.taken.append(item)
        return item[1]

    def first(self) -> int:
        """The line the record being read started on."""
        return self.taken[0][0] if self.taken else self._count + 1

    def long_taken(self) -> LongLine | None:
        """The first over-long line of the record just read, if any."""
        return next((self.long.pop(n) for n, _ in self.taken if n in self.long), None)

    def put_back_all_but_first(self) -> None:
        self._back.extendleft(reversed(self.taken[1:]))
        self.taken = []


def _csv_rows(stream: Iterable[str], source: str, max_field_chars: int | None = None
              ) -> Iterator[tuple[int, list[str]] | BadRecord]:
    """(first line, values) per non-blank CSV record, or a BadRecord for a malformed one."""
    lines = _Lines(bounded_lines(stream, max_line_chars(max_field_chars)))
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
        long = lines.long_taken()
        if long is not None:
            yield BadRecord(source, lines.first(), long.reason(max_field_chars))
        elif values:
            yield lines.first(), values


def _csv_record(header: list[str], lineno: int, values: list[str], source: str,
                max_field_chars: int | None = None) -> InputRecord | BadRecord:
    if len(values) != len(header):
        return BadRecord(source, lineno, f"{len(values)} fields, header has {len(header)}")
    row = dict(zip(header, values, strict=True))
    problem = next((p for v in values if (p := undecodable(v))), None)
    if problem is not None:
        return BadRecord(source, lineno, problem)
    art = _article_from(row, max_field_chars)
    if isinstance(art, str):
        return BadRecord(source, lineno, art)
    return InputRecord(source, lineno, art, row)


def iter_csv(stream: Iterable[str], source: str, max_field_chars: int | None = None
             ) -> Iterator[InputRecord | BadRecord]:
    rows = _csv_rows(stream, source, max_field_chars)
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
        yield _csv_record(header, item[0], item[1], source, max_field_chars)


def iter_records(
    stream: IO[str], source: str, fmt: str | None = None, max_field_chars: int | None = None
) -> Iterator[InputRecord | BadRecord]:
    """Yield records from a JSONL or CSV stream; ``fmt`` is detected when not given;
    ``max_field_chars`` caps the headline and body of each record."""
    if fmt is None:
        fmt = format_of(source)
    if fmt == "parquet":
        raise DataError(f"{source}: Parquet is not a text format (read it as a partition)")
    if fmt == "csv":
        yield from iter_csv(stream, source, max_field_chars)
    else:
        yield from iter_jsonl(stream, source, max_field_chars)


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
