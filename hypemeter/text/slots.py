"""Building many instances of a frozen, slotted dataclass at once.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``: for the six
fields of :class:`~hypemeter.text.tokens.Tokens` about 0.65 us an instance, paid for every
field of every article. :func:`build_many` makes the instances with ``object.__new__`` and sets
each slot through its descriptor in a C-level map, one field at a time for all of them.
The columns are named, so a field added to the class or moved in it cannot be mixed up.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import fields
from functools import cache
from itertools import repeat
from typing import Any, TypeVar

T = TypeVar("T")


def build_many(cls: type[T], **columns: Sequence[Any]) -> list[T]:
    """``[cls(**row) for row in rows]`` for a frozen dataclass with slots whose ``__init__``
    only stores its arguments (no ``__post_init__``, no default factories), given one sequence
    of values per field, by the field's name, all of one length; every field is given."""
    setters = _setters(cls)
    if columns.keys() != setters.keys():
        raise TypeError(f"{cls.__name__} has the fields {list(setters)}, not {list(columns)}")
    n = len(next(iter(columns.values())))
    if n < _FEW:  # the maps' set-up costs more than a constructor call or two
        return [cls(*row) for row in zip(*map(columns.__getitem__, setters), strict=True)]
    out: list[T] = list(map(object.__new__, repeat(cls, n)))
    for name, values in columns.items():
        if len(values) != n:
            raise ValueError("columns of different lengths")
        deque(map(setters[name], out, values), maxlen=0)
    return out


_FEW = 6


@cache
def _setters(cls: type) -> dict[str, Callable[[Any, Any], None]]:
    """Each field's slot setter, by name (kept per class: one call is what a single article
    pays for)."""
    return {f.name: getattr(cls, f.name).__set__ for f in fields(cls)}
