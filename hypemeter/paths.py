"""Where things live by default."""

from __future__ import annotations

from pathlib import Path

from hypemeter.settings import core_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR_ENV = "HYPEMETER_DATA_DIR"


def shipped_models_dir() -> Path:
    """The models that come with hypemeter: ``./models`` if it exists (a checkout), else the
    source tree's. ``hypemeter train`` never writes here unless told so with ``--out``."""
    local = Path.cwd() / "models"
    if local.is_dir():
        return local
    return REPO_ROOT / "models"


def user_models_dir() -> Path:
    """Where ``hypemeter train`` writes its bundles by default: ``models/`` in the platform's
    user data folder (``~/.local/share/hypemeter/models`` on Linux), beside the feedback
    database."""
    from platformdirs import user_data_path

    return user_data_path("hypemeter", appauthor=False) / "models"


def has_current(models_dir: Path) -> bool:
    """Whether ``models_dir`` has published a model (a ``current`` link or pointer file)."""
    current = models_dir / "current"
    return current.is_symlink() or current.exists()


def default_models_dir() -> Path:
    """The models ``serve``, ``score``, ``evaluate`` and ``suggest`` load:
    ``$HYPEMETER_MODELS_DIR``, else the user's trained models (:func:`user_models_dir`) once
    ``train`` has published one, else the shipped models (:func:`shipped_models_dir`)."""
    env = core_settings().models_dir
    if env:
        return Path(env)
    user = user_models_dir()
    if has_current(user):
        return user
    return shipped_models_dir()


def models_dir_origin(models_dir: Path) -> str:
    """Why ``models_dir`` is the default, in words (for "which model was loaded" messages)."""
    if core_settings().models_dir:
        return "$HYPEMETER_MODELS_DIR"
    if models_dir == user_models_dir():
        return "your trained models"
    return "the shipped model"


def train_models_dir() -> Path:
    """Where ``hypemeter train`` writes without ``--out``: ``$HYPEMETER_MODELS_DIR``, else
    :func:`user_models_dir`."""
    env = core_settings().models_dir
    return Path(env) if env else user_models_dir()


def is_shipped(models_dir: Path) -> bool:
    """Whether ``models_dir`` is the models folder shipped in this checkout or package."""
    return models_dir.expanduser().resolve() == (REPO_ROOT / "models").resolve()


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
