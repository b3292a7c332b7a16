"""Cleaning up after killed runs: the hidden staging folders and links left in a models dir.

:func:`hypemeter.bundles.bundle.write_bundle` assembles a bundle in
``.<version>.pid<pid>.<random>/``
beside its final folder and :func:`~hypemeter.bundles.bundle.publish_current` makes
``.current.<pid>``
before renaming it over ``current``. A run killed in between (kill -9, power loss) leaves them
behind. :func:`clean_stale_staging` removes those that are **stale**:

* the process that made it (the ``<pid>`` in its name) is no longer running on this host, or
* nothing in it has changed for :data:`STALE_AFTER_HOURS` hours (also for folders named by
  older versions, ``.<version>.<random>/``, which carry no pid).

Only entries that look like ours are touched: a hidden folder holding nothing but bundle files
(``model.pkl.gz``, ``card.json``, ``report/``), or a hidden ``.current.<pid>`` symlink. A
process on another host (a models folder shared over the network, or by containers) is not
visible here: do not train into one models folder from two hosts at once.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from pathlib import Path

from hypemeter.bundles.model_file import MODEL_FILE

STALE_AFTER_HOURS = 24.0
BUNDLE_ENTRIES = frozenset({MODEL_FILE, "card.json", "report"})
_WITH_PID = re.compile(r"^\.(?P<version>.+)\.pid(?P<pid>\d+)\.[A-Za-z0-9_]{8}$")
_NO_PID = re.compile(r"^\.(?P<version>.+)\.[A-Za-z0-9_]{8}$")
_CURRENT_TMP = re.compile(r"^\.current\.(?P<pid>\d+)$")


def pid_running(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def _last_change(path: Path) -> float:
    latest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for sub in path.rglob("*"):
            with contextlib.suppress(OSError):
                latest = max(latest, sub.lstat().st_mtime)
    return latest


def _is_stale(path: Path, pid: int | None, now: float, max_age_hours: float) -> bool:
    if pid is not None and pid != os.getpid() and not pid_running(pid):
        return True
    return now - _last_change(path) > max_age_hours * 3600


def clean_stale_staging(models_dir: Path, *, max_age_hours: float = STALE_AFTER_HOURS,
                        now: float | None = None) -> list[Path]:
    """Remove the stale leftovers of killed runs from ``models_dir``; returns what went."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(models_dir.iterdir())
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.startswith("."):
            continue
        try:
            if entry.is_symlink():
                m = _CURRENT_TMP.match(name)
                if m and _is_stale(entry, int(m["pid"]), now, max_age_hours):
                    entry.unlink()
                    removed.append(entry)
                continue
            if not entry.is_dir():
                continue
            m = _WITH_PID.match(name)
            pid = int(m["pid"]) if m else None
            if m is None and _NO_PID.match(name) is None:
                continue
            if not {p.name for p in entry.iterdir()} <= BUNDLE_ENTRIES:
                continue  # not a bundle being assembled: not ours to remove
            if _is_stale(entry, pid, now, max_age_hours):
                shutil.rmtree(entry)
                removed.append(entry)
        except OSError:  # gone already, or not ours to remove: leave it
            continue
    return removed


__all__ = ["STALE_AFTER_HOURS", "clean_stale_staging", "pid_running"]
