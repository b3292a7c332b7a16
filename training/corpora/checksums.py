"""Print, check or refresh the sha256 checksums and row counts in ``datasets/catalog.json``.

Usage (from the repository root)::

    python -m hypemeter.training.corpora.checksums --data-dir DIR          # check
    python -m hypemeter.training.corpora.checksums --data-dir DIR --write  # refresh

Every file a loader reads is listed: single files by their own sha256, folders of many small
files (``.../train-articles/``) by a manifest sha256 (see
:class:`hypemeter.training.corpora.base.Manifest`).
Without ``--write`` the exit status is 1 when a checksum differs from the catalog or a file is
missing, so the command can guard a training run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .base import LoadReport
from .registry import CATALOG_PATH, LOADERS, default_data_dir, load_catalog, load_corpora

MANIFEST_NOTE = (
    "manifest: sha256 of the UTF-8 text made of one line '<path relative to this folder>"
    "\\t<sha256 of the file>\\n' per file, lines sorted by path; rows = number of files"
)


def measure(data_dir: Path, names: Sequence[str], catalog: dict[str, str]) -> list[LoadReport]:
    _records, reports = load_corpora(
        data_dir, names, include_sample=False, catalog=catalog, deduplicate=False
    )
    return reports


def refresh(catalog: dict[str, Any], reports: Sequence[LoadReport]) -> dict[str, Any]:
    """Return ``catalog`` with each corpus's ``files`` set from what the loaders read."""
    entries = {c["name"]: c for c in catalog.setdefault("corpora", [])}
    for report in reports:
        corpus = entries.get(report.corpus)
        if corpus is None:
            corpus = {"name": report.corpus, "files": []}
            catalog["corpora"].append(corpus)
        old = {f["path"]: f for f in corpus.get("files", [])}
        files = []
        for key, info in report.files.items():
            entry = dict(old.get(key, {}))
            entry.update(path=key, sha256=info["sha256"], rows=info["rows"])
            if key.endswith("/"):
                entry["manifest"] = MANIFEST_NOTE
            files.append(entry)
        corpus["files"] = files
    return catalog


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="folder of corpus folders")
    parser.add_argument("--catalog", type=Path, default=CATALOG_PATH)
    parser.add_argument("--write", action="store_true", help="store the measured values")
    parser.add_argument("--names", nargs="*", default=None, help="corpora (default: all)")
    args = parser.parse_args(argv)
    data_dir: Path = args.data_dir or default_data_dir()
    names = list(args.names) if args.names else list(LOADERS)
    expected = load_catalog(args.catalog)
    reports = measure(data_dir, names, expected)

    bad = 0
    for report in reports:
        print(f"{report.corpus}: {report.records} records before dedupe, {report.count()} issues")
        for key, info in report.files.items():
            want = info["expected_sha256"]
            status = "ok" if info["checksum_ok"] else ("new" if want is None else "MISMATCH")
            bad += status == "MISMATCH"
            print(f"  {status:8} {info['sha256']}  {info['rows']:>6} rows  {key}")
        for issue in report.issues:
            if issue.category in ("missing file", "missing folder", "unreadable file"):
                bad += 1
                print(f"  MISSING  {issue}")

    if args.write:
        try:
            catalog = json.loads(args.catalog.read_text(encoding="utf-8"))
        except FileNotFoundError:
            catalog = {"corpora": []}
        refresh(catalog, reports)
        args.catalog.write_text(
            json.dumps(catalog, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(f"wrote {args.catalog}")
        return 0
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
