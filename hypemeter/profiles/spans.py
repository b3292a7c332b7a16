"""A profile's prior on phrases: what its users marked ``loaded`` or ``not_loaded``.

Each phrase (lower-cased, spaces collapsed, outer punctuation trimmed) keeps two counts: ``a``
(marked loaded: added or confirmed) and ``r`` (rejected). Its prior is
``p = (a + 0.5) / (a + r + 1)``; a highlighted span of that phrase has its weight multiplied by
``2p`` (one rejection halves it, two divide it by three; one confirmation raises it by half,
capped at 1), and a phrase the profile marked loaded at least ``MIN_ADDS`` times (and more
than twice as often as it rejected it) that the model did not highlight is added where it
occurs as whole words, with weight ``a / (a + r + 2)``. Only the profile's results change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hypemeter.records.results import Span, public_category

MAX_PHRASES = 5000
MAX_PHRASE_CHARS = 120
# A phrase the model missed is added once the profile marked it loaded this often: at 2, PTC
# precision at weight >= 0.5 fell from 0.91 to 0.78 at k = 50 (benchmarks/bench_profile_spans.py)
MIN_ADDS = 5
_SPACE = re.compile(r"\s+")
_EDGE = "\"'“”‘’.,;:!?()[]{}-–—"


def phrase_key(text: str) -> str:
    return _SPACE.sub(" ", text).strip().strip(_EDGE).strip().lower()


@dataclass
class SpanPrior:
    counts: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # key -> (a, r, cat)

    @classmethod
    def from_verdicts(cls, verdicts: Iterable[tuple[str, str, str | None]]) -> SpanPrior:
        """``(phrase text, "loaded" | "not_loaded", category)`` per verdict."""
        counts: dict[str, list[Any]] = {}
        for text, verdict, category in verdicts:
            key = phrase_key(text)
            if not key or len(key) > MAX_PHRASE_CHARS:
                continue
            entry = counts.setdefault(key, [0, 0, "loaded_language"])
            if verdict == "loaded":
                entry[0] += 1
                if category:
                    entry[2] = public_category(category)
            else:
                entry[1] += 1
        kept = sorted(counts.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:MAX_PHRASES]
        return cls({k: (int(a), int(r), str(c)) for k, (a, r, c) in kept})

    def to_json(self) -> dict[str, Any]:
        return {"phrases": [[k, a, r, c] for k, (a, r, c) in sorted(self.counts.items())]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpanPrior:
        counts: dict[str, tuple[int, int, str]] = {}
        for k, a, r, c in data.get("phrases", []):
            if not (isinstance(k, str) and isinstance(c, str) and type(a) is int
                    and type(r) is int and a >= 0 and r >= 0):
                raise ValueError("a phrase entry is not [text, int, int, category]")
            counts[k] = (a, r, c)
        if len(counts) > MAX_PHRASES:
            raise ValueError("too many phrases")
        return cls(counts)

    def summary(self) -> dict[str, int]:
        return {"phrases": len(self.counts),
                "rejected": sum(1 for a, r, _ in self.counts.values() if r > a),
                "added": sum(1 for a, r, _ in self.counts.values() if a > r)}

    def __bool__(self) -> bool:
        return bool(self.counts)

    def prior(self, key: str) -> float | None:
        found = self.counts.get(key)
        if found is None:
            return None
        a, r, _ = found
        return (a + 0.5) / (a + r + 1.0)

    def adjust(self, headline: str, body: str, spans: Sequence[Span],
               max_spans: int | None) -> list[Span]:
        """The spans with the profile's prior applied (and its own phrases added)."""
        if not self.counts:
            return list(spans)
        out: list[Span] = []
        for s in spans:
            p = self.prior(phrase_key(s.text))
            out.append(s if p is None else
                       replace(s, weight=round(min(1.0, s.weight * 2.0 * p), 4)))
        taken = {(s.field, s.start, s.end) for s in out}
        for name, text in (("headline", headline), ("body", body)):
            lowered = text.lower()
            for key, (a, r, category) in self.counts.items():
                if a < MIN_ADDS or a <= 2 * r or key not in lowered:
                    continue
                for m in re.finditer(r"(?<!\w)" + re.escape(key) + r"(?!\w)", lowered):
                    where = (name, m.start(), m.end())
                    overlaps = any(s.field == name and s.start < m.end() and m.start() < s.end
                                   for s in out)
                    if where in taken or overlaps:
                        continue
                    out.append(Span(name, m.start(), m.end(), text[m.start():m.end()],  # type: ignore[arg-type]
                                    category, round(a / (a + r + 2.0), 4)))
                    taken.add(where)
        out.sort(key=lambda s: (s.field != "headline", s.start, s.end))
        if max_spans is not None and len(out) > max_spans:
            keep = sorted(range(len(out)), key=lambda k: (-out[k].weight, k))[:max_spans]
            out = [out[k] for k in sorted(keep)]
        return out
