"""``hypemeter datasets``: the state of each corpus in a data dir, and fetching corpora.

Each corpus of ``datasets/catalog.json`` may have a ``fetch`` entry::

    "fetch": {
      "sources": [
        {"url": "https://.../liar_dataset.zip", "format": "zip",
         "extract": {"train.tsv": "train.tsv", "some/folder/": "folder/"},
         "exclude": ["*/.DS_Store"]},
        {"url": "https://.../clickbait_data.gz", "format": "gzip", "to": "clickbait_data"},
        {"url": "https://.../LICENSE", "format": "file", "to": "LICENSE"}
      ],
      "manual": "what the user must do by hand (a licence form, an e-mail)",
      "manual_url": "https://... where to do it",
      "manual_files": ["files the user puts in <data dir>/<name>/ by hand"]
    }

``extract`` maps archive members to paths inside the corpus folder; a key ending in ``/``
maps a whole folder. ``format`` is ``zip``, ``tar`` (any compression), ``gzip`` (one
compressed file) or ``file``.

Fetching a corpus never leaves a half-written folder: downloads go to a cache folder (kept to
resume), the corpus is assembled in a staging folder inside the data dir, every file listed in
the catalog is checked against its sha256 by the corpus's own loader, and only then does the
staging folder replace ``<data dir>/<name>`` (one rename). On any failure the staging folder
is removed and the data dir is left as it was.
"""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import json
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from .download import FetchError, download
from .registry import CATALOG_PATH, LOADERS, SAMPLE_NAME, load_corpora

Log = Callable[[str], None]
MISSING_CATEGORIES = ("missing file", "missing folder", "unreadable file")


# --------------------------------------------------------------------------- the catalog


@dataclass
class CorpusEntry:
    """One corpus of the catalog, with what fetching it takes."""

    name: str
    tasks: list[str]
    licence: str
    files: dict[str, str | None]  # key (``liar/train.tsv``) -> expected sha256
    sources: list[dict[str, Any]] = field(default_factory=list)
    manual: str | None = None
    manual_url: str | None = None
    manual_files: list[str] = field(default_factory=list)
    source_url: str | None = None
    in_repository: bool = False

    @property
    def automatic(self) -> bool:
        return bool(self.sources) and not self.manual_files and self.manual is None

    def layout(self) -> list[str]:
        return sorted(self.files)


def read_catalog(path: Path = CATALOG_PATH) -> list[CorpusEntry]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FetchError(f"cannot read the corpus catalog {path}: {exc}") from None
    entries = []
    for corpus in data.get("corpora", []):
        fetch = corpus.get("fetch") or {}
        entries.append(CorpusEntry(
            name=corpus["name"],
            tasks=list(corpus.get("tasks", [])),
            licence=str(corpus.get("licence") or "unknown"),
            files={f["path"]: f.get("sha256") for f in corpus.get("files", []) if f.get("path")},
            sources=list(fetch.get("sources", [])),
            manual=fetch.get("manual"),
            manual_url=fetch.get("manual_url") or corpus.get("source_url"),
            manual_files=list(fetch.get("manual_files", [])),
            source_url=corpus.get("source_url"),
            in_repository=corpus.get("location") == "repository",
        ))
    return entries


# --------------------------------------------------------------------------- state


@dataclass
class CorpusState:
    """What a data dir holds of one corpus: ``ok``, ``missing``, ``incomplete`` or
    ``checksum mismatch`` (``in repository`` for the project's sample corpus)."""

    name: str
    state: str
    problems: list[str] = field(default_factory=list)


def check(data_dir: Path, entry: CorpusEntry) -> CorpusState:
    """Read ``data_dir/<name>`` with the corpus's loader and compare every catalog file."""
    if entry.in_repository or entry.name == SAMPLE_NAME:
        return CorpusState(entry.name, "in repository")
    if not (data_dir / entry.name).is_dir():
        return CorpusState(entry.name, "missing")
    if entry.name not in LOADERS:
        return CorpusState(entry.name, "no loader", [f"no loader named {entry.name!r}"])
    expected = {k: v for k, v in entry.files.items() if v}
    _records, reports = load_corpora(
        data_dir, [entry.name], include_sample=False, catalog=expected, deduplicate=False
    )
    files = reports[0].files
    missing, wrong = [], []
    for key in entry.layout():
        if key not in files:
            missing.append(f"missing: {key}")
        elif expected.get(key) and not files[key]["checksum_ok"]:
            wrong.append(f"sha256 differs: {key} ({files[key]['sha256']})")
    if wrong:
        return CorpusState(entry.name, "checksum mismatch", wrong + missing)
    if missing:
        return CorpusState(entry.name, "incomplete", missing)
    return CorpusState(entry.name, "ok")


# --------------------------------------------------------------------------- extraction


def _safe_join(root: Path, rel: str) -> Path:
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
        raise FetchError(f"unsafe path in the archive or catalog: {rel!r}")
    return root.joinpath(*parts)


def _targets(member: str, mapping: dict[str, str], exclude: Sequence[str]) -> str | None:
    """Where ``member`` goes inside the corpus folder, or ``None`` when it is not wanted."""
    if any(fnmatch.fnmatchcase(member, pattern) for pattern in exclude):
        return None
    if member in mapping:
        return mapping[member]
    for prefix, target in mapping.items():
        if prefix.endswith("/") and member.startswith(prefix) and member != prefix:
            return target + member[len(prefix):]
    return None


def _members(archive: Path, fmt: str) -> Iterator[tuple[str, Callable[[], Any]]]:
    """(name, opener) for each regular file of a zip or tar archive."""
    if fmt == "zip":
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    yield info.filename, lambda info=info: zf.open(info)
    else:
        with tarfile.open(archive) as tf:
            for info in tf:
                if info.isfile():
                    yield info.name, lambda info=info: tf.extractfile(info)


def extract(archive: Path, source: dict[str, Any], corpus_dir: Path) -> None:
    """Put what ``source`` asks for from ``archive`` into ``corpus_dir``."""
    fmt = source.get("format", "file")
    if fmt in ("file", "gzip"):
        target = _safe_join(corpus_dir, source["to"])
        target.parent.mkdir(parents=True, exist_ok=True)
        opener = gzip.open if fmt == "gzip" else open
        with opener(archive, "rb") as src, target.open("wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        return
    if fmt not in ("zip", "tar"):
        raise FetchError(f"unknown archive format {fmt!r} in the catalog")
    mapping: dict[str, str] = source.get("extract") or {}
    exclude: list[str] = source.get("exclude") or []
    found: set[str] = set()
    for name, opener in _members(archive, fmt):
        rel = _targets(name, mapping, exclude)
        if rel is None:
            continue
        found.update(k for k in mapping if k == name or (k.endswith("/") and name.startswith(k)))
        target = _safe_join(corpus_dir, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        with opener() as src, target.open("wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    absent = sorted(set(mapping) - found)
    if absent:
        raise FetchError(f"{source['url']}: the archive has no {', '.join(absent)}")


# --------------------------------------------------------------------------- fetching


def manual_message(entry: CorpusEntry, data_dir: Path) -> str:
    lines = [f"{entry.name}: needs a manual step: {entry.manual or 'download it by hand'}"]
    if entry.manual_url:
        lines.append(f"  where: {entry.manual_url}")
    lines.append(f"  expected layout, in {data_dir}:")
    lines += [f"    {key}" for key in entry.layout()]
    if entry.sources:
        lines.append("  then run `hypemeter datasets fetch` again for the rest")
    return "\n".join(lines)


def _download_name(url: str) -> str:
    """A cache file name unique to ``url`` that keeps the URL's own file name."""
    tail = PurePosixPath(urlsplit(url).path).name or "download"
    return f"{hashlib.sha256(url.encode('utf-8')).hexdigest()[:12]}-{tail}"


def fetch_corpus(
    entry: CorpusEntry,
    data_dir: Path,
    download_dir: Path,
    *,
    quiet: bool = False,
    log: Log = print,
) -> str:
    """Fetch one corpus into ``data_dir/<name>``; return its state afterwards.

    Raises :class:`FetchError` on any failure, leaving ``data_dir`` as it was.
    """
    current = check(data_dir, entry)
    if current.state in ("ok", "in repository"):
        return current.state
    have_manual = all((data_dir / entry.name / f).exists() for f in entry.manual_files)
    if not entry.sources or not have_manual:
        log(manual_message(entry, data_dir))
        return "manual"
    created = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{entry.name}.fetching-", dir=data_dir))
    try:
        corpus_dir = staging / entry.name
        corpus_dir.mkdir()
        for rel in entry.manual_files:  # the files the user put in place by hand
            src = data_dir / entry.name / rel
            copy = shutil.copytree if src.is_dir() else shutil.copy2
            _safe_join(corpus_dir, rel).parent.mkdir(parents=True, exist_ok=True)
            copy(src, _safe_join(corpus_dir, rel))
        for source in entry.sources:
            archive = download_dir / entry.name / _download_name(source["url"])
            log(f"{entry.name}: downloading {source['url']}")
            download(source["url"], archive, quiet=quiet)
            try:
                extract(archive, source, corpus_dir)
            except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError) as exc:
                archive.unlink(missing_ok=True)  # corrupt: download it again next time
                raise FetchError(f"{source['url']}: cannot unpack: {exc}") from None
        result = check(staging, entry)
        if result.state != "ok":
            for source in entry.sources:  # a bad download must not be reused
                (download_dir / entry.name / _download_name(source["url"])).unlink(
                    missing_ok=True
                )
            raise FetchError(
                f"{entry.name}: the downloaded files do not match the catalog "
                f"({'; '.join(result.problems)}); nothing was changed in {data_dir}"
            )
        _install(corpus_dir, data_dir / entry.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not any(data_dir.iterdir()):
            data_dir.rmdir()  # a failed first fetch leaves no empty data dir behind
    log(f"{entry.name}: ok, every file matches the catalog's sha256")
    return "fetched"


def _install(new: Path, target: Path) -> None:
    """Put ``new`` at ``target`` with renames only (the old folder goes once the new is in)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{new.parent.name}")
        target.rename(old)
    try:
        new.rename(target)
    except OSError:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def select(entries: Sequence[CorpusEntry], names: Sequence[str]) -> list[CorpusEntry]:
    """The entries named (all but the in-repository sample when ``names`` is empty)."""
    by_name = {e.name: e for e in entries}
    if not names:
        return [e for e in entries if not e.in_repository]
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise FetchError(
            f"unknown corpus {', '.join(unknown)}; the catalog has {', '.join(by_name)}"
        )
    return [by_name[n] for n in names]
