"""Turning the stackers' logits into the two published probabilities.

A :class:`ScoreCalibration` holds, per score and input kind (text with a body, headline
only), one monotone map chosen and fitted by training on leave-one-corpus-out predictions
(:mod:`hypemeter.training.calibration`): Platt's sigmoid, beta calibration, isotonic
regression, or none (the stackers' own sigmoid) when none of them does better. It then
moves each score to the score's *reference prevalence* with a prior shift on the logit: a
probability of ``p`` means "p, in a feed in which ``reference_prevalence`` of the texts are
positive". Scoring only evaluates the maps (a few numpy operations per batch).

A reader whose feed has another prevalence ``q`` moves a score ``p`` with :func:`shift_prior`
(``logit p + logit q - logit reference``), which is what a profile's recalibration does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hypemeter.scoring.logistic import expit, logit

EPS = 1e-4
METHODS = ("identity", "sigmoid", "beta", "isotonic")
KINDS = ("article", "headline")
HEADS = ("sensationalism", "misinformation_risk")


def _clip(p: np.ndarray) -> np.ndarray:
    return np.clip(p, EPS, 1 - EPS)


@dataclass
class Calibrator:
    """One fitted monotone map from a stacker logit ``z`` to a probability.

    ``identity``: the stackers' own sigmoid ``expit(z)``, when no map does better;
    ``sigmoid``: ``expit(a z + b)`` (``params = [a, b]``); ``beta``: with ``s = expit(z)``,
    ``expit(a log s - b log(1 - s) + c)`` (``params = [a, b, c]``, a, b >= 0); ``isotonic``:
    linear interpolation through ``(x, y)`` knots on ``z``, clipped at both ends.
    """

    method: str
    params: list[float] = field(default_factory=list)
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown calibration method {self.method!r}")

    def __call__(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        if self.method == "identity":
            return expit(z)
        if self.method == "sigmoid":
            a, b = self.params
            return expit(a * z + b)
        if self.method == "beta":
            a, b, c = self.params
            s = _clip(expit(z))
            return expit(a * np.log(s) - b * np.log1p(-s) + c)
        return np.interp(z, self.x, self.y)


@dataclass
class HeadCalibration:
    """A head's maps for text with a body (``article``) and for headlines alone
    (``headline``), each fitted at the prevalence ``fitted_prevalence[kind]`` (the positive
    share of its weighted calibration set) and shifted to ``reference_prevalence``."""

    maps: dict[str, Calibrator]
    fitted_prevalence: dict[str, float]
    reference_prevalence: float

    def shift(self, kind: str) -> float:
        return float(logit(self.reference_prevalence) - logit(self.fitted_prevalence[kind]))

    def __call__(self, z: np.ndarray, with_body: np.ndarray) -> np.ndarray:
        out = np.empty(len(z))
        for kind, mask in (("article", with_body), ("headline", ~with_body)):
            if mask.any():
                p = _clip(self.maps[kind](z[mask]))
                out[mask] = expit(logit(p) + self.shift(kind))
        return out


@dataclass
class ScoreCalibration:
    """Both heads' calibration, in score order (sensationalism, misinformation_risk)."""

    heads: list[HeadCalibration]
    fitted_on: str = "leave-one-corpus-out"
    details: dict[str, Any] = field(default_factory=dict)

    def __call__(self, z: np.ndarray, with_body: np.ndarray) -> np.ndarray:
        """Probabilities for an (n, 2) array of stacker logits."""
        return np.column_stack([head(z[:, j], with_body) for j, head in enumerate(self.heads)])

    def describe(self) -> dict[str, Any]:
        """The card's (and ``GET /v1/model``'s) ``calibration`` entry."""
        return {
            "method": {
                name: {kind: head.maps[kind].method for kind in KINDS}
                for name, head in zip(HEADS, self.heads, strict=True)
            },
            "reference_prevalence": {
                name: head.reference_prevalence for name, head in zip(HEADS, self.heads,
                                                                      strict=True)
            },
            "fitted_prevalence": {
                name: {kind: round(head.fitted_prevalence[kind], 4) for kind in KINDS}
                for name, head in zip(HEADS, self.heads, strict=True)
            },
            "fitted_on": self.fitted_on,
            **self.details,
        }


def shift_prior(p: np.ndarray | float, reference: float, prevalence: float) -> np.ndarray:
    """Move probabilities calibrated at ``reference`` prevalence to a feed whose prevalence is
    ``prevalence`` (Bayes' rule with unchanged class-conditional scores)."""
    z = logit(_clip(np.asarray(p, dtype=float))) + logit(prevalence) - logit(reference)
    return expit(z)


__all__ = ["Calibrator", "HeadCalibration", "ScoreCalibration", "shift_prior"]
