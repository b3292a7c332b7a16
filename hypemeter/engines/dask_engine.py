"""``--engine dask``: the same chunk scoring on a ``dask.distributed`` cluster.

The model is shipped once per worker, not per record or per task: a :class:`BundlePlugin`
(a ``WorkerPlugin`` carrying the bundle's card and model bytes) is registered with the
cluster, and each worker, when it starts or joins, loads the bundle into a per-process cache
keyed by bundle path + sha256. A worker that can read the bundle path itself (a LocalCluster,
a shared file system) loads it from there; any other worker writes the shipped bytes into its
local directory first. Either way :func:`~hypemeter.bundles.bundle.load_bundle` verifies the sha256.

The client reads the input and submits chunks through a bounded window, collecting results in
submission order: output order is input order, and memory stays flat.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hypemeter.bundles.bundle import CARD_FILE, MODEL_FILE, Bundle
from hypemeter.engines.base import BundleRef, ChunkResult, ScoreOptions, load_ref, process_chunk
from hypemeter.engines.partitions import Chunk
from hypemeter.errors import HypemeterError, ModelLoadError, describe, message_of
from hypemeter.scoring.scorer import Scorer, load_scorer

try:  # the plugin base class, when the dask extra (dask[distributed]) is installed
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover
    WorkerPlugin = object  # type: ignore[assignment,misc]

# Scorers loaded in this (worker) process, by BundleRef.key.
_SCORERS: dict[str, Scorer] = {}
LOADS: dict[str, int] = {}  # how often each key was loaded here (tests check "once")


class DaskEngineError(HypemeterError):
    code = "dask_error"


def _materialise(ref: BundleRef, card_json: str, model_bytes: bytes, base: Path) -> Path:
    """Write the shipped bundle under ``base/hypemeter-bundles/<sha256>/`` (atomically)."""
    target = base / "hypemeter-bundles" / ref.sha256
    if (target / CARD_FILE).is_file():
        return target
    staging = target.with_name(f".{ref.sha256}.{os.getpid()}")
    staging.mkdir(parents=True, exist_ok=True)
    (staging / MODEL_FILE).write_bytes(model_bytes)
    (staging / CARD_FILE).write_text(card_json, encoding="utf-8")
    try:
        os.replace(staging, target)
    except OSError:  # another process got there first
        if not (target / CARD_FILE).is_file():
            raise
    return target


def worker_scorer(ref: BundleRef, card_json: str | None = None,
                  model_bytes: bytes | None = None, local_dir: str | None = None) -> Scorer:
    """The scorer for ``ref`` in this process, loading it on first use only."""
    scorer = _SCORERS.get(ref.key)
    if scorer is not None:
        return scorer
    try:
        scorer = load_ref(ref)
    except ModelLoadError:
        if model_bytes is None or card_json is None:
            raise
        import tempfile

        where = _materialise(ref, card_json, model_bytes,
                             Path(local_dir or tempfile.gettempdir()))
        scorer = load_scorer(where)
        if scorer.bundle.card["model_sha256"] != ref.sha256:
            raise ModelLoadError("the shipped bundle does not match its sha256") from None
    _SCORERS[ref.key] = scorer
    LOADS[ref.key] = LOADS.get(ref.key, 0) + 1
    return scorer


class BundlePlugin(WorkerPlugin):  # type: ignore[misc,valid-type]
    """Loads the bundle once on every worker (present and future) of the cluster."""

    def __init__(self, ref: BundleRef, card_json: str, model_bytes: bytes) -> None:
        self.ref = ref
        self.card_json = card_json
        self.model_bytes = model_bytes
        self.name = plugin_name(ref)

    def setup(self, worker: Any) -> None:
        worker_scorer(self.ref, self.card_json, self.model_bytes,
                      getattr(worker, "local_directory", None))


def plugin_name(ref: BundleRef) -> str:
    return f"hypemeter-bundle-{ref.sha256[:16]}"


def _dask_score(chunk: Chunk, ref: BundleRef, opts: ScoreOptions) -> ChunkResult:
    scorer = _SCORERS.get(ref.key)
    if scorer is None:  # the plugin did not run here (should not happen): load from the path
        scorer = worker_scorer(ref)
    return process_chunk(scorer, chunk, opts)


def _worker_loads(key: str) -> int:
    return LOADS.get(key, 0)


class DaskEngine:
    """Scores on a Dask cluster: ``scheduler`` address, or a LocalCluster of ``workers``."""

    name = "dask"

    def __init__(self, bundle: Bundle, opts: ScoreOptions, *, workers: int = 2,
                 scheduler: str | None = None, window: int | None = None,
                 connect_timeout: str = "30s") -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise DaskEngineError("--engine dask needs the dask extra: "
                                  "pip install 'hypemeter[dask]'") from exc
        self.ref = BundleRef.of(bundle)
        self.opts = opts
        self.cluster: Any = None
        try:
            if scheduler:
                self.client = Client(scheduler, timeout=connect_timeout)
            else:
                self.cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR,
                )
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as exc:
            self._shutdown()
            raise DaskEngineError(
                f"cannot reach the Dask scheduler {scheduler}: {message_of(exc)}") from exc
        self.workers = max(1, len(self.client.scheduler_info(n_workers=-1)["workers"]))
        self.window = window or 3 * self.workers + 2
        model_bytes = (Path(self.ref.path) / MODEL_FILE).read_bytes()
        import json

        card_json = json.dumps(bundle.card, indent=2) + "\n"
        self.client.register_plugin(BundlePlugin(self.ref, card_json, model_bytes),
                                    name=plugin_name(self.ref))

    def map(self, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
        pending: deque[Any] = deque()
        try:
            for chunk in chunks:
                # Scatter the chunk, then submit a task on it: records travel as data, which
                # is dropped once released, not inside the task graph, which the scheduler and
                # client keep some history of (memory would grow with the input).
                data = self.client.scatter(chunk, hash=False)
                fut = self.client.submit(_dask_score, data, self.ref, self.opts, pure=False,
                                         retries=1)
                pending.append((fut, data))
                if len(pending) >= self.window:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
        finally:
            for fut, data in pending:
                fut.cancel()
                data.cancel()

    @staticmethod
    def _result(entry: tuple[Any, Any]) -> ChunkResult:
        fut, data = entry
        try:
            result: ChunkResult = fut.result()
        except HypemeterError:
            raise
        except Exception as exc:  # KilledWorker, CommClosedError...
            raise DaskEngineError(f"a Dask task failed: {describe(exc)}") from exc
        fut.release()
        data.release()
        return result

    def loads_per_worker(self) -> dict[str, int]:
        """How many times each worker has loaded the bundle (1 each: shipped once)."""
        return dict(self.client.run(_worker_loads, self.ref.key))

    def _shutdown(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()

    def close(self) -> None:
        self._shutdown()
