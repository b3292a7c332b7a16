"""Text helpers of the corpus loaders: dedupe keys, group buckets, inline cleanup, domains."""

from __future__ import annotations

import re
import unicodedata
import zlib
from urllib.parse import urlsplit

__all__ = ["clean_inline", "normalise_text", "registrable_domain", "text_bucket"]

_NON_WORD = re.compile(r"[^\w\s]+")
_UNDERSCORE = re.compile(r"_+")
_SPACES = re.compile(r"\s+")


def normalise_text(*parts: str) -> str:
    """Dedupe key: NFKC, lowercase, punctuation removed, whitespace collapsed, parts joined."""
    joined = " ".join(parts)
    text = unicodedata.normalize("NFKC", joined).lower()
    text = _UNDERSCORE.sub(" ", _NON_WORD.sub(" ", text))
    return _SPACES.sub(" ", text).strip()


def text_bucket(prefix: str, *parts: str, buckets: int = 200) -> str:
    """A stable group name for corpora without outlets: crc32 of the normalised text."""
    return f"{prefix}:{zlib.crc32(normalise_text(*parts).encode('utf-8')) % buckets}"


def clean_inline(text: str) -> str:
    """Collapse runs of whitespace (including newlines) to single spaces and strip."""
    return _SPACES.sub(" ", text).strip()


# Second-level public suffixes common in these corpora (no network, no tldextract).
_TWO_LEVEL_SUFFIXES = frozenset(
    {
        "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "net.nz",
        "co.in", "net.in", "org.in", "gov.in", "co.za", "org.za", "co.jp", "ne.jp", "or.jp",
        "com.br", "com.mx", "com.ar", "com.tr", "com.cn", "com.hk", "com.sg", "com.my",
        "com.ph", "com.pk", "com.ng", "com.gh", "co.ke", "co.il", "org.il", "co.kr",
        "com.ua", "com.co", "com.pe", "com.ve", "com.eg", "com.sa", "gc.ca", "qc.ca",
        "on.ca", "bc.ca", "ab.ca",
    }
)  # fmt: skip
# Multi-tenant hosts where each subdomain is a separate publisher (public suffix list, private).
_PRIVATE_SUFFIXES = frozenset(
    {
        "blogspot.com", "wordpress.com", "tumblr.com", "github.io", "substack.com",
        "weebly.com", "wixsite.com", "typepad.com", "livejournal.com", "over-blog.com",
        "blogspot.co.uk", "home.blog", "webs.com",
    }
)  # fmt: skip
_ARCHIVE = re.compile(r"^/web/[0-9a-z_*]+/(.+)$", re.IGNORECASE)


def registrable_domain(url: str) -> str | None:
    """Registrable domain of a URL or bare host (``www.`` and ports removed), else ``None``.

    ``web.archive.org/web/<timestamp>/<url>`` yields the archived URL's domain.
    """
    url = (url or "").strip()
    if not url:
        return None
    if "://" not in url:
        url = "http://" + url.lstrip("/")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").strip(".").lower()
    except ValueError:
        return None
    if host == "web.archive.org":
        m = _ARCHIVE.match(parts.path)
        if m:
            inner = m.group(1)
            if parts.query:
                inner += "?" + parts.query
            return registrable_domain(inner)
    if not host or "." not in host:
        return None
    if re.fullmatch(r"[0-9.]+", host):
        return host
    labels = host.split(".")
    if labels[0] == "www":
        labels = labels[1:]
    for suffix_set in (_PRIVATE_SUFFIXES, _TWO_LEVEL_SUFFIXES):
        for n in (3, 2):
            if len(labels) > n and ".".join(labels[-n:]) in suffix_set:
                return ".".join(labels[-(n + 1) :])
    return ".".join(labels[-2:]) if len(labels) >= 2 else None
