"""Shared pieces of the corpus loaders: the load report, the loader protocol and small readers.

Every loader reads raw bytes through :func:`read_bytes` (which hashes them and registers the file
in the :class:`LoadReport`), turns malformed rows into :class:`LoadIssue` entries instead of
raising, and hands each kept record to :meth:`LoadReport.keep` so that counts per file and the
record's origin (file, line) are known to the dedupe step and to the checksum script.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from hypemeter.bundles.bundle import sha256_file
from hypemeter.records.io import parse_json
from hypemeter.records.results import Record

__all__ = [
    "CorpusLoader",
    "LoadIssue",
    "LoadReport",
    "Manifest",
    "decode_document",
    "has_bad_bytes",
    "iter_json_items",
    "iter_text_lines",
    "line_of_offset",
    "read_bytes",
    "sha256_bytes",
    "sha256_file",
]

# Characters produced by ``errors="surrogateescape"`` for bytes that are not valid UTF-8.
_BAD_BYTES = re.compile("[\udc80-\udcff]")


@dataclass
class LoadIssue:
    """One malformed row, missing file or dropped duplicate.

    ``file`` is relative to the data dir (``liar/train.tsv``; ``sample/sample.jsonl`` for the
    project's own sample corpus, relative to ``datasets/``); ``line`` is 1-based (for a JSON
    array: the line the item starts on, and ``reason`` names the item index); ``None`` when the
    issue concerns the whole file.
    ``reason`` starts with a short category followed by a colon, e.g. ``"bad json: ..."``.
    """

    corpus: str
    file: str
    line: int | None
    reason: str

    @property
    def category(self) -> str:
        return self.reason.split(":", 1)[0]

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"[{self.corpus}] {where}: {self.reason}"


@dataclass
class LoadReport:
    """What one corpus load read, kept and rejected.

    ``files`` maps a path relative to the data dir to ``{"sha256", "rows", "kept",
    "expected_sha256", "checksum_ok"}``; ``rows`` counts data rows read (lines, JSON items,
    articles), ``kept`` counts the records from them that survive loading and the dedupe step
    (a HYPO row or a sample line gives several records). A folder of
    many small files is one entry whose key ends in ``/`` and whose sha256 is a manifest hash
    (see :class:`Manifest`). ``expected`` holds the catalog checksums (filled in by the
    registry); ``origins`` maps record id -> (file, line) for issues raised after loading.
    """

    corpus: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    issues: list[LoadIssue] = field(default_factory=list)
    expected: dict[str, str] = field(default_factory=dict, repr=False)
    origins: dict[str, tuple[str, int | None]] = field(default_factory=dict, repr=False)
    records: int = 0  # records kept (after dedupe, once the registry has run it)
    meta: dict[str, Any] = field(default_factory=dict)  # what a loader adds for the card

    def count(self) -> int:
        """Number of issues."""
        return len(self.issues)

    def issue(self, file: str, line: int | None, reason: str) -> None:
        self.issues.append(LoadIssue(self.corpus, file, line, reason))

    def add_file(self, key: str, sha256: str, rows: int = 0) -> dict[str, Any]:
        expected = self.expected.get(key)
        entry: dict[str, Any] = {
            "sha256": sha256,
            "rows": rows,
            "kept": 0,
            "expected_sha256": expected,
            "checksum_ok": expected is not None and expected == sha256,
        }
        self.files[key] = entry
        return entry

    def row(self, key: str, n: int = 1) -> None:
        """Count ``n`` data rows read from ``key``."""
        if key in self.files:
            self.files[key]["rows"] += n

    def keep(self, key: str, line: int | None, record: Record) -> Record:
        """Count ``record`` as kept from ``key`` and remember where it came from."""
        if key in self.files:
            self.files[key]["kept"] += 1
        self.origins[record.id] = (key, line)
        self.records += 1
        return record

    def unkeep(self, record_id: str) -> None:
        """Undo :meth:`keep` for a record dropped later (by the dedupe step)."""
        key = self.origins.get(record_id, ("", None))[0]
        entry = self.files.get(key) or next(
            (f for k, f in self.files.items() if k.endswith("/") and key.startswith(k)), None
        )
        if entry is not None:
            entry["kept"] -= 1
        self.records -= 1

    def categories(self) -> Counter[str]:
        """Issue counts by category (the part of ``reason`` before the first colon)."""
        return Counter(i.category for i in self.issues)

    def summary(self) -> str:
        cats = ", ".join(f"{k} {v}" for k, v in sorted(self.categories().items()))
        return f"{self.corpus}: {self.records} records, {self.count()} issues" + (
            f" ({cats})" if cats else ""
        )


@runtime_checkable
class CorpusLoader(Protocol):
    """Reads one corpus folder (``root`` = ``data_dir / name``) into records."""

    name: str

    def load(self, root: Path, report: LoadReport) -> Iterator[Record]: ...


# --------------------------------------------------------------------------- hashing, reading


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path, key: str, report: LoadReport, register: bool = True) -> bytes | None:
    """Read ``path``; a missing or unreadable file becomes an issue and ``None``.

    With ``register`` the file gets its own entry (sha256) in ``report.files`` under ``key``.
    """
    if not path.is_file():
        report.issue(key, None, f"missing file: {path}")
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        report.issue(key, None, f"unreadable file: {exc}")
        return None
    if register:
        report.add_file(key, sha256_bytes(data))
    return data


class Manifest:
    """A single checksum for a folder of many small files.

    The manifest sha256 is ``sha256("".join(f"{rel}\\t{sha256(file)}\\n" for rel in sorted(rels)))``
    with ``rel`` the POSIX path relative to the manifest folder (``fake/biz01.fake.txt``), so it
    does not depend on where the data dir lives. ``rows`` of the entry = number of files.
    """

    def __init__(self, key: str) -> None:
        self.key = key if key.endswith("/") else key + "/"
        self.entries: dict[str, str] = {}

    def add(self, rel: str, data: bytes) -> None:
        self.entries[rel] = sha256_bytes(data)

    @staticmethod
    def digest(entries: dict[str, str]) -> str:
        text = "".join(f"{rel}\t{entries[rel]}\n" for rel in sorted(entries))
        return sha256_bytes(text.encode("utf-8"))

    def finish(self, report: LoadReport, kept: int) -> None:
        entry = report.add_file(self.key, self.digest(self.entries), rows=len(self.entries))
        entry["kept"] = kept


def iter_class_files(
    folder: Path,
    manifest: Manifest,
    classes: Sequence[tuple[str, int]],
    pattern: str,
    report: LoadReport,
) -> Iterator[tuple[Path, str, bytes, str, int]]:
    """Read ``folder/<class>/<pattern>`` files for each (class folder, label), adding each to
    ``manifest``; a missing class folder or unreadable file is an issue. Yields
    ``(path, key, data, class folder, label)``."""
    for sub, label in classes:
        directory = folder / sub
        if not directory.is_dir():
            report.issue(f"{manifest.key}{sub}/", None, f"missing folder: {directory}")
            continue
        for path in sorted(directory.glob(pattern)):
            rel = f"{sub}/{path.name}"
            key = manifest.key + rel
            data = read_bytes(path, key, report, register=False)
            if data is None:
                continue
            manifest.add(rel, data)
            yield path, key, data, sub, label


def line_of_offset(data: bytes | str, offset: int) -> int:
    """1-based line number of ``offset`` in ``data``."""
    nl = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(nl, 0, offset) + 1  # type: ignore[arg-type]


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def has_bad_bytes(text: str) -> bool:
    return _BAD_BYTES.search(text) is not None


def iter_text_lines(data: bytes, key: str, report: LoadReport) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text)`` for each line; lines that are not UTF-8 become issues.

    Splits on ``\\n`` only (so line numbers match ``wc -l``/editors), drops a trailing ``\\r``
    and a leading BOM. Blank lines are yielded too; the caller decides what they mean.
    """
    text = _strip_bom(data.decode("utf-8", errors="surrogateescape"))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, start=1):
        if line.endswith("\r"):
            line = line[:-1]
        if has_bad_bytes(line):
            report.issue(key, n, "encoding: line is not valid UTF-8")
            continue
        yield n, line


def decode_document(
    data: bytes, key: str, report: LoadReport, keep_bom: bool = False
) -> str | None:
    """Decode a whole file as UTF-8; on failure record an issue at the first bad line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.issue(
            key, line_of_offset(data, exc.start), f"encoding: not valid UTF-8 ({exc.reason})"
        )
        return None
    return text if keep_bom else _strip_bom(text)


_JSON = json.JSONDecoder()
_WS = re.compile(r"[ \t\r\n]*")


def iter_json_items(data: bytes, key: str, report: LoadReport) -> Iterator[tuple[int, str, Any]]:
    """Yield ``(line, label, item)`` from a JSON array file or a JSON-lines file.

    ``label`` is ``"line N"`` or ``"item N"`` (1-based) for use in issue reasons. A line that is
    not JSON (or not UTF-8) is an issue and skipped; in an array, a syntax error ends the array
    (the rest cannot be re-synchronised) and is one issue naming the line.
    """
    text = _strip_bom(data.decode("utf-8", errors="surrogateescape"))
    start = _WS.match(text).end()  # type: ignore[union-attr]
    if not text.startswith("[", start):
        for line_no, line in iter_text_lines(data, key, report):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                report.issue(key, line_no, f"bad json: {exc.msg} (column {exc.colno})")
                continue
            except (RecursionError, ValueError):  # too deep, or an integer too long
                report.issue(key, line_no, f"bad json: {parse_json(line)[1]}")
                continue
            yield line_no, f"line {line_no}", item
        return
    pos = start + 1
    line_no, counted = line_of_offset(text, start), start  # line of text[counted]
    index = 0
    while True:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if text.startswith("]", pos):
            break
        index += 1
        line_no += text.count("\n", counted, pos)
        counted = pos
        try:
            item, end = _JSON.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            report.issue(
                key, exc.lineno, f"bad json: item {index}: {exc.msg}; rest of array skipped"
            )
            return
        except (RecursionError, ValueError) as exc:  # too deep, or an integer too long
            why = "nested too deeply" if isinstance(exc, RecursionError) else \
                "a number too long to read"
            report.issue(key, line_no, f"bad json: item {index}: {why}; rest of array skipped")
            return
        if has_bad_bytes(text[pos:end]):
            report.issue(key, line_no, f"encoding: item {index} is not valid UTF-8")
        else:
            yield line_no, f"item {index}", item
        pos = _WS.match(text, end).end()  # type: ignore[union-attr]
        if text.startswith(",", pos):
            pos += 1
        elif not text.startswith("]", pos):
            where = line_no + text.count("\n", counted, pos)
            report.issue(key, where, f"bad json: expected ',' or ']' after item {index}")
            return
