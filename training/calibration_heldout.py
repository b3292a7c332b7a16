"""Calibration measured on corpora the model never saw: each corpus's records scored with maps
fitted without that corpus too (nested, :func:`heldout_scores`), per-corpus tables
(:class:`HeldOut`) and the scores of legitimate reporting; what ``bench_calibration.py`` and
the training report's calibration section measure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypemeter.training.calibration import (
    MAINSTREAM_NEGATIVES,
    METHODS_OF_HEAD,
    REFERENCE_PREVALENCE,
    HeadData,
    cell_weights,
    fit_head,
    head_data,
    head_records,
)
from hypemeter.training.loco import LocoPredictions
from scipy.special import expit

from hypemeter.scoring.calibration import HEADS


def heldout_scores(loco: LocoPredictions, head: str, *, reference: float | None = None,
                   mainstream: bool = True, methods: Sequence[str] | None = None,
                   calibrate: bool = True) -> np.ndarray:
    """``head``'s probability for every held-out record, each corpus scored by maps fitted
    without it (``calibrate=False``: the stackers' own sigmoid, as a model without
    calibration)."""
    j = HEADS.index(head)
    if not calibrate:
        return expit(loco.z[:, j])
    ref = REFERENCE_PREVALENCE[head] if reference is None else reference
    d = head_data(loco, head, mainstream=mainstream)
    p = np.zeros(len(loco.z))
    for name in np.unique(loco.corpus):
        keep = d.corpus != name
        cal, _ = fit_head(HeadData(d.z[keep], d.y[keep], d.with_body[keep], d.corpus[keep]),
                          ref, methods or METHODS_OF_HEAD[head])
        rows = loco.corpus == name
        p[rows] = cal(loco.z[rows, j], loco.with_body[rows])
    return p


def legitimate_mask(loco: LocoPredictions) -> np.ndarray:
    """Held-out full articles of ordinary, accurate reporting: labelled accurate
    (FakeNewsNet, Pérez-Rosas, the sample) or judged not hyperpartisan (SemEval-2019)."""
    accurate = (loco.task == "misinformation") & (loco.label == 0)
    mainstream = np.isin(loco.corpus, MAINSTREAM_NEGATIVES) & (loco.label == 0)
    return (accurate | mainstream) & loco.with_body


@dataclass
class HeldOut:
    """One head's held-out probabilities (every LOCO record), its labelled records and the
    reference prevalence its probabilities are defined at."""

    head: str
    loco: LocoPredictions
    p: np.ndarray  # one per LOCO record
    mask: np.ndarray  # the head's labelled records (its calibration set)
    y: np.ndarray  # labels where ``mask``
    reference: float

    def corpora(self) -> list[str]:
        """Corpora holding both classes (the ones calibration can be measured on)."""
        corpus = self.loco.corpus[self.mask]
        return [str(c) for c in np.unique(corpus) if len(np.unique(self.y[corpus == c])) == 2]

    def records(self, corpora: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Labels, probabilities and weights (every corpus the same total, its positives a
        ``reference`` share) of the labelled records of ``corpora``."""
        corpus = self.loco.corpus[self.mask]
        m = np.isin(corpus, list(corpora))
        y, p = self.y[m], self.p[self.mask][m]
        return y, p, cell_weights(corpus[m], y, self.reference)

    def table(self) -> dict[str, Any]:
        """Per corpus and pooled: n, positives, ROC-AUC, mean score, ECE at the reference
        prevalence (``ece_ref``) and as the corpus is (``ece_raw``)."""
        from hypemeter.training.metrics import expected_calibration_error as ece
        from sklearn.metrics import roc_auc_score

        out: dict[str, Any] = {"reference_prevalence": self.reference, "corpora": {}}
        for c in self.corpora():
            y, p, w = self.records([c])
            out["corpora"][c] = {
                "n": len(y), "positives": int(y.sum()),
                "roc_auc": round(float(roc_auc_score(y, p)), 4),
                "ece_ref": round(ece(y, p, sample_weight=w), 4),
                "ece_raw": round(ece(y, p), 4),
                "mean_score": round(float(p.mean()), 4),
            }
        y, p, w = self.records(self.corpora())
        out["pooled"] = {"n": len(y), "ece_ref": round(ece(y, p, sample_weight=w), 4),
                         "ece_raw": round(ece(y, p), 4)}
        return out


def heldout(loco: LocoPredictions, reference: dict[str, float] | None, *,
            mainstream: bool = True) -> dict[str, HeldOut]:
    """Both heads' held-out probabilities: nested calibration at ``reference`` prevalences,
    or (``reference=None``) the stackers' own sigmoid of a model without calibration, whose
    stackers were fitted on even classes (reference 0.5)."""
    out = {}
    for head in HEADS:
        mask, y = head_records(loco, head, mainstream=mainstream)
        ref = 0.5 if reference is None else reference[head]
        p = heldout_scores(loco, head, reference=ref, mainstream=mainstream,
                           calibrate=reference is not None)
        out[head] = HeldOut(head, loco, p, mask, y, ref)
    return out


def legitimate_medians(loco: LocoPredictions, held: dict[str, HeldOut]) -> dict[str, Any]:
    """Median held-out scores of the legitimate articles (:func:`legitimate_mask`)."""
    legit = legitimate_mask(loco)
    corpora = loco.corpus[legit]
    out: dict[str, Any] = {}
    for head, h in held.items():
        vals = h.p[legit]
        out[head] = {
            "n": int(legit.sum()),
            "median": round(float(np.median(vals)), 4),
            "share_ge_0_5": round(float((vals >= 0.5).mean()), 4),
            "per_corpus": {str(c): {"n": int((corpora == c).sum()),
                                    "median": round(float(np.median(vals[corpora == c])), 4)}
                           for c in np.unique(corpora)},
        }
    return out


__all__ = ["HeldOut", "heldout", "heldout_scores", "legitimate_mask", "legitimate_medians"]
