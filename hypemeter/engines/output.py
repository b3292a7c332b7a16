"""Writing scored results: stdout, one file, or a directory of part files.

An output spec is ``-`` (stdout, JSONL or CSV), a file (all partitions in input order) or a
directory (an existing one, or a path ending in ``/``): one ``part-NNNNN.<ext>`` per input
partition that yielded records. Output is whole or absent: every file is written under a
hidden temporary name beside its final one and renamed into place only when complete, so a
crash, a kill or a full disk never leaves a partial file that looks finished, and a failed
re-run leaves the earlier file as it was. A write error (a full disk) is a :class:`DataError`
naming the output; a reader that goes away (``BrokenPipeError``) is left to the caller.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from hypemeter.bundles.staging import pid_running
from hypemeter.engines.partitions import STDIN, Partition, _pyarrow
from hypemeter.errors import DataError
from hypemeter.records.io import format_of
from hypemeter.records.json_output import dumps, result_json
from hypemeter.records.results import ScoreResult

# --- writing ------------------------------------------------------------------------------

CSV_COLUMNS = ("id", "sensationalism", "misinformation_risk", "spans", "model_name",
               "model_version", "language", "language_asserted")
# With sentence scores (``--sentences``) one more column, last as in the JSON result:
# ``[{"field", "start", "end", "sensationalism"}, ...]``, JSON text in CSV like ``spans``.
SENTENCES_COLUMN = "sentences"


def columns(sentences: bool = False) -> tuple[str, ...]:
    """The CSV and Parquet columns, in order."""
    return (*CSV_COLUMNS, SENTENCES_COLUMN) if sentences else CSV_COLUMNS


def render_jsonl(results: Iterable[ScoreResult]) -> str:
    return "".join(result_json(r) + "\n" for r in results)


def flat_row(result: dict[str, Any], sentences: bool = False) -> dict[str, Any]:
    """The result contract flattened for CSV and Parquet (spans, and sentences when asked
    for, as JSON text in CSV)."""
    scores = result["scores"]
    model = result["model"]
    row = {
        "id": result["id"],
        "sensationalism": scores["sensationalism"],
        "misinformation_risk": scores["misinformation_risk"],
        "spans": result["spans"],
        "model_name": model["name"],
        "model_version": model["version"],
        "language": result.get("language", "und"),
        "language_asserted": bool(result.get("language_asserted", False)),
    }
    if sentences:
        row[SENTENCES_COLUMN] = result.get(SENTENCES_COLUMN) or []
    return row


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


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
    def __init__(self, fh: IO[str], owned: bool, sentences: bool = False) -> None:
        self.fh, self.owned = fh, owned
        self.sentences = sentences
        self.columns = columns(sentences)
        self.writer = csv.writer(fh, lineterminator="\n")
        self.writer.writerow(self.columns)

    def write(self, payload: str | list[dict[str, Any]]) -> None:
        rows = _as_dicts(payload)
        for r in rows:
            flat = flat_row(r, self.sentences)
            flat["spans"] = _json_text(flat["spans"])
            if self.sentences:
                flat[SENTENCES_COLUMN] = _json_text(flat[SENTENCES_COLUMN])
            self.writer.writerow([flat[c] for c in self.columns])

    def close(self) -> None:
        if self.owned:
            self.fh.close()
        else:
            self.fh.flush()


def parquet_schema(sentences: bool = False) -> Any:
    pa = _pyarrow()

    span = pa.struct([("field", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
                      ("text", pa.string()), ("category", pa.string()),
                      ("weight", pa.float64())])
    fields = [("id", pa.string()), ("sensationalism", pa.float64()),
              ("misinformation_risk", pa.float64()), ("spans", pa.list_(span)),
              ("model_name", pa.string()), ("model_version", pa.string()),
              ("language", pa.string()), ("language_asserted", pa.bool_())]
    if sentences:
        sentence = pa.struct([("field", pa.string()), ("start", pa.int64()),
                              ("end", pa.int64()), ("sensationalism", pa.float64())])
        fields.append((SENTENCES_COLUMN, pa.list_(sentence)))
    return pa.schema(fields)


class ParquetSink(Sink):
    """Buffers ``row_group`` rows per row group, so memory stays bounded."""

    def __init__(self, path: str, row_group: int = 4096, sentences: bool = False) -> None:
        pq = _pyarrow().parquet

        self.sentences = sentences
        self.schema = parquet_schema(sentences)
        self.writer = pq.ParquetWriter(path, self.schema)
        self.row_group = row_group
        self.buffer: list[dict[str, Any]] = []

    def write(self, payload: str | list[dict[str, Any]]) -> None:
        self.buffer.extend(flat_row(r, self.sentences) for r in _as_dicts(payload))
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


def open_sink(path: str, fmt: str, sentences: bool = False) -> Sink:
    """A sink writing ``fmt`` to ``path`` (``-``: stdout); raises OSError if it cannot.
    ``sentences`` adds the sentence scores' column to CSV and Parquet."""
    if fmt == "parquet":
        if path == STDIN:
            raise DataError("Parquet output needs a file or directory, not stdout")
        return ParquetSink(path, sentences=sentences)
    if path == STDIN:
        fh: IO[str] = sys.stdout
        owned = False
    else:
        fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        owned = True
    return CsvSink(fh, owned, sentences) if fmt == "csv" else JsonlSink(fh, owned)


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


def writes_in_place(path: str) -> bool:
    """Whether ``path`` is written directly rather than through a temporary file: stdout, and
    an existing file that is not a regular file (``/dev/null``, ``/dev/full``, a FIFO), which
    a rename could not replace."""
    if path == STDIN:
        return True
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def temp_beside(final: Path) -> Path:
    """The hidden temporary name ``final`` is written under (same folder, so the rename that
    publishes it is atomic); hidden files are never read as input."""
    return final.with_name(f".{final.name}.{os.getpid()}.tmp")


def remove_stale_temps(final: Path) -> list[Path]:
    """Remove the temporary files of earlier runs on ``final`` that were killed (their pid is
    no longer running on this host); returns what was removed."""
    removed: list[Path] = []
    prefix, suffix = f".{final.name}.", ".tmp"
    try:
        siblings = list(final.parent.iterdir())
    except OSError:
        return removed
    for path in siblings:
        pid = path.name[len(prefix):-len(suffix)]
        if not (path.name.startswith(prefix) and path.name.endswith(suffix) and pid.isdigit()):
            continue
        if int(pid) != os.getpid() and not pid_running(int(pid)) and path.is_file():
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


class Output:
    """One output file, or a directory of ``part-NNNNN.<ext>`` files (one per partition).

    Each file is written under a hidden temporary name beside it and renamed into place when
    complete (its partition for part files, the whole run for one file), so a file that
    exists is whole, and a run that fails leaves what was there before. Stdout and special
    files are written in place. Write errors become a :class:`DataError` naming the file.
    """

    def __init__(self, spec: str, fmt: str | None = None, *, sentences: bool = False) -> None:
        self.spec = spec
        self.fmt = output_format(spec, fmt)
        self.sentences = sentences
        self.directory = is_dir_spec(spec)
        self._sink: Sink | None = None
        self._part: int | None = None
        self._tmp: Path | None = None
        self._final: str = spec
        self.files: list[str] = []
        if self.directory:
            try:
                Path(spec).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DataError(f"cannot create output directory {spec}: {exc.strerror}") \
                    from exc
        else:
            self._open(spec)
            self.files.append(spec)

    def part_path(self, part: int) -> Path:
        return Path(self.spec) / f"part-{part:05d}.{self.fmt}"

    def _open(self, final: str) -> None:
        self._final = final
        self._tmp = None if writes_in_place(final) else temp_beside(Path(final))
        if self._tmp is not None:
            remove_stale_temps(Path(final))
        try:
            self._sink = open_sink(final if self._tmp is None else str(self._tmp), self.fmt,
                                   self.sentences)
        except OSError as exc:
            self._tmp = None
            raise DataError(f"cannot write {final}: {exc.strerror or exc}") from exc

    def _error(self, exc: OSError) -> DataError:
        where = "to stdout" if self._final == STDIN else self._final
        kept = "" if self._tmp is None else \
            f"; {self._final} was left as it was (no partial file)"
        return DataError(f"cannot write {where}: {exc.strerror or exc}{kept}")

    def _guarded(self, action: Callable[[], None]) -> None:
        """Run a write step; a write error (full disk, ...) aborts the output and becomes a
        clear :class:`DataError` (a closed pipe is left to the caller)."""
        try:
            action()
        except BrokenPipeError:
            raise
        except OSError as exc:
            err = self._error(exc)
            self.abort()
            raise err from exc

    def write(self, part: int, payload: str | list[dict[str, Any]]) -> None:
        def step() -> None:
            if self.directory and part != self._part:
                self._publish()
                self._open(str(self.part_path(part)))
                self._part = part
            assert self._sink is not None
            self._sink.write(payload)

        self._guarded(step)

    def _publish(self) -> None:
        """Close the current file and rename it into place."""
        sink, tmp = self._sink, self._tmp
        if sink is None:
            return
        sink.close()
        self._sink = None
        if tmp is not None:
            os.replace(tmp, self._final)
            self._tmp = None
        if self.directory:
            self.files.append(self._final)

    def close(self) -> None:
        self._guarded(self._publish)

    def abort(self) -> None:
        """Close without publishing: the file being written is removed, so a half-written
        file never appears under its final name (stdout is flushed as far as it goes)."""
        sink, tmp = self._sink, self._tmp
        self._sink = self._tmp = None
        try:
            if sink is not None:
                sink.close()
        except (OSError, ValueError):
            pass  # a full disk or a closed pipe: there is nothing more to save
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)


__all__ = [
    "CSV_COLUMNS",
    "SENTENCES_COLUMN",
    "Output",
    "check_output_is_not_input",
    "columns",
    "flat_row",
    "open_sink",
    "render_jsonl",
    "writes_in_place",
]
