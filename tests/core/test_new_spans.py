"""Spans built through their slots in bulk (:func:`hypemeter.spans.decoding.new_spans`) are the
spans the dataclass builds, field by field."""

from __future__ import annotations

from hypemeter.records.results import Span
from hypemeter.spans.decoding import new_span, new_spans


def test_bulk_spans_equal_constructed_ones() -> None:
    rows = [("headline", 0, 8, "SHOCKING", "loaded_language", 0.8123),
            ("body", 14, 27, "cowardly thug", "name_calling", 0.5),
            ("body", 40, 43, "now", "urgency", 1.0)]
    got = new_spans(*(list(column) for column in zip(*rows, strict=True)))
    assert got == [Span(*row) for row in rows] == [new_span(*row) for row in rows]
    assert new_spans([], [], [], [], [], []) == []
