"""Where things live by default."""

from __future__ import annotations

from pathlib import Path

from hypemeter.settings import core_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR_ENV = "HYPEMETER_DATA_DIR"


def default_models_dir() -> Path:
    """``$HYPEMETER_MODELS_DIR``, else ``./models`` if it exists, else the source tree's."""
    env = core_settings().models_dir
    if env:
        return Path(env)
    local = Path.cwd() / "models"
    if local.is_dir():
        return local
    return REPO_ROOT / "models"


def default_data_dir() -> Path:
    """Where the public corpora live: ``$HYPEMETER_DATA_DIR``, else ``datasets/`` in the
    platform's user data folder (``~/.local/share/hypemeter/datasets`` on Linux)."""
    env = core_settings().data_dir
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path("hypemeter", appauthor=False) / "datasets"


def datasets_dir() -> Path:
    """The corpus catalog and the sample corpus: ``$HYPEMETER_DATASETS_DIR``, else
    ``datasets/`` of the source tree (the Docker image sets it to ``/app/datasets``)."""
    env = core_settings().datasets_dir
    return Path(env) if env else REPO_ROOT / "datasets"


def default_download_dir() -> Path:
    """Where ``hypemeter datasets fetch`` keeps downloads (kept to resume a partial one):
    ``downloads/`` in the platform's user cache folder (``~/.cache/hypemeter`` on Linux)."""
    from platformdirs import user_cache_path

    return user_cache_path("hypemeter", appauthor=False) / "downloads"
