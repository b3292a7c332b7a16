"""The loaded model, held in one place and swapped atomically.

:class:`ModelHolder` keeps a reference to an immutable :class:`LoadedModel`. A request reads
``holder.current`` once at its start and uses that object to the end, so a reload (which builds
a complete new ``LoadedModel`` and then rebinds one attribute under a lock) never changes the
model under a request that is already running, and no request ever sees half a model.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from hypemeter import MODEL_NAME
from hypemeter.bundles.bundle import Bundle
from hypemeter.errors import HypemeterError, ModelLoadError, ModelNotReadyError
from hypemeter.scoring.scorer import Scorer, load_scorer

logger = logging.getLogger("hypemeter.service")

REPORT_DIR = "report"


@dataclass(frozen=True, slots=True)
class LoadedModel:
    scorer: Scorer
    card: Mapping[str, Any]
    path: Path | None
    loaded_at: float

    @property
    def version(self) -> str:
        return self.scorer.version

    @property
    def name(self) -> str:
        return str(self.card.get("name") or MODEL_NAME)

    @property
    def report_dir(self) -> Path | None:
        if self.path is None:
            return None
        candidate = self.path / REPORT_DIR
        return candidate if candidate.is_dir() and not candidate.is_symlink() else None

    @classmethod
    def from_scorer(cls, scorer: Scorer) -> LoadedModel:
        bundle: Bundle = scorer.bundle
        return cls(
            scorer=scorer,
            card=MappingProxyType(dict(bundle.card)),
            path=Path(bundle.path) if bundle.path is not None else None,
            loaded_at=time.time(),
        )


class ModelHolder:
    """Owns the current :class:`LoadedModel`; loads and swaps are serialised by one lock."""

    def __init__(
        self,
        models_dir: Path,
        on_swap: Callable[[LoadedModel], None] | None = None,
    ) -> None:
        self.models_dir = Path(models_dir)
        self._on_swap = on_swap
        self._lock = threading.Lock()
        self._current: LoadedModel | None = None
        self.last_error: HypemeterError | None = None

    @property
    def current(self) -> LoadedModel | None:
        """The model a new request should use (one atomic attribute read)."""
        return self._current

    def require(self) -> LoadedModel:
        loaded = self._current
        if loaded is None:
            raise ModelNotReadyError("no model is loaded yet; see GET /readyz")
        return loaded

    def install(self, scorer: Scorer) -> LoadedModel:
        return self._swap(LoadedModel.from_scorer(scorer))

    def load(self, version: str | None = None) -> LoadedModel:
        """Load, verify and swap in a bundle; on any failure the old model keeps serving."""
        return self._load(lambda: load_scorer(self.models_dir, version))

    def load_path(self, bundle_dir: Path) -> LoadedModel:
        """:meth:`load` for one bundle folder (the one another worker published)."""
        return self._load(lambda: load_scorer(bundle_dir))

    def _load(self, read: Callable[[], Scorer]) -> LoadedModel:
        with self._lock:
            try:
                scorer = read()
            except HypemeterError as exc:
                self.last_error = exc
                raise
            except Exception as exc:  # OSError, ValueError from odd paths, ...
                err = ModelLoadError(f"cannot load the model bundle: {exc}")
                self.last_error = err
                raise err from exc
            return self._swap_locked(LoadedModel.from_scorer(scorer))

    def prepare_path(self, bundle_dir: Path) -> LoadedModel:
        """Load and check a bundle without swapping it in (nor touching ``last_error``)."""
        try:
            scorer = load_scorer(bundle_dir)
        except HypemeterError:
            raise
        except Exception as exc:
            raise ModelLoadError(f"cannot load the model bundle: {exc}") from exc
        return LoadedModel.from_scorer(scorer)

    def swap_in(self, loaded: LoadedModel) -> LoadedModel:
        """Serve a model :meth:`prepare_path` built."""
        return self._swap(loaded)

    def _swap(self, loaded: LoadedModel) -> LoadedModel:
        with self._lock:
            return self._swap_locked(loaded)

    def _swap_locked(self, loaded: LoadedModel) -> LoadedModel:
        self._current = loaded
        self.last_error = None
        if self._on_swap is not None:
            self._on_swap(loaded)
        logger.info(
            "model loaded",
            extra={"fields": {"model_version": loaded.version, "model_name": loaded.name}},
        )
        return loaded
