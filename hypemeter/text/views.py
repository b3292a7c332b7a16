"""Token offsets and separators held as NumPy arrays, read as Python ints and strings.

The tokenizer finds a text's token offsets as arrays; turning every offset of a batch into a
Python ``int`` in a list, and cutting every separator out of the text, cost about a third of
tokenising, and scoring reads only the few offsets and separators of the tokens a span, a
phrase or a mask touches (array code reads the arrays themselves). An :class:`Offsets` keeps
the array and reads like the list it stands for: indexing gives an ``int``, a slice a list,
iteration ints, and it equals a list or another ``Offsets`` with the same values;
:class:`Separators` likewise cuts a separator from the text when it is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, overload

import numpy as np


class Offsets(Sequence[int]):
    """A read-only sequence of ints backed by a one-dimensional integer array."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> list[int]: ...

    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            return self.array[index].tolist()  # type: ignore[no-any-return]
        return int(self.array[index])

    def __iter__(self) -> Iterator[int]:
        return iter(self.array.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Offsets):
            return bool(np.array_equal(self.array, other.array))
        if isinstance(other, Sequence):
            return self.array.tolist() == list(other)  # type: ignore[no-any-return]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # like the list it stands for

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return self.array if dtype is None else self.array.astype(dtype, copy=False)

    def __repr__(self) -> str:
        return f"Offsets({self.array.tolist()!r})"

    def tolist(self) -> list[int]:
        return self.array.tolist()  # type: ignore[no-any-return]


class _TextCuts(Sequence[str]):
    """Strings cut from ``text`` by the token offsets ``starts`` and ``ends`` when they are read;
    equal to any sequence of the same strings."""

    __slots__ = ("ends", "starts", "text")

    def __init__(self, text: str, starts: np.ndarray, ends: np.ndarray) -> None:
        self.text = text
        self.starts = starts
        self.ends = ends

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"


class Separators(_TextCuts):
    """The text between each token and the next (after the last token: up to the end of the
    text), cut from the text when read; ``starts`` and ``ends`` are the tokens' offsets."""

    __slots__ = ()

    def __len__(self) -> int:
        return len(self.ends)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        n = len(self.ends)
        if isinstance(index, slice):
            a, b, step = index.indices(n)
            if step != 1:
                return [self[k] for k in range(a, b, step)]
            if a >= b:
                return []
            stops = self.starts[a + 1:b + 1].tolist()
            if len(stops) < b - a:  # the last separator runs to the end of the text
                stops.append(len(self.text))
            return list(map(self.text.__getitem__, map(slice, self.ends[a:b].tolist(), stops)))
        if index < 0:
            index += n
        if 0 <= index < n - 1:
            return self.text[self.ends[index]:self.starts[index + 1]]
        if index == n - 1:
            return self.text[self.ends[index]:]
        raise IndexError("separator index out of range")

    def __iter__(self) -> Iterator[str]:
        text = self.text
        stops = self.starts[1:].tolist()
        stops.append(len(text))
        return map(text.__getitem__, map(slice, self.ends.tolist(), stops))



class Slices(_TextCuts):
    """``text[starts[k]:ends[k]]`` for each k (the raw tokens), cut when read."""

    __slots__ = ()

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return list(map(self.text.__getitem__, map(
                slice, self.starts[index].tolist(), self.ends[index].tolist())))
        return self.text[self.starts[index]:self.ends[index]]

    def __iter__(self) -> Iterator[str]:
        return map(self.text.__getitem__, map(slice, self.starts.tolist(), self.ends.tolist()))


def int_array(values: Sequence[int]) -> np.ndarray:
    """``np.asarray(values, np.int64)``, an :class:`Offsets`'s own array as it is."""
    if type(values) is Offsets:
        return values.array
    return np.asarray(values, np.int64)



def holds_any(seps: Sequence[str], first: int, stop: int, chars: AbstractSet[str]) -> bool:
    """Whether one of ``seps[first:stop]`` (``stop < len(seps)``) holds one of ``chars``,
    characters that no token holds: a :class:`Separators`'s text from the end of token
    ``first`` to the start of token ``stop`` is read in one piece (the tokens between hold
    none of them)."""
    if type(seps) is Separators:
        return first < stop and not chars.isdisjoint(
            seps.text[seps.ends[first]:seps.starts[stop]])
    return any(not chars.isdisjoint(s) for s in seps[first:stop])
