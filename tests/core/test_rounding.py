"""hypemeter.spans.rounding.rounded is Python's round(x, digits), bit for bit: random values,
halves exact in binary (0.03125 -> 0.0312, half to even), values a few ulps either side of a
half, zeros of both signs, large, tiny and non-finite values."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from hypemeter.spans.rounding import rounded


def _bits(values: list[float]) -> list[bytes]:
    return [struct.pack("<d", v) for v in values]


def _check(values: np.ndarray, digits: int) -> None:
    _check_once(values, digits)
    if len(values) < 24:  # (a short array is rounded by Python)
        _check_once(np.tile(values, 24), digits)


def _check_once(values: np.ndarray, digits: int) -> None:
    got = rounded(values, digits)
    want = [round(float(v), digits) for v in values]
    assert all(type(v) is float for v in got)
    nan = [math.isnan(v) for v in want]
    assert [math.isnan(v) for v in got] == nan
    assert _bits([g for g, n in zip(got, nan, strict=True) if not n]) == _bits(
        [w for w, n in zip(want, nan, strict=True) if not n])


@pytest.mark.parametrize("digits", [0, 1, 4, 6, 9])
def test_random_values(digits: int) -> None:
    rng = np.random.default_rng(digits)
    _check(rng.random(200_000), digits)
    _check(rng.normal(0, 1e3, 50_000), digits)
    _check(rng.normal(0, 1e-5, 50_000), digits)


def test_near_halves_and_exact_halves() -> None:
    halves = (np.arange(-20_000, 20_000) + 0.5) / 1e4
    near = np.concatenate([np.nextafter(halves, np.inf), np.nextafter(halves, -np.inf), halves,
                           np.nextafter(np.nextafter(halves, np.inf), np.inf)])
    exact = np.array([0.03125, 0.00005, 0.5, 1.5, 2.5, -0.03125, 0.15625, 0.40625, 0.96875])
    for digits in (4, 0, 5):
        _check(near, digits)
        _check(exact, digits)


def test_edge_values() -> None:
    edge = np.array([0.0, -0.0, 1e-300, -1e-300, 5e-324, 1e9, 1e15, 1e300, -1e300,
                     np.inf, -np.inf, np.nan, 0.99995, 0.99994999, 1 - 1e-17, 123456.78905])
    for digits in (0, 4, 6, 15):
        _check(edge, digits)
    assert rounded(np.zeros(0), 4) == []
    for n in (1, 30):  # by Python, by the arrays
        assert _bits(rounded(np.array([0.03125, 0.5, 2.5] * n), 4)) == _bits([0.0312, 0.5, 2.5] * n)
    with pytest.raises(ValueError):
        rounded(np.ones(2), 16)
