"""The real path of a profile, for the benchmarks: a base model written as a bundle, served by
``hypemeter serve`` (its own SQLite database and admin key); per run a fresh profile gets the
corrections through ``POST /v1/feedback``, the bench waits on ``GET /v1/profiles/{name}``
until the adapter counts every label, then scores the test articles with
``POST /v1/score/batch`` and ``"profile"``.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
from serve_support import Served, start_serve

from hypemeter.bundles.bundle import read_card, resolve_bundle_dir, write_bundle
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import load_scorer

ADMIN_KEY = "bench-profile-path-admin"
ADMIN = {"X-API-Key": ADMIN_KEY}
HEAD = {"sensational": "sensationalism", "misinformation": "misinformation_risk"}


class ProfilePath:
    """A running server on ``model`` (a fitted HypeModel); a context manager."""

    def __init__(self, model: Any, card_from: Path, version: str) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-profile-path-")
        models = Path(self._tmp.name) / "models"
        card = dict(read_card(resolve_bundle_dir(card_from)))
        card["version"] = version
        if getattr(model, "span_model_", None) is None:
            # a model fitted without explanations does not pass the server's smoke test
            # (it scores with explanations): it borrows the shipped model's sentence
            # splitter and span model. The benches read scores only, which these never touch.
            shipped = load_scorer(card_from).bundle.model
            model.sentences_ = shipped.sentences_
            model.span_model_ = shipped.span_model_
        self.bundle = write_bundle(model, card, models)
        self._served: Served | None = None
        self.url = ""

    def __enter__(self) -> ProfilePath:
        self._served = start_serve(self.bundle, Path(self._tmp.name), {
            "HYPEMETER_DATABASE_URL": f"sqlite:///{Path(self._tmp.name) / 'feedback.db'}",
            "HYPEMETER_ADMIN_KEY": ADMIN_KEY})
        self.url = self._served.url
        return self

    def __exit__(self, *exc: object) -> None:
        if self._served is not None:
            self._served.stop(timeout=20)
        self._tmp.cleanup()

    def scores(self, corrections: Sequence[Mapping[str, Any]], test: Sequence[Article],
               label: str, timeout: float = 300.0) -> tuple[list[float], dict[str, Any]]:
        """Adapted scores (the head of ``label``) of ``test`` after ``corrections`` (each
        ``{"headline", "body", "labels": {label: 0|1}}``), and the profile's adapter state."""
        name = f"bench-{uuid.uuid4().hex[:12]}"
        with httpx.Client(base_url=self.url, timeout=120) as http:
            http.post("/v1/profiles", json={"name": name}, headers=ADMIN).raise_for_status()
            for c in corrections:
                body = {"headline": c["headline"], "body": c["body"], "labels": c["labels"],
                        "profile": name}
                http.post("/v1/feedback", json=body, headers=ADMIN).raise_for_status()
            deadline = time.monotonic() + timeout
            head = HEAD[label]
            while True:
                state = http.get(f"/v1/profiles/{name}", headers=ADMIN).json()
                adapter = state.get("adapter")
                if adapter and adapter["heads"][head]["labels"] == len(corrections) \
                        and not state["fit"]["pending"]:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no adapter on {len(corrections)} labels: "
                                       f"{json.dumps(state)[:500]}")
                time.sleep(0.2)
            out: list[float] = []
            for i in range(0, len(test), 256):
                # "language": every article scored, as the k = 0 model scores them in process
                # (the service refuses text it reads as another language: scores null)
                items = [{"headline": a.headline, "body": a.body, "explain": False,
                          "language": "en"} for a in test[i:i + 256]]
                r = http.post("/v1/score/batch", json={"items": items, "profile": name})
                r.raise_for_status()
                out += [res["scores"][head] for res in r.json()["results"]]
            http.delete(f"/v1/profiles/{name}", headers=ADMIN)
        return out, adapter["heads"][head]
