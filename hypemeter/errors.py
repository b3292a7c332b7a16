"""One error hierarchy for the whole project.

Every error carries a stable machine ``code`` and the HTTP ``status`` it maps to; the service
turns any :class:`HypemeterError` into ``{"error": {"code", "message", "field"?}}`` in one place.
Errors only HTTP has (401, 403, 413, 415) live in :mod:`hypemeter.service.errors`.
"""

from __future__ import annotations


def describe(exc: BaseException) -> str:
    """An exception as ``Type: message`` (just ``Type`` when the message is empty)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def message_of(exc: BaseException) -> str:
    """An exception's message for ``"...: {message}"``: never empty, and with the type when
    the message alone says nothing (a KeyError's message is just the key, e.g. ``0``)."""
    text = str(exc).strip()
    if not text or isinstance(exc, KeyError | IndexError):
        return describe(exc)
    return text


class HypemeterError(Exception):
    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return {"error": body}


class InvalidInputError(HypemeterError):
    status = 422
    code = "invalid_input"


class UnsupportedLanguageError(InvalidInputError):
    """Text confidently in a language the model does not read (see hypemeter.language)."""

    code = "unsupported_language"

    def __init__(self, message: str, *, language: str = "und",
                 supported: tuple[str, ...] = (), field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.language = language
        self.supported = supported


class NotFoundError(HypemeterError):
    status = 404
    code = "not_found"


class UnknownProfileError(NotFoundError):
    """A profile name that no profile has (see :mod:`hypemeter.profiles`)."""

    code = "unknown_profile"


class ProfileExistsError(HypemeterError):
    status = 409
    code = "profile_exists"


class ModelNotReadyError(HypemeterError):
    status = 503
    code = "model_not_ready"


class ModelLoadError(HypemeterError):
    """A bundle could not be loaded (missing, unreadable, wrong format)."""

    status = 409
    code = "model_load_failed"


class ModelVersionNotFoundError(ModelLoadError):
    """The requested model version does not exist."""

    status = 404
    code = "model_version_not_found"


class ChecksumMismatchError(ModelLoadError):
    code = "model_checksum_mismatch"


class VersionMismatchError(ModelLoadError):
    code = "model_version_mismatch"


class DataError(HypemeterError):
    """A data file is missing or unreadable (CLI and training)."""

    status = 400
    code = "data_error"


class InvalidSettingError(HypemeterError):
    """A ``HYPEMETER_*`` setting has a value that cannot be used."""

    status = 500
    code = "invalid_setting"
class StorageUnavailableError(HypemeterError):
    """The feedback database cannot be reached or used right now (scoring is unaffected).

    ``reason`` holds the driver's own words for logs and the CLI; the API shows only
    ``message``, so host names and paths stay on the server.
    """

    status = 503
    code = "database_unavailable"

    def __init__(self, message: str, *, reason: str | None = None,
                 field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.reason = reason
