"""Where things live by default."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def default_models_dir() -> Path:
    """``$HYPEMETER_MODELS_DIR``, else ``./models`` if it exists, else the source tree's."""
    env = os.environ.get("HYPEMETER_MODELS_DIR")
    if env:
        return Path(env)
    local = Path.cwd() / "models"
    if local.is_dir():
        return local
    return REPO_ROOT / "models"
