"""The span model's bigram ids read through the pair hash table (hypemeter.spans.fast._pair_ids)
are those a search of the sorted pair keys gives: every counted pair, pairs that are not
counted, and pairs that share a slot with others (a tiny table, where most do)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from hypemeter.scoring.scorer import Scorer
from hypemeter.spans import fast


def _searched(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    at = np.minimum(keys.searchsorted(wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, values[at], 0)


class _Pairs:
    """What _pair_table reads of a span model: its pair index and a per-process dict."""

    def __init__(self, keys: np.ndarray, values: np.ndarray) -> None:
        self.keys, self.values = keys, values

    def pair_index(self) -> tuple[np.ndarray, np.ndarray]:
        return self.keys, self.values


def _wanted(keys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    others = rng.integers(0, int(keys.max()) + 1000, 20_000)
    return rng.permutation(np.concatenate([keys, others, keys[:50] + 1, keys[:50] - 1, [0]]))


def test_the_shipped_model_pairs(scorer: Scorer) -> None:
    sm = scorer.bundle.model.span_model_
    keys, values = sm.pair_index()
    wanted = _wanted(keys, np.random.default_rng(3))
    got = fast._pair_ids(sm, keys, values, wanted)
    assert got.dtype == np.int64
    assert np.array_equal(got, _searched(keys, values, wanted))
    assert (got[np.isin(wanted, keys)] > 0).all()


@pytest.mark.parametrize("bits", [2, 6, 12])
def test_pairs_sharing_a_slot(monkeypatch: pytest.MonkeyPatch, bits: int) -> None:
    monkeypatch.setattr(fast, "_HASH_BITS", bits)
    rng = np.random.default_rng(bits)
    keys = np.unique(rng.integers(0, 10**9, 3_000))
    values = rng.permutation(np.arange(1, len(keys) + 1))
    model: Any = _Pairs(keys, values)
    table = fast._pair_table(model)
    assert len(table) == 2 ** bits and (table < 0).any()
    wanted = _wanted(keys, rng)
    assert np.array_equal(fast._pair_ids(model, keys, values, wanted),
                          _searched(keys, values, wanted))


def test_one_pair_and_none_found() -> None:
    keys, values = np.array([7 * 10**6 + 3]), np.array([5])
    model: Any = _Pairs(keys, values)
    wanted = np.array([7 * 10**6 + 3, 0, 7 * 10**6 + 4, 7 * 10**6 + 3])
    assert fast._pair_ids(model, keys, values, wanted).tolist() == [5, 0, 0, 5]
    assert fast._pair_ids(model, keys, values, wanted[:0]).tolist() == []
