"""``hypemeter datasets list`` and ``hypemeter datasets fetch`` (see :mod:`.fetch`)."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from hypemeter.paths import default_data_dir, default_download_dir

from .download import FetchError
from .fetch import check, fetch_corpus, read_catalog, select
from .registry import CATALOG_PATH


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def list_corpora(data_dir: Path | None, catalog: Path | None = None) -> int:
    """Print name, tasks, licence, how it is fetched and its state in the data dir."""
    root = data_dir or default_data_dir()
    entries = read_catalog(catalog or CATALOG_PATH)
    print(f"data dir: {root}")
    rows = [("corpus", "tasks", "fetch", "state", "licence")]
    details: list[str] = []
    for entry in entries:
        state = check(root, entry)
        how = "repository" if entry.in_repository else ("auto" if entry.automatic else "manual")
        licence = re.split(r" \(|;", entry.licence, maxsplit=1)[0]  # details: the catalog
        rows.append((entry.name, ",".join(entry.tasks), how, state.state, licence))
        details += [f"  {entry.name}: {problem}" for problem in state.problems]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
              + "  " + row[4])
    for line in details:
        print(line)
    return 0


def fetch_corpora(
    names: Sequence[str],
    data_dir: Path | None,
    *,
    download_dir: Path | None = None,
    catalog: Path | None = None,
    quiet: bool = False,
) -> int:
    """Fetch the corpora named (default: all); exit status 1 when any failed."""
    root = data_dir or default_data_dir()
    downloads = download_dir or default_download_dir()
    entries = select(read_catalog(catalog or CATALOG_PATH), names)
    failed, manual, done = [], [], []
    for entry in entries:
        try:
            state = fetch_corpus(entry, root, downloads, quiet=quiet, log=_err)
        except FetchError as exc:
            _err(f"{entry.name}: failed: {exc.message}")
            failed.append(entry.name)
            continue
        except OSError as exc:
            _err(f"{entry.name}: failed: {exc}; nothing was changed in {root}")
            failed.append(entry.name)
            continue
        if state == "manual":
            manual.append(entry.name)
        else:
            if state == "ok":
                _err(f"{entry.name}: already present, every file matches the catalog")
            done.append(entry.name)
    _err(f"data dir {root}: {len(done)} corpora in place"
         + (f"; needs a manual step: {', '.join(manual)}" if manual else "")
         + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0
