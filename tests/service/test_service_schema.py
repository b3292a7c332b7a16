"""Property-based tests against the service's own OpenAPI document (schemathesis).

Every operation gets generated requests, valid and invalid; whatever comes in, the service must
not answer 5xx, and every response must be documented (status, content type) and match its
schema.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypemeter.service.app import create_app
from hypemeter.service.settings import Settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from support.texts import ADMIN_KEY

from hypemeter.scoring.scorer import Scorer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


# The app is built at import time (schemathesis reads /openapi.json to generate the tests; its
# lazy ``from_fixture`` loader does not work with pytest 9), without a model; the fixture below
# installs the session's scorer before each test. A small per-field limit lets the generator
# reach that 413 path without huge payloads. Its feedback database is a file of its own (built
# at import, the app would otherwise open the default one in the real user data folder).
APP = create_app(
    Settings(
        models_dir=Path("/nonexistent"),
        database_url=f"sqlite:///{Path(tempfile.mkdtemp(prefix='hypemeter-schema-'))}/fb.db",
        api_key=None,
        admin_key=ADMIN_KEY,
        model_version=None,
        max_field_chars=2_000,
        max_body_bytes=1_000_000,
        max_batch_items=256,
        cors_origins=[],
    )
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(autouse=True)
def _model(service_models_dir: Path, scorer: Scorer) -> None:
    holder = APP.state.holder
    holder.models_dir = service_models_dir
    holder.install(scorer)


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_openapi_conformance(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"X-API-Key": ADMIN_KEY}, checks=CHECKS)
