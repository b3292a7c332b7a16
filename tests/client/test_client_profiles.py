"""The Python client's ``profile=`` against the app in-process (its httpx transport)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings

from hypemeter.client import Client
from hypemeter.errors import UnknownProfileError
from hypemeter.scoring.scorer import Scorer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from profile_texts import newsroom

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.mark.slow  # waits for a background fit
def test_client_scores_and_corrects_as_a_profile(service_models_dir: Path, scorer: Scorer,
                                                 tmp_path: Path) -> None:
    admin = "admin-key-0123456789"
    settings = Settings(models_dir=service_models_dir, admin_key=admin,
                        database_url=f"sqlite:///{tmp_path / 'f.db'}",
                        profile_poll_seconds=0.2, profile_debounce_seconds=0.1)
    with TestClient(create_app(settings, scorer=scorer)) as app:
        app.post("/v1/profiles", json={"name": "acme"}, headers={"X-API-Key": admin})
        client = Client("http://testserver", api_key=admin, transport=app._transport,
                        profile="acme")
        for art in newsroom(40):
            client.feedback(art["headline"], art["body"],
                            labels={"sensational": art["label"]})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            adapter = client.profile_state()["adapter"]
            if adapter and adapter["heads"]["sensationalism"]["labels"] == 40:
                break
            time.sleep(0.1)
        art = newsroom(3, seed=4)[0]
        one = client.score(art["headline"], art["body"])
        assert one.model.profile == "acme" and one.model.adapter_version is not None
        batch = client.score_batch([{"headline": art["headline"], "body": art["body"]}])
        assert batch[0].scores == one.scores
        plain = client.score(art["headline"], art["body"], profile=None)
        assert plain.model.profile == "acme"  # None: the client's own profile
        with pytest.raises(UnknownProfileError):
            client.score(art["headline"], profile="ghost")
