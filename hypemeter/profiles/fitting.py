"""Fitting a profile's adapter from its stored corrections (used by the service's background
fits and by ``hypemeter profiles fit``), and the one fit step both run: claim the lease, fit,
store the new version and end the lease."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hypemeter.errors import HypemeterError
from hypemeter.profiles.adapter import HEADS, ProfileAdapter, article_text
from hypemeter.profiles.apply import LoadedAdapter
from hypemeter.profiles.codec import AdapterRejectedError, EncodedAdapter, decode, encode
from hypemeter.profiles.spans import SpanPrior
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer
from hypemeter.storage.profiles import FitClaim, ProfileStore, StoredAdapter
from hypemeter.storage.records import Feedback

logger = logging.getLogger("hypemeter.profiles")
LABEL_OF_HEAD = {"sensationalism": "sensational", "misinformation_risk": "misinformation"}


@dataclass(frozen=True, slots=True)
class FitOutcome:
    profile: str
    version: int | None  # None: the profile was deleted during the fit
    active: bool
    seconds: float
    labels: dict[str, int]


def fit_corrections(scorer: Scorer, corrections: Sequence[Feedback],
                    adapter: ProfileAdapter | None = None) -> tuple[ProfileAdapter, SpanPrior]:
    """The adapter and span prior for these corrections, on ``scorer``'s base scores."""
    labelled = [c for c in corrections if c.sensational is not None
                or c.misinformation is not None]
    adapter = adapter or ProfileAdapter()
    if labelled:
        results = scorer.score([Article(c.headline, c.body) for c in labelled], explain=False)
        base = np.array([[r.scores[h] for h in HEADS] for r in results], dtype=np.float64)
    else:
        base = np.zeros((0, 2))
    adapter.fit([article_text(c.headline, c.body) for c in labelled], base,
                {head: [getattr(c, LABEL_OF_HEAD[head]) for c in labelled] for head in HEADS})
    verdicts = [((c.headline if s.field == "headline" else c.body)[s.start:s.end], s.verdict,
                 s.category) for c in corrections for s in c.spans]
    return adapter, SpanPrior.from_verdicts(verdicts)


def is_active(adapter: ProfileAdapter, spans: SpanPrior) -> bool:
    """Whether an adapter changes anything: a head that beat the base, or a span prior."""
    return adapter.active or bool(spans)


def fit_claimed(store: ProfileStore, scorer: Scorer, claim: FitClaim) -> FitOutcome:
    """Fit the claimed profile and store the result (ending the lease); on an error the
    lease is released with the requests still due, and the error raised."""
    t0 = time.perf_counter()
    try:
        corrections = list(store.corrections(claim.profile))
        adapter, spans = fit_corrections(scorer, corrections)
        active = is_active(adapter, spans)
        encoded: EncodedAdapter = encode(adapter, spans, base_model_version=scorer.version,
                                         fitted_through=claim.requested)
        version = store.save_adapter(
            claim.profile, base_model_version=scorer.version, meta=encoded.meta,
            arrays=encoded.arrays, checksum=encoded.checksum, active=active,
            fitted_through=claim.requested, holder=claim.holder)
    except BaseException:
        with contextlib.suppress(HypemeterError):
            store.release(claim, fitted=False)
        raise
    seconds = time.perf_counter() - t0
    labels = {h: f.labels for h, f in adapter.heads_.items()}
    logger.info("profile adapter fitted", extra={"fields": {
        "profile": claim.profile, "adapter_version": version, "active": active,
        "seconds": round(seconds, 3), "labels": labels}})
    return FitOutcome(claim.profile, version, active, seconds, labels)


def load_stored(stored: StoredAdapter) -> LoadedAdapter:
    """A stored row, checked and decoded (:class:`AdapterRejectedError` when it fails)."""
    decoded = decode(stored.meta, stored.arrays, stored.checksum)
    if decoded.meta.get("base_model_version") != stored.base_model_version:
        raise AdapterRejectedError("stored adapter refused: its base model version disagrees")
    return LoadedAdapter(stored.profile, stored.version, stored.base_model_version,
                         decoded.adapter, decoded.spans)


__all__ = ["AdapterRejectedError", "FitOutcome", "fit_claimed", "fit_corrections",
           "is_active", "load_stored"]
