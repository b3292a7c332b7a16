"""Building many instances of a frozen, slotted dataclass at once.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``: for the six
fields of :class:`~hypemeter.text.tokens.Tokens` about 0.65 us an instance, paid for every
field of every article. :func:`build_many` makes the instances with ``object.__new__`` and sets
each slot through its descriptor in a C-level map, one field at a time for all of them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import fields
from itertools import repeat
from typing import Any, TypeVar

T = TypeVar("T")


def build_many(cls: type[T], columns: Sequence[Sequence[Any]]) -> list[T]:
    """``[cls(*row) for row in zip(*columns)]`` for a frozen dataclass with slots whose
    ``__init__`` only stores its arguments (no ``__post_init__``, no default factories):
    ``columns`` holds one sequence per field, in the fields' order, all of one length."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    if len(columns) != len(names):
        raise TypeError(f"{cls.__name__} has {len(names)} fields, {len(columns)} columns given")
    n = len(columns[0])
    out: list[T] = list(map(object.__new__, repeat(cls, n)))
    for name, values in zip(names, columns, strict=True):
        if len(values) != n:
            raise ValueError("columns of different lengths")
        deque(map(getattr(cls, name).__set__, out, values), maxlen=0)
    return out
