"""The logistic function and its inverse, as ``scipy.special.expit`` and ``scipy.special.logit``
compute them for float64, without importing ``scipy.special`` (about 0.1 s of every start).

SciPy evaluates ``1 / (1 + exp(-x))`` and, for ``logit``, ``log(p / (1 - p))`` away from
``p = 0.5`` and ``log1p(2 (p - 0.5)) - log1p(-2 (p - 0.5))`` on ``[0.3, 0.65]``, with the C
library's ``exp``, ``log`` and ``log1p``: :mod:`math` calls the same functions, so the results
are the same to the last bit (NumPy's vectorised ``exp`` and ``log`` are not: they differ from
SciPy's in the last bit for about 2% of inputs on this project's machines).
``tests/core/test_serving_logistic.py`` compares them with SciPy's on millions of values.
Scoring applies them to a few numbers per article.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np


def _expit(x: float) -> float:
    try:
        return 1.0 / (1.0 + math.exp(-x))
    except OverflowError:  # exp(-x) is inf in C: 1 / (1 + inf)
        return 0.0


def _logit(p: float) -> float:
    if not 0.0 < p < 1.0:  # C's log(0) and p / 0 (and nan outside [0, 1], nan for nan)
        return -math.inf if p == 0.0 else math.inf if p == 1.0 else math.nan
    if p < 0.3 or p > 0.65:
        return math.log(p / (1.0 - p))
    s = 2.0 * (p - 0.5)
    return math.log1p(s) - math.log1p(-s)


def expit(x: np.ndarray | float) -> Any:
    """``scipy.special.expit`` of a float64 array, elementwise (of a number: a ``float64``)."""
    return _apply(_expit, x)


def logit(p: np.ndarray | float) -> Any:
    """``scipy.special.logit`` of a float64 array, elementwise (of a number: a ``float64``)."""
    return _apply(_logit, p)


def _apply(f: Callable[[float], float], x: np.ndarray | float) -> Any:
    a = np.asarray(x, dtype=np.float64)
    out = np.fromiter(map(f, a.ravel().tolist()), np.float64, a.size).reshape(a.shape)
    return out[()] if out.ndim == 0 else out  # a number gives a number, as a ufunc does
