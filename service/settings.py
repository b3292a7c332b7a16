"""All service configuration in one typed object, read from ``HYPEMETER_*`` environment variables.

Each field's ``description`` is its documentation (the docs site's configuration page is
generated from them); ``Settings`` extends :class:`hypemeter.settings.CoreSettings`, so one
object reads every ``HYPEMETER_*`` variable. The score modes are explained by
:class:`hypemeter.service.handling.ScoreHandler`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from hypemeter.paths import default_models_dir
from hypemeter.settings import ENV_PREFIX, CoreSettings

LogLevel = Literal["critical", "error", "warning", "info", "debug"]


def _core(name: str) -> str | None:
    return CoreSettings.model_fields[name].description


class Settings(CoreSettings):
    """All settings: the core's (:class:`hypemeter.settings.CoreSettings`: data dir, datasets
    dir, start method) and the service's; every field can be set with ``HYPEMETER_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="ignore",
        case_sensitive=False,
        protected_namespaces=(),
    )

    host: str = Field("127.0.0.1", description="interface to bind")
    port: int = Field(default=8000, ge=0, le=65535, description="TCP port")
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes (one per core)")
    models_dir: Path = Field(  # type: ignore[assignment]
        default_factory=default_models_dir, description=_core("models_dir"))
    model_version: str | None = Field(None, description="bundle to load at start; unset: current")
    api_key: SecretStr | None = Field(None, description="key the `/v1` routes require (as "
                                      "`Authorization: Bearer KEY` or `X-API-Key`); unset: open")
    admin_key: SecretStr | None = Field(None, description="key of the admin routes (reload, "
                                        "reading corrections); unset: they answer 403")
    max_body_bytes: int = Field(default=1_000_000, ge=1, description="larger bodies get 413")
    max_field_chars: int = Field(default=200_000, ge=1, description="a longer headline or body "
                                 "gets 413 (a bad record in `hypemeter score` and `evaluate`)")
    max_batch_items: int = Field(default=256, ge=1, description="items per batch request")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="allowed origins, comma-separated or JSON; empty: off")
    log_requests_text: bool = Field(False, description="put request bodies in the access log")
    log_level: LogLevel = Field("info", description="level of the service's loggers")
    score_mode: Literal["batch", "thread", "sync"] = Field("batch", description="`batch` "
        "(micro-batching), `thread` (a thread per request) or `sync` (ScoreHandler)")
    score_threads: int = Field(default=2, ge=1, le=64, description="model calls at once per worker")
    max_concurrency: int = Field(default=64, ge=1, description="requests in progress per worker; "
                                 "more get 503 `overloaded` (never the probes and `/metrics`)")
    max_connections: int = Field(default=1000, ge=1, description="open connections per worker; "
                                 "one more gets 503 and is closed")
    keepalive_timeout: float = Field(default=5.0, gt=0, description="seconds an idle connection "
                                     "stays open")
    header_timeout: float = Field(default=10.0, gt=0, description="seconds to send a request's "
                                  "headers; then 408 and closed")
    body_timeout: float = Field(default=30.0, gt=0, description="seconds to send a request's "
                                "body; then 408 and closed")
    run_dir: Path | None = Field(None, description="where `hypemeter serve` puts the folder its "
                                 "workers share; unset: the temporary folder (deployment.md)")
    malloc_arenas: int = Field(default=2, ge=0, le=64, description="malloc heaps per worker "
                               "(glibc; 0: its default): fewer hand freed memory back")

    @field_validator("api_key", "admin_key", mode="after")
    @classmethod
    def _ascii_key(cls, value: SecretStr | None) -> SecretStr | None:
        """HTTP header values are bytes; only printable ASCII means the same to every client
        (a browser's fetch refuses anything else), so other keys are refused at start."""
        if value is not None:
            secret = value.get_secret_value()
            if any(not 0x20 <= ord(ch) <= 0x7E for ch in secret):
                raise ValueError(
                    "keys must be printable ASCII (letters, digits, punctuation): HTTP headers "
                    "carry other characters differently from client to client"
                )
            if secret != secret.strip():
                raise ValueError("keys must not start or end with spaces")
        return value

    database_url: SecretStr | None = Field(None, description=_core("database_url"))  # type: ignore[assignment]

    @field_validator("api_key", "admin_key", "model_version", "run_dir", "database_url",
                     mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, SecretStr) and not value.get_secret_value().strip():
            return None
        return value

    @field_validator("database_url")
    @classmethod
    def _parse_database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from hypemeter.errors import DataError
            from hypemeter.storage.engine import resolve_url

            try:
                resolve_url(value.get_secret_value())
            except DataError as exc:
                raise ValueError(exc.message) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_level(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return []
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value
