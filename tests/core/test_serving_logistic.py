"""hypemeter.scoring.logistic computes what scipy.special's expit and logit compute, bit for
bit (scoring uses it so as not to import scipy.special)."""

from __future__ import annotations

import numpy as np
from scipy import special

from hypemeter.scoring.logistic import expit, logit

SPECIAL = [0.0, -0.0, 1e-300, -1e-300, 5e-324, 36.7, -36.7, 709.0, -709.0, 709.78, -709.78,
           710.0, -710.0, 745.2, -745.2, 1e308, -1e308, np.inf, -np.inf, np.nan]


def test_expit_is_scipys_to_the_last_bit() -> None:
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 3, 400_000), rng.uniform(-800, 800, 100_000),
                        np.linspace(-40, 40, 100_001), SPECIAL])
    np.testing.assert_array_equal(expit(z), special.expit(z))
    assert expit(z[:6].reshape(2, 3)).shape == (2, 3)
    assert type(expit(0.5)) is type(special.expit(0.5)) is np.float64
    assert expit(0.5) == special.expit(0.5) and logit(0.2) == special.logit(0.2)


def test_logit_is_scipys_to_the_last_bit() -> None:
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.uniform(0, 1, 400_000), np.linspace(1e-4, 1 - 1e-4, 100_001),
                        rng.uniform(0.29, 0.66, 100_000),
                        [0.0, 1.0, 0.3, 0.65, 0.5, 1e-300, 1 - 1e-16, -0.5, 1.5, np.nan, np.inf]])
    with np.errstate(divide="ignore", invalid="ignore"):
        want = special.logit(p)
    np.testing.assert_array_equal(logit(p), want)
