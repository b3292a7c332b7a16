"""The checkout the tests run from (not the installed package's folder: under a
non-editable install ``hypemeter.paths.REPO_ROOT`` is ``site-packages``)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
SHIPPED = MODELS / "current"
FIXTURES = REPO / "tests" / "fixtures"
