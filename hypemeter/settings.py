"""The one settings object: every ``HYPEMETER_*`` environment variable is read through it.

:class:`CoreSettings` holds what the core, the command line and training read;
:class:`hypemeter.service.settings.Settings` extends it with the service's settings, so
``Settings()`` is the whole configuration. Each call reads the environment afresh (a command
that changes ``os.environ`` sees the change). Each field's ``description`` is its documentation
(the docs site's configuration page is generated from it); the defaults are
:mod:`hypemeter.paths`'.
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
    models_dir: str | None = Field(None, description="models folder (holding `current` and "
                                   "`<version>/` bundles) or one bundle folder")
    data_dir: str | None = Field(
        None, description="where `hypemeter datasets`, `hypemeter train` and the corpus tools "
        "look for the public corpora; unset: `datasets/` in the user data folder "
        "(`~/.local/share/hypemeter/datasets` on Linux)")
    datasets_dir: str | None = Field(
        None, description="where the corpus catalog and the sample corpus are read from; "
        "unset: the source tree's `datasets/`")
    start_method: str | None = Field(
        None, description="how `hypemeter score --jobs N` starts its worker processes (`fork`, "
        "`forkserver` or `spawn`); unset: `fork` when safe, else `forkserver`")
    database_url: str | None = Field(
        None, description="the feedback database, a SQLAlchemy URL (`sqlite:///PATH` or "
        "`postgresql+psycopg://user:password@host/db`), also read by `hypemeter db`, "
        "`hypemeter feedback` and `hypemeter train --feedback`; unset: `feedback.db` in the "
        "user data folder")


def core_settings() -> CoreSettings:
    """The core settings from the environment, read now."""
    return CoreSettings()


__all__ = ["ENV_PREFIX", "CoreSettings", "core_settings"]
