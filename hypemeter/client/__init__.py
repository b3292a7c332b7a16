"""A typed Python client for the hypemeter REST API (``hypemeter serve``), on httpx.

    from hypemeter import Client

    with Client("http://127.0.0.1:8000", api_key="my-key") as client:
        result = client.score(headline="SHOCKING: you won't believe this", body="...")
        print(result.scores["sensationalism"], [s.text for s in result.spans])
        results = client.score_batch([{"id": "1", "headline": "..."}, {"id": "2", "body": "..."}])
        print(client.model()["version"])

Results are the same :class:`hypemeter.records.results.ScoreResult` objects local scoring returns,
with the text's ``language``. Text in a language the model does not read is not scored:
:meth:`Client.score` raises :class:`hypemeter.errors.UnsupportedLanguageError` (the server's
422 ``unsupported_language``); in :meth:`Client.score_batch` such an item's result has
``scores`` None and its ``error`` set, the others are scored. ``language="en"`` asserts the
language instead (the result then has ``language_asserted`` True). An
error answer raises the error class the server mapped to its HTTP status
(:class:`hypemeter.errors.InvalidInputError` for a 422,
:class:`hypemeter.service.errors.UnauthorizedError` for a 401,
:class:`hypemeter.errors.ModelNotReadyError` for a 503, ...), with the server's message and
``field``; a server that cannot be reached raises :class:`ServiceUnreachableError`.

The client sits on top, like the CLI: it imports :mod:`hypemeter.service.errors` (the errors
only HTTP has, free of FastAPI), which the core never does. :mod:`hypemeter.client.engine`
scores files through the service for ``hypemeter score --server``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

# imported for its classes: the errors only HTTP has are found among HypemeterError's
# subclasses by their code
import hypemeter.service.errors  # noqa: F401
from hypemeter import __version__
from hypemeter.errors import HypemeterError
from hypemeter.records.results import ModelInfo, ResultError, ScoreResult, SentenceScore, Span

DEFAULT_TIMEOUT = 60.0


class ServiceUnreachableError(HypemeterError):
    """No answer from the service (refused connection, timeout, bad URL)."""

    status = 503
    code = "service_unreachable"


def _error_classes() -> dict[str, type[HypemeterError]]:
    found: dict[str, type[HypemeterError]] = {}
    todo: list[type[HypemeterError]] = [HypemeterError]
    while todo:
        cls = todo.pop()
        found.setdefault(cls.code, cls)
        todo.extend(cls.__subclasses__())
    return found


def error_from_response(response: httpx.Response) -> HypemeterError:
    """The :class:`HypemeterError` an error answer stands for (by its ``code``)."""
    try:
        body = response.json()["error"]
        code, message, field = str(body["code"]), str(body["message"]), body.get("field")
    except (ValueError, KeyError, TypeError):
        code, message, field = "http_error", response.text[:500] or response.reason_phrase, None
    cls = _error_classes().get(code)
    exc = (cls or HypemeterError)(message, field=field)
    if cls is None or cls.status != response.status_code:
        exc.status, exc.code = response.status_code, code  # keep what the server said
    return exc


def result_from_dict(data: Mapping[str, Any]) -> ScoreResult:
    """A :class:`ScoreResult` from its JSON form (``ScoreResult.to_dict``)."""
    scores = data.get("scores")
    error = data.get("error")
    return ScoreResult(
        id=data.get("id"),
        scores=None if scores is None else {str(k): float(v) for k, v in scores.items()},
        spans=[Span(field=s["field"], start=int(s["start"]), end=int(s["end"]), text=s["text"],
                    category=s["category"], weight=float(s["weight"]))
               for s in data.get("spans", [])],
        model=ModelInfo(name=data["model"]["name"], version=data["model"]["version"],
                        profile=data["model"].get("profile"),
                        adapter_version=data["model"].get("adapter_version")),
        sentences=None if data.get("sentences") is None else [
            SentenceScore(field=s["field"], start=int(s["start"]), end=int(s["end"]),
                          sensationalism=float(s["sensationalism"]))
            for s in data["sentences"]],
        language=str(data.get("language", "und")),
        language_asserted=bool(data.get("language_asserted", False)),
        error=None if error is None else ResultError(code=str(error["code"]),
                                                     message=str(error["message"])),
    )


class Client:
    """The hypemeter REST API at ``base_url``; ``api_key`` when the server needs one;
    ``profile``: score and correct as that profile (docs/profiles.md; each call can name
    another)."""

    def __init__(self, base_url: str, api_key: str | None = None, *,
                 timeout: float = DEFAULT_TIMEOUT,
                 transport: httpx.BaseTransport | None = None,
                 profile: str | None = None) -> None:
        self.profile = profile
        headers = {"User-Agent": f"hypemeter-client/{__version__}"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout,
                                  transport=transport)

    # -- plumbing

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise ServiceUnreachableError(
                f"cannot reach the hypemeter service at {self.base_url}: {exc}"
            ) from None
        if response.status_code >= 400:
            raise error_from_response(response)
        return response.json()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- the API

    def _profile(self, profile: str | None) -> str | None:
        return profile if profile is not None else self.profile

    def score(self, headline: str = "", body: str = "", *, id: str | None = None,
              explain: bool = True, max_spans: int | None = None,
              sentences: bool = False, profile: str | None = None,
              language: str | None = None) -> ScoreResult:
        """``POST /v1/score``: one article (``sentences``: also score every sentence;
        ``profile``: as that profile; ``language``: assert the text's language instead of
        detecting it).

        Raises :class:`hypemeter.errors.UnsupportedLanguageError` for text in a language the
        model does not read."""
        payload: dict[str, Any] = {"headline": headline, "body": body, "explain": explain}
        if self._profile(profile) is not None:
            payload["profile"] = self._profile(profile)
        if id is not None:
            payload["id"] = id
        if language is not None:
            payload["language"] = language
        if max_spans is not None:
            payload["max_spans"] = max_spans
        if sentences:
            payload["sentences"] = True
        return result_from_dict(self._request("POST", "/v1/score", payload))

    def score_batch(self, items: Sequence[Mapping[str, Any]], *, explain: bool = True,
                    max_spans: int | None = None, sentences: bool = False,
                    profile: str | None = None, language: str | None = None
                    ) -> list[ScoreResult]:
        """``POST /v1/score/batch``: items ``{"id"?, "headline"?, "body"?, "language"?}``,
        results in order. ``language`` asserts the language of every item that has none.

        One bad item fails the whole request (:class:`InvalidInputError` whose ``field`` names
        it, e.g. ``items.3.body``). An item in a language the model does not read does not:
        its result has ``scores`` None and ``error`` set.
        """
        payload: list[dict[str, Any]] = []
        for item in items:
            entry = {k: item[k] for k in ("id", "headline", "body", "language")
                     if item.get(k) is not None}
            if language is not None:
                entry.setdefault("language", language)
            entry["explain"] = explain
            if max_spans is not None:
                entry["max_spans"] = max_spans
            if sentences:
                entry["sentences"] = True
            payload.append(entry)
        body: dict[str, Any] = {"items": payload}
        if self._profile(profile) is not None:
            body["profile"] = self._profile(profile)
        answer = self._request("POST", "/v1/score/batch", body)
        return [result_from_dict(r) for r in answer["results"]]

    def model(self) -> dict[str, Any]:
        """``GET /v1/model``: the loaded model's card (version, corpora, metrics, ...)."""
        return dict(self._request("GET", "/v1/model"))

    def feedback(self, headline: str, body: str, *, labels: Mapping[str, Any] | None = None,
                 spans: Sequence[Mapping[str, Any]] | None = None,
                 **extra: Any) -> dict[str, Any]:
        """``POST /v1/feedback``: a correction of a result (labels and/or spans); returns
        ``{"feedback_id", "created_at"}``."""
        payload: dict[str, Any] = {"headline": headline, "body": body, **extra}
        if "profile" not in payload and self.profile is not None:
            payload["profile"] = self.profile
        if labels is not None:
            payload["labels"] = dict(labels)
        if spans is not None:
            payload["spans"] = [dict(s) for s in spans]
        return dict(self._request("POST", "/v1/feedback", payload))

    def profile_state(self, name: str | None = None) -> dict[str, Any]:
        """``GET /v1/profiles/{name}``: a profile's corrections and adapter."""
        name = self._profile(name)
        if name is None:
            raise ValueError("name a profile (here or as Client(profile=...))")
        return dict(self._request("GET", f"/v1/profiles/{name}"))


__all__ = ["Client", "ServiceUnreachableError", "error_from_response",
           "result_from_dict"]
