"""Pages of feedback bounded in bytes as well as rows, read in small batches.

A page is planned first with one light query (time, id and the stored size of each row's
text, no text itself): it takes rows, newest first, until ``limit`` rows or ``max_bytes`` of
text (always at least one row, so every page moves on). The rows' text is then read in batches
of at most :data:`BATCH_BYTES` (at least one row each), so a page of large corrections never
sits in memory whole: the service streams it out batch by batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

if TYPE_CHECKING:
    from hypemeter.storage import tables
else:
    from hypemeter.storage.lazy import tables  # the ORM is imported on first use


BATCH_BYTES = 2_000_000  # text read from the database at a time
BATCH_ROWS = 200


class TextBytes(FunctionElement[int]):
    """The UTF-8 size in bytes of a text column (NULL counts 0)."""

    type = Integer()
    inherit_cache = True


@compiles(TextBytes)
def _text_bytes_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"coalesce(octet_length({compiler.process(element.clauses, **kw)}), 0)"


@compiles(TextBytes, "sqlite")
def _text_bytes_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"coalesce(length(CAST({compiler.process(element.clauses, **kw)} AS BLOB)), 0)"


def row_bytes() -> Any:
    """The stored text of one correction, in bytes (what its JSON item mostly consists of)."""
    row = tables.FeedbackRow
    cols = (row.headline, row.body, row.note, row.article_id, row.model_version)
    total: Any = TextBytes(cols[0])
    for col in cols[1:]:
        total = total + TextBytes(col)
    return total + func.length(tables.FeedbackRow.id)


@dataclass(frozen=True, slots=True)
class PlannedRow:
    created_at: datetime
    id: str
    size: int


def plan_page(
    rows: Sequence[Any], limit: int, max_bytes: int
) -> tuple[list[PlannedRow], bool]:
    """The rows of one page (from up to ``limit + 1`` candidates) and whether more follow."""
    taken: list[PlannedRow] = []
    total = 0
    for created_at, row_id, size in rows:
        size = int(size or 0)
        if len(taken) == limit or (taken and total + size > max_bytes):
            return taken, True
        taken.append(PlannedRow(created_at, row_id, size))
        total += size
    return taken, False


def batches(planned: Sequence[PlannedRow]) -> Iterator[list[PlannedRow]]:
    """``planned`` in consecutive batches of at most BATCH_BYTES (at least one row each)."""
    batch: list[PlannedRow] = []
    size = 0
    for row in planned:
        if batch and (size + row.size > BATCH_BYTES or len(batch) >= BATCH_ROWS):
            yield batch
            batch, size = [], 0
        batch.append(row)
        size += row.size
    if batch:
        yield batch
