"""compose.yaml: hypemeter + PostgreSQL, wired together the way the README says."""

from __future__ import annotations

import yaml
from sqlalchemy.engine import make_url
from support.paths import REPO as REPO_ROOT


def test_compose_runs_the_service_on_postgresql_with_volumes_and_health_checks() -> None:
    doc = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = doc["services"]
    assert set(services) == {"db", "hypemeter"}
    db, app = services["db"], services["hypemeter"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "/healthz" in " ".join(app["healthcheck"]["test"])
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    # named volumes for the database and the models
    named = set(doc["volumes"])
    mounts = {v.split(":")[0] for s in services.values() for v in s.get("volumes", [])}
    assert mounts == named == {"pgdata", "models"}
    # the service's URL points at the db service with its credentials, through psycopg 3
    url = make_url(app["environment"]["HYPEMETER_DATABASE_URL"])
    env = db["environment"]
    assert url.drivername == "postgresql+psycopg" and url.host == "db"
    assert (url.username, url.password, url.database) == (
        env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"])
    assert app["build"] == "."
