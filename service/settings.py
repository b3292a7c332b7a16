"""All service configuration in one typed object, read from ``HYPEMETER_*`` environment variables.

Each field's ``description`` is its documentation: the configuration page of the docs site is
generated from these fields (``docs/gen/site.py``), so a new setting is documented where it is
declared. ``Settings`` extends :class:`hypemeter.settings.CoreSettings`: one settings object
reads every ``HYPEMETER_*`` variable.

Score modes (the model is CPU-bound and holds the GIL most of the time, so more threads per
worker add memory and tail latency, not throughput; scale out with ``HYPEMETER_WORKERS``):

* ``batch``: async endpoints; at most ``score_threads`` model calls at once, and single-article
  requests that arrive while the model is busy are scored together in one call (micro-batching).
* ``thread``: async endpoints calling the model with ``anyio.to_thread.run_sync`` under a
  ``score_threads`` limiter, one request per call.
* ``sync``: plain ``def`` endpoints on Starlette's shared 40-thread pool.
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
        default_factory=default_models_dir,
        description="models folder (holding `current` and `<version>/` bundles) or one bundle "
        "folder; unset: `./models` if it exists, else the source tree's `models/`")
    model_version: str | None = Field(
        None, description="bundle version to load at startup; unset: `current`")
    api_key: SecretStr | None = Field(
        None, description="key the `/v1` routes require (`Authorization: Bearer KEY` or "
        "`X-API-Key: KEY`; printable ASCII); unset: open")
    admin_key: SecretStr | None = Field(
        None, description="key the admin routes (`/v1/admin/reload`, reading and deleting "
        "corrections) require; unset: those routes answer 403")
    max_body_bytes: int = Field(
        default=1_000_000, ge=1, description="request bodies above this get 413")
    max_field_chars: int = Field(
        default=200_000, ge=1, description="a headline or body above this gets 413 (and is a "
        "skipped bad record in `hypemeter score` and `evaluate`)")
    max_batch_items: int = Field(
        default=256, ge=1, description="items per `/v1/score/batch` request")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="comma-separated or JSON list of allowed origins; "
        "empty: CORS off")
    log_requests_text: bool = Field(
        False, description="put request bodies in the access log (never otherwise)")
    log_level: LogLevel = Field("info", description="level of the service's loggers")
    score_mode: Literal["batch", "thread", "sync"] = Field(
        "batch", description="`batch` (micro-batches requests that arrive while the model is "
        "busy), `thread` (one request per model call in a thread) or `sync`")
    score_threads: int = Field(
        default=2, ge=1, le=64, description="model calls running at once per worker")
    max_concurrency: int = Field(
        default=64, ge=1, description="requests in progress per worker; more get 503 "
        "`overloaded` with `Retry-After: 1` (`/healthz`, `/readyz`, `/metrics` never are)")
    max_connections: int = Field(
        default=1000, ge=1, description="open connections per worker; a connection over it "
        "gets 503 with `Retry-After` and is closed")
    keepalive_timeout: float = Field(
        default=5.0, gt=0, description="seconds an idle keep-alive connection stays open")
    header_timeout: float = Field(
        default=10.0, gt=0, description="seconds a connection has to send a request's headers "
        "(from opening, or from a request's first byte); then 408 and closed")
    body_timeout: float = Field(
        default=30.0, gt=0, description="seconds to send a request's body; then 408 and closed")
    run_dir: Path | None = Field(
        None, description="where `hypemeter serve` creates the folder its workers share "
        "(published model, Prometheus multiprocess files), removed at exit; unset: the system "
        "temporary folder. Set it only when running `uvicorn --workers N` on the app factory "
        "directly (then `PROMETHEUS_MULTIPROC_DIR` must point at an empty folder)")
    malloc_arenas: int = Field(
        default=2, ge=0, le=64, description="malloc heaps a worker's threads share (glibc; `0` "
        "keeps the C library's default of 8 per core): fewer heaps hand freed memory back, so "
        "reloads and large requests do not ratchet the RSS up")

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

    database_url: SecretStr | None = Field(  # type: ignore[assignment]
        None, description=CoreSettings.model_fields["database_url"].description)

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
