"""All corpus loaders, and :func:`load_corpora` which runs them, checks and dedupes.

Typical use::

    from hypemeter.training.corpora import default_data_dir, load_corpora
    records, reports = load_corpora(default_data_dir())
    for report in reports:
        print(report.summary())
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from pathlib import Path

from hypemeter.errors import DataError, describe
from hypemeter.paths import DATA_DIR_ENV, datasets_dir, default_data_dir  # noqa: F401
from hypemeter.records.results import Record

from .base import CorpusLoader, LoadReport
from .dedupe import dedupe
from .fakenewsnet import FakeNewsNetLoader
from .hyperpartisan import HyperpartisanLoader
from .hypo import HypoLoader
from .liar import LiarLoader
from .own import OwnDataLoader
from .perez_rosas import PerezRosasLoader
from .ptc import PtcLoader
from .sample import SampleLoader
from .stop_clickbait import StopClickbaitLoader
from .webis17 import Webis17Loader

REPO_ROOT = Path(__file__).resolve().parents[2]
# The catalog and the sample corpus: datasets/ in a checkout; HYPEMETER_DATASETS_DIR where the
# package is installed elsewhere (the Docker image sets it to /app/datasets).
DATASETS_DIR = datasets_dir()
CATALOG_PATH = DATASETS_DIR / "catalog.json"
SAMPLE_PATH = DATASETS_DIR / "sample" / "sample.jsonl"

LOADERS: dict[str, CorpusLoader] = {
    loader.name: loader
    for loader in (
        StopClickbaitLoader(),
        Webis17Loader(),
        LiarLoader(),
        FakeNewsNetLoader(),
        PerezRosasLoader(),
        HyperpartisanLoader(),
        HypoLoader(),
        PtcLoader(),
    )
}
SAMPLE_NAME = SampleLoader.name
IDENTITY_REPORTS = "identity_reports.jsonl"
OWN_PREFIX = "own:"


def corpus_names() -> list[str]:
    """Every name ``--corpora`` accepts: the public corpora, then the sample corpus."""
    return [*LOADERS, SAMPLE_NAME]


def check_corpus_names(names: Sequence[str]) -> None:
    """Refuse unknown corpus names (a typo) before any work, naming the known ones."""
    known = corpus_names()
    unknown = [n for n in names if n not in known]
    if not unknown:
        return
    hints = [f"{n!r}: did you mean {close[0]!r}?" for n in unknown
             if (close := difflib.get_close_matches(n, known, n=1))]
    raise DataError(
        f"unknown corpus name(s): {', '.join(repr(n) for n in unknown)}"
        + (f" ({'; '.join(hints)})" if hints else "")
        + f"; the known corpora are: {', '.join(known)}"
    )


def load_catalog(path: Path = CATALOG_PATH) -> dict[str, str]:
    """Expected sha256 per file key (``liar/train.tsv``) from ``datasets/catalog.json``."""
    try:
        catalog = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {
        f["path"]: f["sha256"]
        for corpus in catalog.get("corpora", [])
        for f in corpus.get("files", [])
        if f.get("path") and f.get("sha256")
    }


def _run(
    loader: CorpusLoader, root: Path, report: LoadReport, records: list[Record], ids: set[str]
) -> None:
    if not root.is_dir():
        report.issue(f"{loader.name}/", None, f"missing folder: {root}")
        return
    try:
        for record in loader.load(root, report):
            if record.id in ids:
                file, line = report.origins.get(record.id, (loader.name, None))
                report.issue(file, line, f"duplicate id: {record.id}; record dropped")
                continue
            ids.add(record.id)
            records.append(record)
    except Exception as exc:  # a loader bug must not take the whole load down
        report.issue(f"{loader.name}/", None, f"loader error: {describe(exc)}")


def _check_files(report: LoadReport) -> None:
    for key, entry in report.files.items():
        if entry["rows"] == 0:
            report.issue(key, None, "empty: no data rows read")
        expected = entry["expected_sha256"]
        if expected is not None and not entry["checksum_ok"]:
            report.issue(
                key, None, f"checksum mismatch: sha256 {entry['sha256']}, catalog has {expected}"
            )


def load_corpora(
    data_dir: Path,
    names: Sequence[str] | None = None,
    include_sample: bool = True,
    *,
    sample_path: Path | None = None,
    catalog: dict[str, str] | None = None,
    deduplicate: bool = True,
    own_files: Sequence[Path] = (),
) -> tuple[list[Record], list[LoadReport]]:
    """Load corpora from ``data_dir/<name>/`` plus the sample corpus, dedupe, return both.

    ``names`` defaults to every loader in :data:`LOADERS` (in that order); ``"sample"`` among
    the names is the same as ``include_sample=True``. Nothing here raises
    for bad data: a missing folder or file, a malformed row or a dropped duplicate is a
    :class:`LoadIssue` in the corpus's report, one report per corpus (the sample last).
    ``catalog`` maps file key -> expected sha256 (default: ``datasets/catalog.json``; pass
    ``{}`` to skip checksum checks). ``sample_path`` overrides ``datasets/sample/sample.jsonl``
    (its checksum is never checked: the file is versioned in this repository). ``own_files``
    are a user's labelled files or exported corrections (see :mod:`.own`: single labels and
    span verdicts allowed, the latest correction of a text wins), each loaded as corpus
    ``own:<file stem>``.
    """
    data_dir = Path(data_dir)
    expected = load_catalog() if catalog is None else catalog
    records: list[Record] = []
    reports: list[LoadReport] = []
    ids: set[str] = set()
    wanted = list(LOADERS) if names is None else list(names)
    if SAMPLE_NAME in wanted:  # "sample" among the names means: include the sample corpus
        wanted.remove(SAMPLE_NAME)
        include_sample = True
    for name in wanted:
        report = LoadReport(corpus=name, expected=expected)
        reports.append(report)
        loader = LOADERS.get(name)
        if loader is None:
            report.issue(f"{name}/", None, f"unknown corpus: no loader named {name!r}")
            continue
        _run(loader, data_dir / name, report, records, ids)
    if include_sample:
        path = SAMPLE_PATH if sample_path is None else Path(sample_path)
        report = LoadReport(corpus=SAMPLE_NAME)
        reports.append(report)
        _run(SampleLoader(path.name), path.parent, report, records, ids)
        # the project's reports about groups, sober and sensational in equal numbers (issue
        # 23, hypemeter.training.identity_reports): part of the sample corpus, beside it
        if (path.parent / IDENTITY_REPORTS).is_file():
            _run(SampleLoader(IDENTITY_REPORTS), path.parent, report, records, ids)
    for own in own_files:
        own = Path(own)
        name = f"{OWN_PREFIX}{own.stem}"
        report = LoadReport(corpus=name)
        reports.append(report)
        _run(OwnDataLoader(own.name, name=name), own.parent, report, records, ids)
    for report in reports:
        _check_files(report)
    if deduplicate:
        records = dedupe(records, reports)
    return records, reports
