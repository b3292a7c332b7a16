"""The one settings object: every ``HYPEMETER_*`` environment variable is read through it.

:class:`CoreSettings` holds what the core, the command line and training read;
:class:`hypemeter.service.settings.Settings` extends it with the service's settings, so
``Settings()`` is the whole configuration. Each call reads the environment afresh (a command
that changes ``os.environ`` sees the change).

=============================  =========================================================
Variable                       Meaning (defaults: :mod:`hypemeter.paths`)
=============================  =========================================================
``HYPEMETER_MODELS_DIR``       models folder (``current`` + versions) or one bundle
``HYPEMETER_DATA_DIR``         folder of the public corpora (``hypemeter datasets``)
``HYPEMETER_DATASETS_DIR``     folder of the corpus catalog and the sample corpus
``HYPEMETER_START_METHOD``     how ``hypemeter score --jobs N`` starts its workers
``HYPEMETER_DATABASE_URL``     the feedback database (SQLAlchemy URL)
``HYPEMETER_DATABASE_TIMEOUT`` seconds any one feedback-database call may take (default 5)
=============================  =========================================================
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "HYPEMETER_"


class CoreSettings(BaseSettings):
    """Settings of the core, the CLI and training; unset (``None``) means the default."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", case_sensitive=False, protected_namespaces=()
    )

    # Text as set (an empty value counts as unset); hypemeter.paths turns them into folders.
    models_dir: str | None = None
    data_dir: str | None = None
    datasets_dir: str | None = None
    start_method: str | None = None
    database_url: str | None = None  # the feedback database (hypemeter.storage)
    database_timeout: float | None = None  # seconds per database call (storage's default: 5)


def core_settings() -> CoreSettings:
    """The core settings from the environment, read now."""
    return CoreSettings()


__all__ = ["ENV_PREFIX", "CoreSettings", "core_settings"]
