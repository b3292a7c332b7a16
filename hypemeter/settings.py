"""The one settings object: every ``HYPEMETER_*`` environment variable is read through it.

:class:`CoreSettings` holds what the core, the command line and training read;
Variable                       Meaning (defaults: :mod:`hypemeter.paths`)
=============================  =========================================================
``HYPEMETER_MODELS_DIR``       models folder (``current`` + versions) or one bundle
``HYPEMETER_DATA_DIR``         folder of the public corpora (``hypemeter datasets``)
``HYPEMETER_DATASETS_DIR``     folder of the corpus catalog and the sample corpus
``HYPEMETER_START_METHOD``     how ``hypemeter score --jobs N`` starts its workers
``HYPEMETER_DATABASE_URL``     the feedback database (SQLAlchemy URL)
``HYPEMETER_DATABASE_TIMEOUT`` seconds any one feedback-database call may take (default 5)
=============================  =========================================================
=======
:class:`hypemeter.service.settings.Settings` extends it with the service's settings. Each call
reads the environment afresh; each field's ``description`` is its documentation.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "HYPEMETER_"


class CoreSettings(BaseSettings):
    """Settings of the core, the CLI and training; unset (``None``) means the default."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", case_sensitive=False, protected_namespaces=()
    )

    # Text as set (an empty value counts as unset); hypemeter.paths turns them into folders.
    models_dir: str | None = Field(None, description="models folder (`current` and `<version>/` "
                                   "bundles) or one bundle; unset: `./models`, else the source's")
    data_dir: str | None = Field(None, description="folder of the public corpora (`hypemeter "
                                 "datasets`, `train`); unset: `datasets/` in the user data folder")
    datasets_dir: str | None = Field(None, description="folder of the corpus catalog and the "
                                     "sample corpus; unset: the source tree's `datasets/`")
    start_method: str | None = Field(None, description="how `score --jobs N` starts processes "
                                     "(`fork`, `forkserver`, `spawn`); unset: fork when safe")
    database_url: str | None = Field(None, description="the feedback database (SQLAlchemy URL: "
                                     "`sqlite:///PATH`, `postgresql+psycopg://...`); unset: "
                                     "`feedback.db` in the user data folder")
    database_timeout: float | None = Field(None, description="seconds any one feedback-database "
                                           "call may take; unset: 5")

def core_settings() -> CoreSettings:
    """The core settings from the environment, read now."""
    return CoreSettings()


__all__ = ["ENV_PREFIX", "CoreSettings", "core_settings"]
