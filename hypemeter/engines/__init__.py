"""Where batch scoring runs: this process, a local process pool, or a Dask cluster.

All engines run :func:`hypemeter.engines.base.process_chunk` on the same chunks, so they give
the same output for the same input; :func:`make_engine` picks one.
"""

from __future__ import annotations

from pathlib import Path

from hypemeter.bundles.bundle import Bundle, read_card, resolve_bundle_dir, verify_bundle
from hypemeter.engines.base import BundleRef, ChunkResult, Engine, ScoreOptions, process_chunk
from hypemeter.errors import InvalidInputError
from hypemeter.scoring.scorer import Scorer, load_scorer

ENGINES = ("local", "dask")


def open_bundle(model_path: Path | str, *, load_model: bool = True) -> Bundle:
    """The bundle at ``model_path``, verified (sha256, library versions).

    With ``load_model=False`` the model file is checked but not unpickled (``model`` is None):
    enough for a parent process whose workers load the model themselves.
    """
    if load_model:
        return load_scorer(model_path).bundle
    bundle_dir = resolve_bundle_dir(Path(model_path))
    card = read_card(bundle_dir)
    verify_bundle(bundle_dir, card)
    return Bundle(model=None, card=card, path=bundle_dir)


def scores_in_process(engine: str, jobs: int) -> bool:
    """Whether this engine choice scores in the calling process (needs the model loaded)."""
    return engine == "local" and jobs == 1


def make_engine(
    model: Scorer | Bundle,
    opts: ScoreOptions,
    *,
    engine: str = "local",
    jobs: int = 1,
    scheduler: str | None = None,
) -> Engine:
    """``local`` with ``jobs`` 1 scores in-process, with more a process pool; ``dask`` uses the
    cluster at ``scheduler`` or a LocalCluster of ``jobs`` workers.

    ``model`` is a :class:`Scorer`, or a :class:`Bundle` (its model may be unloaded, see
    :func:`open_bundle`, when the engine scores in other processes).
    """
    if jobs < 1:
        raise InvalidInputError("--jobs must be at least 1", field="jobs")
    bundle: Bundle = model.bundle if isinstance(model, Scorer) else model
    if engine == "dask":
        from hypemeter.engines.dask_engine import DaskEngine

        return DaskEngine(bundle, opts, workers=jobs, scheduler=scheduler)
    if engine != "local":
        raise InvalidInputError(f"unknown engine {engine!r} (choose from {ENGINES})",
                                field="engine")
    if scheduler:
        raise InvalidInputError("--scheduler only applies to --engine dask", field="scheduler")
    if jobs == 1:
        from hypemeter.engines.local import InlineEngine

        if isinstance(model, Scorer):
            return InlineEngine(model, opts)
        return InlineEngine(Scorer(bundle) if bundle.model is not None
                            else load_scorer(bundle.path), opts)
    from hypemeter.engines.local import ProcessPoolEngine

    return ProcessPoolEngine(BundleRef.of(bundle), opts, jobs)


__all__ = ["ENGINES", "BundleRef", "ChunkResult", "Engine", "ScoreOptions", "make_engine",
           "open_bundle", "process_chunk", "scores_in_process"]
