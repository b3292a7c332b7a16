"""Deterministic group splits and leave-one-corpus/source-out folds.

``group_split`` puts each ``record.group`` wholly in train or in valid, by a hash of
``(seed, group)``: the result depends only on the groups and the seed, not on record order or
on which other records are loaded. ``valid_fraction`` is the share of *groups*, so the share of
records varies with group sizes (a big outlet moves many records at once).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence

from hypemeter.records.results import Record

Split = tuple[list[Record], list[Record]]


def group_unit(group: str, seed: int = 0) -> float:
    """A stable number in [0, 1) for ``group`` (sha256 of ``"<seed>:<group>"``)."""
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def group_split(records: Sequence[Record], valid_fraction: float = 0.2, seed: int = 0) -> Split:
    """Split into (train, valid) so that no group is in both; order within each is kept."""
    if not 0.0 <= valid_fraction <= 1.0:
        raise ValueError(f"valid_fraction must be in [0, 1], got {valid_fraction}")
    cache: dict[str, bool] = {}
    train: list[Record] = []
    valid: list[Record] = []
    for r in records:
        in_valid = cache.get(r.group)
        if in_valid is None:
            in_valid = cache[r.group] = group_unit(r.group, seed) < valid_fraction
        (valid if in_valid else train).append(r)
    return train, valid


def _hold_out(
    records: Sequence[Record], key: Callable[[Record], str], min_size: int
) -> Iterator[tuple[str, list[Record], list[Record]]]:
    values: dict[str, int] = {}
    for r in records:
        values[key(r)] = values.get(key(r), 0) + 1
    for value in sorted(v for v, n in values.items() if n >= min_size):
        test = [r for r in records if key(r) == value]
        test_groups = {r.group for r in test}
        train = [r for r in records if key(r) != value and r.group not in test_groups]
        yield value, train, test


def iter_corpus_folds(
    records: Sequence[Record], min_size: int = 1
) -> Iterator[tuple[str, list[Record], list[Record]]]:
    """Leave one corpus out: yield ``(held_out_corpus, train, test)`` for each corpus (sorted).

    Records of other corpora that share a group with the test corpus (e.g. the same outlet
    domain in FakeNewsNet and SemEval-2019) are left out of train as well.
    """
    return _hold_out(records, lambda r: r.corpus, min_size)


def iter_source_folds(
    records: Sequence[Record], min_size: int = 1
) -> Iterator[tuple[str, list[Record], list[Record]]]:
    """Leave one source (outlet, domain, corpus-as-source) out: ``(source, train, test)``.

    Only sources with at least ``min_size`` records are held out; group-mates are dropped from
    train as in :func:`iter_corpus_folds`.
    """
    return _hold_out(records, lambda r: r.source, min_size)
