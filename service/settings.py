"""All service configuration in one typed object, read from ``HYPEMETER_*`` environment variables.

Variable                       Default                     Meaning
=============================  ==========================  ========================================
``HYPEMETER_HOST``             ``127.0.0.1``               interface ``hypemeter serve`` binds
``HYPEMETER_PORT``             ``8000``                    TCP port
``HYPEMETER_WORKERS``          ``1``                       uvicorn worker processes
``HYPEMETER_MODELS_DIR``       trained, else shipped       models directory (or one bundle dir);
                                                           unset: the user data folder's
                                                           ``models/`` once ``train`` published
                                                           there, else ``./models`` or the
                                                           repo's (:mod:`hypemeter.paths`)
``HYPEMETER_MODEL_VERSION``    unset (``current``)         bundle version to load at startup
``HYPEMETER_API_KEY``          unset (open)                key the ``/v1`` routes require
``HYPEMETER_ADMIN_KEY``        unset (reload disabled)     key ``POST /v1/admin/reload`` requires
``HYPEMETER_MAX_BODY_BYTES``   ``1000000``                 request bodies above this get 413
``HYPEMETER_MAX_FIELD_CHARS``  ``200000``                  headline/body above this get 413
``HYPEMETER_MAX_BATCH_ITEMS``  ``256``                     items per ``/v1/score/batch`` request
``HYPEMETER_CORS_ORIGINS``     empty (CORS off)            comma-separated or JSON list of origins
``HYPEMETER_LOG_REQUESTS_TEXT`` ``false``                  put request bodies in the access log
``HYPEMETER_LOG_LEVEL``        ``info``                    log level of the service loggers
``HYPEMETER_SCORE_MODE``       ``batch``                   how requests reach the model (below)
``HYPEMETER_SCORE_THREADS``    ``2``                       model calls running at once per
                                                           worker (``batch``/``thread`` modes)
``HYPEMETER_MAX_CONCURRENCY``  ``64``                      requests in progress per worker;
                                                           more get 503 with ``Retry-After``
``HYPEMETER_MAX_CONNECTIONS``  ``1000``                    open connections per worker
``HYPEMETER_KEEPALIVE_TIMEOUT`` ``5``                      seconds an idle keep-alive connection
                                                           stays open
``HYPEMETER_HEADER_TIMEOUT``   ``10``                      seconds to send a request's headers
``HYPEMETER_BODY_TIMEOUT``     ``30``                      seconds to send a request's body
``HYPEMETER_RUN_DIR``          set by ``hypemeter serve``  folder the workers share (reloads,
                                                           metrics)
``HYPEMETER_DATABASE_URL``     SQLite in the user data     feedback database (SQLAlchemy URL;
                               folder                      ``postgresql+psycopg://`` for PG)
``HYPEMETER_PROFILE_CACHE_SIZE`` ``4096``                  profiles' adapters kept loaded per
                                                           worker (an LRU; see docs/profiles.md)
``HYPEMETER_PROFILE_CACHE_MB`` ``64``                      MiB of adapters kept loaded per
                                                           worker (the LRU's other bound)
``HYPEMETER_PROFILE_POLL_SECONDS`` ``1``                   how often a worker looks for new
                                                           adapter versions and due refits
``HYPEMETER_PROFILE_DEBOUNCE_SECONDS`` ``0.5``             quiet time after a correction before
                                                           its profile refits
``HYPEMETER_PROFILE_MAX_WAIT_SECONDS`` ``3``               longest a refit waits for the quiet
``HYPEMETER_PROFILE_KEY_CACHE_SECONDS`` ``2``              how long a worker trusts a looked-up
                                                           profile key (revocation delay)
``HYPEMETER_PROFILE_FITS``     ``true``                    whether this server fits adapters
``HYPEMETER_MALLOC_MMAP_THRESHOLD`` ``131072``             bytes from which malloc maps a block
                                                           on its own (0: glibc's sliding one)
``HYPEMETER_MALLOC_TRIM_INTERVAL`` ``15``                  seconds between heap trims (0: none)
``HYPEMETER_DATABASE_TIMEOUT`` ``5``                       seconds any one database call may take
                                                           (connect, statement, socket wait)
``HYPEMETER_FEEDBACK_PAGE_BYTES`` ``8000000``              text bytes per ``GET /v1/feedback``
                                                           page (fewer rows than ``limit`` then)
``HYPEMETER_MAX_KEY_FAILURES`` ``20``                      wrong keys per client per
                                                           ``HYPEMETER_KEY_FAILURE_WINDOW``; more
                                                           get 429 (0: no limit)
``HYPEMETER_KEY_FAILURE_WINDOW`` ``60``                    seconds the failures are counted over
=============================  ==========================  ========================================

``Settings`` extends :class:`hypemeter.settings.CoreSettings` (``HYPEMETER_DATA_DIR``,
``HYPEMETER_DATASETS_DIR``, ``HYPEMETER_START_METHOD``, ``HYPEMETER_MODELS_DIR``): one settings
object reads every ``HYPEMETER_*`` variable.

Score modes (the model is CPU-bound and holds the GIL most of the time, so more threads per
worker add memory and tail latency, not throughput; scale out with ``HYPEMETER_WORKERS``):

* ``batch``: async endpoints; at most ``score_threads`` model calls at once, and single-article
  requests that arrive while the model is busy are scored together in one call (micro-batching).
* ``thread``: async endpoints calling the model with ``anyio.to_thread.run_sync`` under a
  ``score_threads`` limiter, one request per call.
* ``sync``: plain ``def`` endpoints on Starlette's shared 40-thread pool.
=======
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

MIN_KEY_CHARS = 16

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
    switch_interval_ms: float = Field(default=1.0, ge=0, le=100, description="milliseconds a "
                                      "thread holding the GIL (a model call) keeps it once the "
                                      "event loop asks for it (`sys.setswitchinterval`, set by "
                                      "each worker; 0: leave Python's 5)")
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
    malloc_arenas: int = Field(default=1, ge=0, le=64, description="malloc heaps per worker "
                               "(glibc; 0: its default): fewer hand freed memory back")
    # profiles (hypemeter.profiles, docs/profiles.md)
    profile_cache_size: int = Field(default=4096, ge=1, description="profiles' adapters kept "
                                    "loaded per worker (an LRU; profiles.md)")
    profile_cache_mb: float = Field(default=64.0, gt=0, description="MiB of adapters kept "
                                    "loaded per worker (the LRU's other bound)")
    profile_poll_seconds: float = Field(default=1.0, gt=0, le=5, description="how often a "
                                        "worker looks for new adapter versions and due refits")
    profile_debounce_seconds: float = Field(default=0.5, ge=0, description="quiet time after a "
                                            "correction before its profile refits")
    profile_max_wait_seconds: float = Field(default=3.0, ge=0, description="longest a refit "
                                            "waits for the quiet")
    profile_key_cache_seconds: float = Field(default=2.0, ge=0, le=5, description="how long a "
                                             "worker trusts a looked-up profile key (the "
                                             "revocation delay)")
    profile_fits: bool = Field(True, description="whether this server fits adapters")
    malloc_mmap_threshold: int = Field(default=131_072, ge=0, le=32 * 2**20, description="bytes "
                                       "from which malloc maps a block on its own (0: glibc's "
                                       "sliding default; operations.md)")
    malloc_trim_interval: float = Field(default=15.0, ge=0, description="seconds between heap "
                                        "trims (0: none)")
    database_timeout: float = Field(default=5.0, gt=0, le=600, description="seconds any one "
                                    "feedback-database call may take (connect, statement, "
                                    "socket wait)")
    feedback_page_bytes: int = Field(default=8_000_000, ge=1, description="text bytes per "
                                     "`GET /v1/feedback` page (fewer rows than `limit` then)")
    max_key_failures: int = Field(default=20, ge=0, description="wrong keys per client per "
                                  "`HYPEMETER_KEY_FAILURE_WINDOW`, counted in the database "
                                  "across workers; more get 429 (0: no limit)")
    key_failure_window: float = Field(default=60.0, gt=0, description="seconds the wrong keys "
                                      "are counted over")

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
            if len(secret) < MIN_KEY_CHARS:
                raise ValueError(
                    f"keys must have at least {MIN_KEY_CHARS} characters (this one has "
                    f"{len(secret)}): a short key is guessed in minutes; e.g. python -c "
                    "'import secrets; print(secrets.token_urlsafe(32))'"
                )
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
