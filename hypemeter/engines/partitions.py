"""Partitioned input and output: JSONL, CSV and Parquet files, directories and globs of them.

An input spec is ``-`` (stdin, JSONL unless told), a file, a directory (every data file in it,
sorted by name) or a glob pattern (sorted). Each file is one *partition*. Readers never raise on
bad data: a bad row becomes a :class:`~hypemeter.records.io.BadRecord` naming the file and line
(the row
number for Parquet), and a partition that cannot be read at all, or breaks off half way (a
truncated gzip, a corrupt Parquet footer), becomes one ``BadRecord`` with line 0 after the rows
already read, so the other partitions' results are never lost.

An output spec is ``-`` (stdout, JSONL or CSV), a file (all partitions in input order) or a
directory (an existing one, or a path ending in ``/``): one ``part-NNNNN.<ext>`` per input
partition that yielded records.
"""

from __future__ import annotations

import glob
import gzip
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypemeter.errors import DataError, describe
from hypemeter.records.io import (
    BadRecord,
    InputRecord,
    LongLine,
    _article_from,
    _csv_rows,
    bounded_lines,
    close_text,
    format_of,
    iter_records,
    max_line_chars,
    open_text,
)
from hypemeter.records.results import Article

FORMATS = ("jsonl", "csv", "parquet")
DATA_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".parquet", ".pq",
                 ".jsonl.gz", ".ndjson.gz", ".json.gz", ".csv.gz")
STDIN = "-"


@dataclass(frozen=True, slots=True)
class Partition:
    index: int
    path: str  # "-" for stdin
    fmt: str

    @property
    def source(self) -> str:
        return "<stdin>" if self.path == STDIN else self.path


def _is_data_file(path: Path) -> bool:
    name = path.name.lower()
    return path.is_file() and not name.startswith((".", "_")) and name.endswith(DATA_SUFFIXES)


def resolve_inputs(spec: str, fmt: str | None = None) -> list[Partition]:
    """The partitions an input spec names, in a stable (sorted) order."""
    if spec == STDIN:
        return [Partition(0, STDIN, fmt or "jsonl")]
    path = Path(spec)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if _is_data_file(p))
        if not files:
            raise DataError(f"no JSONL/CSV/Parquet files in directory {spec}")
        paths = [str(p) for p in files]
    elif path.exists():
        paths = [spec]
    elif glob.has_magic(spec):
        paths = sorted(p for p in glob.glob(spec, recursive=True) if Path(p).is_file())
        if not paths:
            raise DataError(f"no files match {spec}")
    else:
        raise DataError(f"cannot read {spec}: no such file or directory")
    return [Partition(i, p, fmt or format_of(p)) for i, p in enumerate(paths)]


def _read_error(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return describe(exc)


@dataclass(frozen=True, slots=True)
class PartitionError(BadRecord):
    """A partition that cannot be read (line 0) or breaks off at ``line``."""

    def __str__(self) -> str:
        where = self.source if self.line == 0 else f"{self.source}:{self.line}"
        return f"{where}: {self.reason}"


def partition_error(part: Partition, line: int, exc: BaseException) -> PartitionError:
    where = "cannot read partition" if line == 0 else "partition breaks off here"
    return PartitionError(part.source, line, f"{where}: {_read_error(exc)}")


# --- reading ------------------------------------------------------------------------------


def iter_raw_lines(part: Partition, size: int, max_field_chars: int | None = None
                   ) -> Iterator[tuple[int, list[str], list[BadRecord]] | BadRecord]:
    """JSONL partition as (first line number, up to ``size`` raw lines, bad lines) blocks.

    The lines are parsed where they are scored (a worker), which keeps the reading process
    cheap. A line too long to hold a record within ``max_field_chars`` is never held in
    memory: it is reported in the block's bad lines and left blank. A read error ends the
    partition with a ``BadRecord``.
    """
    try:
        fh = open_text(part.path)
    except OSError as exc:
        yield partition_error(part, 0, exc)
        return
    lineno = 0
    block: list[str] = []
    bad: list[BadRecord] = []
    first = 1
    error: PartitionError | None = None
    try:
        for line in bounded_lines(fh, max_line_chars(max_field_chars)):
            lineno += 1
            if isinstance(line, LongLine):
                bad.append(BadRecord(part.source, lineno, line.reason(max_field_chars)))
                line = "\n"
            block.append(line)
            if len(block) >= size:
                yield first, block, bad
                block, bad = [], []
                first = lineno + 1
    except (OSError, EOFError, ValueError) as exc:  # truncated gzip, I/O error...
        error = partition_error(part, lineno + 1, exc)
    finally:
        close_text(fh)
    if block:  # the lines read before a break are kept
        yield first, block, bad
    if error is not None:
        yield error


def iter_partition(part: Partition, columns: Sequence[str] | None = None,
                   max_field_chars: int | None = None) -> Iterator[InputRecord | BadRecord]:
    """Parse one partition into records (all fields kept, for evaluation); ``max_field_chars``
    caps the headline and the body."""
    if part.fmt == "parquet":
        yield from _iter_parquet(part, columns, max_field_chars)
        return
    try:
        fh = open_text(part.path)
    except OSError as exc:
        yield partition_error(part, 0, exc)
        return
    last = 0
    try:
        for rec in iter_records(fh, part.source, part.fmt, max_field_chars):
            last = rec.line
            yield rec
    except (OSError, EOFError, ValueError) as exc:
        yield partition_error(part, last + 1, exc)
    finally:
        close_text(fh)


def _pyarrow() -> Any:
    """pyarrow, or an error naming the extra that installs it (the image leaves it out)."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        from hypemeter.errors import DataError

        raise DataError("Parquet input and output need the parquet extra: "
                        "pip install 'hypemeter[parquet]'") from exc
    return pyarrow


def _iter_parquet(part: Partition, columns: Sequence[str] | None,
                  max_field_chars: int | None = None) -> Iterator[InputRecord | BadRecord]:
    pq = _pyarrow().parquet

    try:
        pf = pq.ParquetFile(part.path)
        names = set(pf.schema_arrow.names)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for corrupt files
        yield partition_error(part, 0, exc)
        return
    if not {"headline", "body"} & names:
        yield PartitionError(part.source, 0,
                             "Parquet schema needs a 'headline' and/or 'body' column")
        return
    cols = None if columns is None else [c for c in columns if c in names]
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=1024, columns=cols):
            for obj in batch.to_pylist():
                row += 1
                art = _article_from(obj, max_field_chars)
                if isinstance(art, str):
                    yield BadRecord(part.source, row, art)
                else:
                    yield InputRecord(part.source, row, art, obj)
    except Exception as exc:
        yield partition_error(part, row + 1, exc)


def iter_inputs(parts: Iterable[Partition], columns: Sequence[str] | None = None,
                max_field_chars: int | None = None) -> Iterator[InputRecord | BadRecord]:
    for part in parts:
        yield from iter_partition(part, columns, max_field_chars)


def count_records(parts: Sequence[Partition]) -> int | None:
    """How many records the partitions hold, in the unit progress is counted in (JSONL: lines;
    CSV: records after the header; Parquet: rows), for a progress bar's total; None when that
    is not known in advance (stdin) or a partition cannot be counted (it is reported when
    read). JSONL lines are counted in binary blocks, far faster than they are scored."""
    total = 0
    for part in parts:
        if part.path == STDIN:
            return None
        try:
            total += _count_partition(part)
        except Exception:  # unreadable or corrupt: the reader reports it; no total then
            return None
    return total


def _count_partition(part: Partition) -> int:
    if part.fmt == "parquet":
        return int(_pyarrow().parquet.ParquetFile(part.path).metadata.num_rows)
    if part.fmt == "csv":
        fh = open_text(part.path)
        try:
            return max(0, sum(1 for _ in _csv_rows(fh, part.source)) - 1)  # less the header
        finally:
            close_text(fh)
    opener = gzip.open if part.path.lower().endswith(".gz") else open
    lines, last = 0, b"\n"
    with opener(part.path, "rb") as fh:
        while block := fh.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


# --- the unit of work ---------------------------------------------------------------------


@dataclass(slots=True)
class Chunk:
    """Work for one scoring call: raw JSONL lines, or parsed (line, article) items.

    ``bad`` holds records already known to be bad (reported in order with the chunk's own).
    """

    part: int
    seq: int
    source: str
    first_line: int = 1
    lines: list[str] | None = None
    items: list[tuple[int, Article]] | None = None
    bad: list[BadRecord] = field(default_factory=list)

    @property
    def size(self) -> int:
        n = len(self.lines) if self.lines is not None else len(self.items or [])
        return n + len(self.bad)


SCORE_COLUMNS = ("id", "headline", "body")


def iter_chunks(parts: Iterable[Partition], size: int, max_field_chars: int | None = None
                ) -> Iterator[Chunk]:
    """Cut partitions into chunks of about ``size`` records, in input order.

    A partition always ends its last chunk, so a chunk never mixes partitions.
    ``max_field_chars`` caps each record's headline and body (see :mod:`hypemeter.records.io`).
    """
    seq = 0
    for part in parts:
        if part.fmt == "jsonl":
            for block in iter_raw_lines(part, size, max_field_chars):
                if isinstance(block, BadRecord):
                    yield Chunk(part.index, seq, part.source, items=[], bad=[block])
                else:
                    yield Chunk(part.index, seq, part.source, first_line=block[0],
                                lines=block[1], bad=block[2])
                seq += 1
            continue
        items: list[tuple[int, Article]] = []
        bad: list[BadRecord] = []
        for rec in iter_partition(part, SCORE_COLUMNS, max_field_chars):
            if isinstance(rec, BadRecord):
                bad.append(rec)
            else:
                items.append((rec.line, rec.article))
            if len(items) + len(bad) >= size:
                yield Chunk(part.index, seq, part.source, items=items, bad=bad)
                seq += 1
                items, bad = [], []
        if items or bad:
            yield Chunk(part.index, seq, part.source, items=items, bad=bad)
            seq += 1


__all__ = [
    "FORMATS",
    "Chunk",
    "Partition",
    "PartitionError",
    "count_records",
    "format_of",
    "iter_chunks",
    "iter_inputs",
    "iter_partition",
    "resolve_inputs",
]
