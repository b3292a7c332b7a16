"""A bundle's model file, ``model.pkl.gz``: the fitted model in its serving form.

The file is a pickle (protocol 5, gzip-compressed, no timestamp: the same model gives the same
bytes) of a :class:`~hypemeter.scoring.model.HypeModel` whose fitted parts are NumPy arrays in
hypemeter classes (:mod:`hypemeter.scoring.linear`, :class:`~hypemeter.analysis.vectorize.
CharWbNgrams`, the lexicon, the span model, the calibration). Reading it admits only those
classes: a hypemeter class, a NumPy array, dtype or scalar, a set. Anything else (a
scikit-learn estimator, a function to call) is refused before it is imported, so loading a
model never imports scikit-learn, and a file written with other classes fails with its name.
Writing it checks the same thing, so a model that could not be read back is never written.
"""

from __future__ import annotations

import gzip
import io
import pickle
from typing import Any

MODEL_FILE = "model.pkl.gz"
PICKLE_PROTOCOL = 5
# What a serving-form pickle may name besides hypemeter's own classes: NumPy's array, dtype and
# scalar reconstructors (``numpy._core`` from NumPy 2, ``numpy.core`` before), and sets.
_ADMITTED: frozenset[tuple[str, str]] = frozenset({
    ("numpy", "dtype"), ("numpy", "ndarray"),
    *((f"{core}.multiarray", name) for core in ("numpy._core", "numpy.core")
      for name in ("_reconstruct", "scalar")),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "slice"),
})


class ForeignObjectError(pickle.UnpicklingError):
    """The pickle names something a serving-form model never holds."""

    def __init__(self, module: str, name: str) -> None:
        super().__init__(f"{module}.{name}")
        self.module = module
        self.name = name


class _ServingUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ADMITTED:
            return super().find_class(module, name)
        if module == "hypemeter" or module.startswith("hypemeter."):
            found = super().find_class(module, name)
            if isinstance(found, type):  # a class; never a function to call
                return found
        raise ForeignObjectError(module, name)


def loads(blob: bytes) -> Any:
    """The object in a model file's bytes (:class:`ForeignObjectError` for a class outside
    the serving form; ``gzip``/``pickle`` errors for anything else that is not one)."""
    return _ServingUnpickler(io.BytesIO(gzip.decompress(blob))).load()


def dumps(model: Any) -> bytes:
    """A model file's bytes for ``model``, which must be in its serving form: it is read back
    as :func:`loads` reads it (:class:`ForeignObjectError` naming what does not belong)."""
    raw = pickle.dumps(model, protocol=PICKLE_PROTOCOL)
    _ServingUnpickler(io.BytesIO(raw)).load()
    return gzip.compress(raw, compresslevel=6, mtime=0)
