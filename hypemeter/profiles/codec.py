"""The stored form of an adapter: JSON text and an ``.npz`` of plain numeric arrays, with the
SHA-256 of both. Never a pickle: the arrays are read with ``allow_pickle=False`` and every value
is checked (names, dtypes, shapes, finiteness) before an adapter is built from them, so write
access to the database cannot become code execution in the workers; a row whose checksum does
not match is refused (:class:`AdapterRejectedError`) and the base scores are served.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from hypemeter.errors import HypemeterError
from hypemeter.profiles.adapter import HEADS, N_FEATURES, RECIPES, HeadFit, ProfileAdapter
from hypemeter.profiles.spans import SpanPrior

FORMAT = 1
MAX_ARRAYS_BYTES = 64 * 1024 * 1024


class AdapterRejectedError(HypemeterError):
    """A stored adapter that fails its checks (checksum, format, values)."""

    status = 500
    code = "adapter_rejected"


@dataclass(frozen=True, slots=True)
class EncodedAdapter:
    meta: str
    arrays: bytes
    checksum: str


def checksum(meta: str, arrays: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(meta.encode("utf-8"))
    digest.update(b"\0")
    digest.update(arrays)
    return digest.hexdigest()


def encode(adapter: ProfileAdapter, spans: SpanPrior, *, base_model_version: str,
           fitted_through: int) -> EncodedAdapter:
    arrays: dict[str, np.ndarray] = {"vocab": adapter.vocab_.astype(np.int64),
                                     "idf": adapter.idf_.astype(np.float64)}
    heads: dict[str, Any] = {}
    for head, fit in adapter.heads_.items():
        arrays[f"coef.{head}"] = np.asarray(fit.coef, dtype=np.float64)
        heads[head] = {**fit.summary(), "recipe": fit.recipe, "intercept": fit.intercept,
                       "platt": list(fit.platt)}
    meta = json.dumps({
        "format": FORMAT, "base_model_version": base_model_version,
        "fitted_through": fitted_through, "n_docs": adapter.n_docs_,
        "default_idf": adapter.default_idf_, "heads": heads, "spans": spans.to_json(),
    }, sort_keys=True, separators=(",", ":"), allow_nan=False)
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    blob = buffer.getvalue()
    return EncodedAdapter(meta, blob, checksum(meta, blob))


@dataclass(frozen=True, slots=True)
class DecodedAdapter:
    adapter: ProfileAdapter
    spans: SpanPrior
    meta: dict[str, Any]


def _reject(why: str) -> AdapterRejectedError:
    return AdapterRejectedError(f"stored adapter refused: {why}")


def decode(meta: str, arrays: bytes, stored_checksum: str) -> DecodedAdapter:
    """Check and rebuild an adapter; :class:`AdapterRejectedError` for anything amiss."""
    if checksum(meta, arrays) != stored_checksum:
        raise _reject("its checksum does not match (the row was changed after it was written)")
    if len(arrays) > MAX_ARRAYS_BYTES:
        raise _reject("its arrays are too large")
    try:
        info = json.loads(meta)
        with np.load(io.BytesIO(arrays), allow_pickle=False) as npz:
            data = {name: npz[name] for name in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise _reject(f"unreadable ({type(exc).__name__})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise _reject("unknown format")
    adapter = ProfileAdapter()
    vocab, idf = data.get("vocab"), data.get("idf")
    _check_array(vocab, "vocab", np.int64)
    _check_array(idf, "idf", np.float64)
    assert vocab is not None and idf is not None
    if vocab.shape != idf.shape or (len(vocab) and (vocab.min() < 0 or vocab.max() >= N_FEATURES
                                                    or np.any(np.diff(vocab) <= 0))):
        raise _reject("its vocabulary is not sorted hashed features")
    adapter.vocab_, adapter.idf_ = vocab, idf
    adapter.default_idf_ = _number(info.get("default_idf"), "default_idf")
    adapter.n_docs_ = int(_number(info.get("n_docs"), "n_docs"))
    heads = info.get("heads")
    if not isinstance(heads, dict) or set(heads) != set(HEADS):
        raise _reject("it does not have both heads")
    adapter.heads_ = {}
    for head in HEADS:
        spec = heads[head]
        if not isinstance(spec, dict) or spec.get("recipe") not in RECIPES:
            raise _reject(f"unknown recipe for {head}")
        coef = data.get(f"coef.{head}")
        _check_array(coef, f"coef.{head}", np.float64)
        assert coef is not None
        fit = HeadFit(recipe=spec["recipe"], labels=int(_number(spec.get("labels"), "labels")),
                      oof_auc_base=spec.get("oof_auc_base"),
                      oof_auc_adapted=spec.get("oof_auc_adapted"),
                      active=spec.get("active") is True, coef=coef,
                      intercept=_number(spec.get("intercept"), "intercept"),
                      candidates=dict(spec.get("candidates") or {}))
        platt = spec.get("platt")
        if not isinstance(platt, list) or len(platt) != 2:
            raise _reject("bad calibration")
        fit.platt = (_number(platt[0], "platt"), _number(platt[1], "platt"))
        if fit.active:
            want = {"recalibrate": 2, "words": len(vocab), "both": len(vocab) + 2,
                    "blend": len(vocab) + 2}.get(fit.recipe)
            if want is None or coef.shape != (want,):
                raise _reject(f"the {head} coefficients do not fit its recipe")
        adapter.heads_[head] = fit
    try:
        spans = SpanPrior.from_json(info.get("spans") or {})
    except (TypeError, ValueError, KeyError) as exc:
        raise _reject(f"bad span prior ({exc})") from None
    return DecodedAdapter(adapter, spans, info)


def public_head(spec: dict[str, Any]) -> dict[str, Any]:
    """A stored head as ``GET /v1/profiles/{name}`` shows it: ``recipe`` is what serves
    (``base`` when the best candidate did not beat it; that one is ``best_candidate``)."""
    out = {k: v for k, v in spec.items() if k not in ("intercept", "platt")}
    if not spec.get("active"):
        out["recipe"] = "base"
    return out


def _check_array(value: np.ndarray | None, name: str, dtype: type) -> None:
    if value is None:
        raise _reject(f"the array {name} is missing")
    if value.dtype != dtype or value.ndim != 1:
        raise _reject(f"the array {name} is not one-dimensional {np.dtype(dtype).name}")
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        raise _reject(f"the array {name} holds non-finite values")


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise _reject(f"{name} is not a finite number")
    return float(value)
