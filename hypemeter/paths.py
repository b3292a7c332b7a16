"""Where things live by default."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR_ENV = "HYPEMETER_DATA_DIR"


def default_models_dir() -> Path:
    """``$HYPEMETER_MODELS_DIR``, else ``./models`` if it exists, else the source tree's."""
    env = os.environ.get("HYPEMETER_MODELS_DIR")
    if env:
        return Path(env)
    local = Path.cwd() / "models"
    if local.is_dir():
        return local
    return REPO_ROOT / "models"


def default_data_dir() -> Path:
    """Where the public corpora live: ``$HYPEMETER_DATA_DIR``, else ``datasets/`` in the
    platform's user data folder (``~/.local/share/hypemeter/datasets`` on Linux)."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path("hypemeter", appauthor=False) / "datasets"


def default_download_dir() -> Path:
    """Where ``hypemeter datasets fetch`` keeps downloads (kept to resume a partial one):
    ``downloads/`` in the platform's user cache folder (``~/.cache/hypemeter`` on Linux)."""
    from platformdirs import user_cache_path

    return user_cache_path("hypemeter", appauthor=False) / "downloads"
