"""The service's settings (``HYPEMETER_*``) and ``hypemeter serve`` passing its options to
the workers through them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypemeter.service.settings import Settings

# every test here starts without HYPEMETER_* settings (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("clean_env")


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HYPEMETER_PORT", "9123")
    monkeypatch.setenv("HYPEMETER_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("HYPEMETER_API_KEY", "k-0123456789abcdef")
    monkeypatch.setenv("HYPEMETER_ADMIN_KEY", "")
    monkeypatch.setenv("HYPEMETER_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("HYPEMETER_LOG_REQUESTS_TEXT", "true")
    monkeypatch.setenv("HYPEMETER_LOG_LEVEL", "WARNING")
    s = Settings()
    assert s.port == 9123 and s.models_dir == tmp_path
    assert s.api_key is not None and s.api_key.get_secret_value() == "k-0123456789abcdef"
    assert s.admin_key is None
    assert s.cors_origins == ["https://a.example", "https://b.example"]
    assert s.log_requests_text is True and s.log_level == "warning"
    monkeypatch.setenv("HYPEMETER_CORS_ORIGINS", '["https://c.example"]')
    assert Settings().cors_origins == ["https://c.example"]


def test_settings_defaults() -> None:
    s = Settings()
    assert (s.host, s.port, s.workers) == ("127.0.0.1", 8000, 1)
    assert s.api_key is None and s.admin_key is None and s.model_version is None
    assert (s.max_body_bytes, s.max_field_chars, s.max_batch_items) == (1_000_000, 200_000, 256)
    assert s.cors_origins == [] and s.log_requests_text is False


def test_serve_overrides_go_through_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from hypemeter.service import server

    monkeypatch.setenv("HYPEMETER_PORT", "1111")
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    assert server.serve(port=2222, workers=2, model=tmp_path, host="0.0.0.0") == 0
    assert os.environ["HYPEMETER_PORT"] == "2222"
    assert os.environ["HYPEMETER_MODELS_DIR"] == str(tmp_path.resolve())
    (call,) = calls
    assert call["app"] == "hypemeter.service.app:create_app" and call["factory"] is True
    assert (call["host"], call["port"], call["workers"]) == ("0.0.0.0", 2222, 2)
