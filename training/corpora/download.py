"""HTTP downloads for ``hypemeter datasets fetch``: resumable, with a progress bar.

A download goes to ``<file>.part`` and is renamed to ``<file>`` only once every byte the server
announced has arrived. A later run resumes a ``.part`` file with an HTTP ``Range`` request
(and starts over when the server ignores the range). Any failure raises :class:`FetchError`
with the URL and what went wrong; the ``.part`` file is kept so the next run resumes.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from hypemeter import __version__
from hypemeter.errors import DataError

CHUNK = 1 << 16
USER_AGENT = f"hypemeter/{__version__} (datasets fetch)"
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class FetchError(DataError):
    """A corpus could not be downloaded, verified or installed."""

    code = "fetch_failed"


def _progress(total: int | None, initial: int, label: str, quiet: bool) -> IO[str] | None:
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                desc=label, file=sys.stderr, leave=False)


def _open(url: str, offset: int, timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the .part file is not a prefix of this file
            raise _RangeRefused from None
        raise FetchError(f"{url}: the server answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{url}: cannot download ({reason})") from None


class _RangeRefused(Exception):
    pass


def download(url: str, dest: Path, *, quiet: bool = False, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` (resuming ``dest.part``); return ``dest``.

    An existing ``dest`` is taken as complete and returned as is.
    """
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.is_file() else 0
    try:
        response = _open(url, offset, timeout)
    except _RangeRefused:
        part.unlink(missing_ok=True)
        offset = 0
        response = _open(url, 0, timeout)
    with contextlib.closing(response):
        length = response.headers.get("Content-Length")
        remaining = int(length) if length and length.isdigit() else None
        if response.status == 206:
            match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
            if match is None or int(match.group(1)) != offset:
                raise FetchError(f"{url}: the server sent a range other than the one asked for")
            mode = "ab"
        else:  # 200: the whole file (the server does not do ranges): start over
            offset = 0
            mode = "wb"
        total = offset + remaining if remaining is not None else None
        received = 0
        bar = _progress(total, offset, dest.name, quiet)
        try:
            with part.open(mode) as out:
                while True:
                    try:
                        chunk = response.read(CHUNK)
                    except (http.client.IncompleteRead, OSError) as exc:
                        if isinstance(exc, http.client.IncompleteRead) and exc.partial:
                            out.write(exc.partial)
                            received += len(exc.partial)
                        break
                    if not chunk:
                        break
                    out.write(chunk)
                    received += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
    if remaining is not None and received < remaining:
        raise FetchError(
            f"{url}: download cut short at {offset + received} of {total} bytes; "
            "run the same command again to resume it"
        )
    part.replace(dest)
    return dest
