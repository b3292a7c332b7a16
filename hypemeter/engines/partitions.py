"""Partitioned input and output: JSONL, CSV and Parquet files, directories and globs of them.

An input spec is ``-`` (stdin, JSONL unless told), a file, a directory (every data file in it,
sorted by name) or a glob pattern (sorted). Each file is one *partition*. Readers never raise on
bad data: a bad row becomes a :class:`~hypemeter.io.BadRecord` naming the file and line (the row
number for Parquet), and a partition that cannot be read at all, or breaks off half way (a
truncated gzip, a corrupt Parquet footer), becomes one ``BadRecord`` with line 0 after the rows
already read, so the other partitions' results are never lost.

An output spec is ``-`` (stdout, JSONL or CSV), a file (all partitions in input order) or a
directory (an existing one, or a path ending in ``/``): one ``part-NNNNN.<ext>`` per input
partition that yielded records.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from hypemeter.encoding import dumps, result_json
from hypemeter.errors import DataError
from hypemeter.io import (
    BadRecord,
    InputRecord,
    _article_from,
    close_text,
    format_of,
    iter_records,
    open_text,
)
from hypemeter.schema import Article, ScoreResult

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
    return f"{type(exc).__name__}: {exc}"


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


def iter_raw_lines(part: Partition, size: int) -> Iterator[tuple[int, list[str]] | BadRecord]:
    """JSONL partition as (first line number, up to ``size`` raw lines) blocks.

    The lines are parsed where they are scored (a worker), which keeps the reading process
    cheap. A read error ends the partition with a ``BadRecord``.
    """
    try:
        fh = open_text(part.path)
    except OSError as exc:
        yield partition_error(part, 0, exc)
        return
    lineno = 0
    block: list[str] = []
    first = 1
    error: PartitionError | None = None
    try:
        for line in fh:
            lineno += 1
            block.append(line)
            if len(block) >= size:
                yield first, block
                block = []
                first = lineno + 1
    except (OSError, EOFError, ValueError) as exc:  # truncated gzip, I/O error...
        error = partition_error(part, lineno + 1, exc)
    finally:
        close_text(fh)
    if block:  # the lines read before a break are kept
        yield first, block
    if error is not None:
        yield error


def iter_partition(part: Partition, columns: Sequence[str] | None = None
                   ) -> Iterator[InputRecord | BadRecord]:
    """Parse one partition into records (all fields kept, for evaluation)."""
    if part.fmt == "parquet":
        yield from _iter_parquet(part, columns)
        return
    try:
        fh = open_text(part.path)
    except OSError as exc:
        yield partition_error(part, 0, exc)
        return
    last = 0
    try:
        for rec in iter_records(fh, part.source, part.fmt):
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


def _iter_parquet(part: Partition, columns: Sequence[str] | None
                  ) -> Iterator[InputRecord | BadRecord]:
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
                art = _article_from(obj)
                if isinstance(art, str):
                    yield BadRecord(part.source, row, art)
                else:
                    yield InputRecord(part.source, row, art, obj)
    except Exception as exc:
        yield partition_error(part, row + 1, exc)


def iter_inputs(parts: Iterable[Partition], columns: Sequence[str] | None = None
                ) -> Iterator[InputRecord | BadRecord]:
    for part in parts:
        yield from iter_partition(part, columns)


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


def iter_chunks(parts: Iterable[Partition], size: int) -> Iterator[Chunk]:
    """Cut partitions into chunks of about ``size`` records, in input order.

    A partition always ends its last chunk, so a chunk never mixes partitions.
    """
    seq = 0
    for part in parts:
        if part.fmt == "jsonl":
            for block in iter_raw_lines(part, size):
                if isinstance(block, BadRecord):
                    yield Chunk(part.index, seq, part.source, items=[], bad=[block])
                else:
                    yield Chunk(part.index, seq, part.source, first_line=block[0],
                                lines=block[1])
                seq += 1
            continue
        items: list[tuple[int, Article]] = []
        bad: list[BadRecord] = []
        for rec in iter_partition(part, SCORE_COLUMNS):
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


# --- writing ------------------------------------------------------------------------------

CSV_COLUMNS = ("id", "sensationalism", "misinformation_risk", "spans", "model_name",
               "model_version")


def render_jsonl(results: Iterable[ScoreResult]) -> str:
    return "".join(result_json(r) + "\n" for r in results)


def flat_row(result: dict[str, Any]) -> dict[str, Any]:
    """The result contract flattened for CSV and Parquet (spans as JSON text in CSV)."""
    scores = result["scores"]
    model = result["model"]
    return {
        "id": result["id"],
        "sensationalism": scores["sensationalism"],
        "misinformation_risk": scores["misinformation_risk"],
        "spans": result["spans"],
        "model_name": model["name"],
        "model_version": model["version"],
    }


class Sink:
    """Writes result payloads (JSONL text or result dicts) to one output."""

    def write(self, payload: str | list[dict[str, Any]]) -> None:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover
        raise NotImplementedError


class JsonlSink(Sink):
    def __init__(self, fh: IO[str], owned: bool) -> None:
        self.fh, self.owned = fh, owned

    def write(self, payload: str | list[dict[str, Any]]) -> None:
        if isinstance(payload, str):
            self.fh.write(payload)
        else:
            self.fh.write("".join(dumps(r) + "\n" for r in payload))

    def close(self) -> None:
        if self.owned:
            self.fh.close()
        else:
            self.fh.flush()


class CsvSink(Sink):
    def __init__(self, fh: IO[str], owned: bool) -> None:
        self.fh, self.owned = fh, owned
        self.writer = csv.writer(fh, lineterminator="\n")
        self.writer.writerow(CSV_COLUMNS)

    def write(self, payload: str | list[dict[str, Any]]) -> None:
        rows = _as_dicts(payload)
        for r in rows:
            flat = flat_row(r)
            flat["spans"] = json.dumps(flat["spans"], ensure_ascii=False, separators=(",", ":"))
            self.writer.writerow([flat[c] for c in CSV_COLUMNS])

    def close(self) -> None:
        if self.owned:
            self.fh.close()
        else:
            self.fh.flush()


def parquet_schema() -> Any:
    pa = _pyarrow()

    span = pa.struct([("field", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
                      ("text", pa.string()), ("category", pa.string()),
                      ("weight", pa.float64())])
    return pa.schema([("id", pa.string()), ("sensationalism", pa.float64()),
                      ("misinformation_risk", pa.float64()), ("spans", pa.list_(span)),
                      ("model_name", pa.string()), ("model_version", pa.string())])


class ParquetSink(Sink):
    """Buffers ``row_group`` rows per row group, so memory stays bounded."""

    def __init__(self, path: str, row_group: int = 4096) -> None:
        pq = _pyarrow().parquet

        self.schema = parquet_schema()
        self.writer = pq.ParquetWriter(path, self.schema)
        self.row_group = row_group
        self.buffer: list[dict[str, Any]] = []

    def write(self, payload: str | list[dict[str, Any]]) -> None:
        self.buffer.extend(flat_row(r) for r in _as_dicts(payload))
        if len(self.buffer) >= self.row_group:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self.buffer:
            self.writer.write_table(pa.Table.from_pylist(self.buffer, schema=self.schema))
            self.buffer = []

    def close(self) -> None:
        self._flush()
        self.writer.close()


def _as_dicts(payload: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(payload, str):
        return [json.loads(line) for line in payload.splitlines() if line]
    return payload


def open_sink(path: str, fmt: str) -> Sink:
    if fmt == "parquet":
        if path == STDIN:
            raise DataError("Parquet output needs a file or directory, not stdout")
        return ParquetSink(path)
    if path == STDIN:
        fh: IO[str] = sys.stdout
        owned = False
    else:
        try:
            fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise DataError(f"cannot write {path}: {exc.strerror}") from exc
        owned = True
    return CsvSink(fh, owned) if fmt == "csv" else JsonlSink(fh, owned)


def is_dir_spec(spec: str) -> bool:
    return spec != STDIN and (spec.endswith(("/", os.sep)) or Path(spec).is_dir())


def output_format(spec: str, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    if spec == STDIN or is_dir_spec(spec):
        return "jsonl"
    return format_of(spec)


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)  # hard links too
    except OSError:
        return False


def check_output_is_not_input(parts: Sequence[Partition], spec: str) -> None:
    """Refuse an output file that is one of the inputs (it would be emptied before it is
    read), and an output directory that holds inputs (its part files would be read back as
    input by the next run over that directory)."""
    if spec == STDIN:
        return
    inputs = [Path(p.path) for p in parts if p.path != STDIN]
    if is_dir_spec(spec):
        out_dir = Path(spec).resolve()
        clash = next((f for f in inputs if f.resolve().parent == out_dir), None)
        if clash is not None:
            raise DataError(f"output directory {spec} holds input {clash}; choose another "
                            "directory (its part files would be read back as input)")
        return
    clash = next((f for f in inputs if _same_file(f, Path(spec))), None)
    if clash is not None:
        raise DataError(f"output {spec} is the input {clash}; choose another output "
                        "(writing it would destroy the input)")


class Output:
    """One output file, or a directory of ``part-NNNNN.<ext>`` files (one per partition).

    Part files are written under a hidden temporary name and renamed when their partition
    is complete, so a part file that exists is whole.
    """

    def __init__(self, spec: str, fmt: str | None = None) -> None:
        self.spec = spec
        self.fmt = output_format(spec, fmt)
        self.directory = is_dir_spec(spec)
        self._sink: Sink | None = None
        self._part: int | None = None
        self._tmp: Path | None = None
        self.files: list[str] = []
        if self.directory:
            try:
                Path(spec).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DataError(f"cannot create output directory {spec}: {exc.strerror}") \
                    from exc
        else:
            self._sink = open_sink(spec, self.fmt)
            self.files.append(spec)

    def part_path(self, part: int) -> Path:
        return Path(self.spec) / f"part-{part:05d}.{self.fmt}"

    def write(self, part: int, payload: str | list[dict[str, Any]]) -> None:
        if self.directory and part != self._part:
            self._finish_part()
            final = self.part_path(part)
            self._tmp = final.with_name(f".{final.name}.tmp")
            self._sink = open_sink(str(self._tmp), self.fmt)
            self._part = part
        assert self._sink is not None
        self._sink.write(payload)

    def _finish_part(self) -> None:
        if self._sink is not None and self._tmp is not None and self._part is not None:
            self._sink.close()
            final = self.part_path(self._part)
            os.replace(self._tmp, final)
            self.files.append(str(final))
            self._sink = None
            self._tmp = None

    def close(self) -> None:
        if self.directory:
            self._finish_part()
        elif self._sink is not None:
            self._sink.close()
            self._sink = None

    def abort(self) -> None:
        """Close without publishing a half-written part file."""
        if self.directory and self._sink is not None and self._tmp is not None:
            try:
                self._sink.close()
            finally:
                self._tmp.unlink(missing_ok=True)
                self._sink = None
        else:
            self.close()


__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "Chunk",
    "Output",
    "Partition",
    "PartitionError",
    "check_output_is_not_input",
    "flat_row",
    "format_of",
    "iter_chunks",
    "iter_inputs",
    "iter_partition",
    "render_jsonl",
    "resolve_inputs",
]
