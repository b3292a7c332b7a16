"""The short form of ``benchmarks/soak.py`` (20 s against ``hypemeter serve --workers 2``):
its correctness figures, never its timings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import REPO

pytestmark = pytest.mark.slow


def test_soak_short_form(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "soak.py"), "--duration", "20",
         "--json", str(out)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["unexpected_5xx"] == 0
    assert result["unexpected_non_2xx"] == {}, result["unexpected_non_2xx"]
    assert result["lost_requests"] == 0, result["lost_examples"]
    assert result["ok_by_kind"]["score"] > 0 and result["ok_by_kind"]["batch"] > 0
    for kind in ("bad-json", "oversized", "bad-content-length", "slow-headers", "slow-body",
                 "idle-connection"):
        assert any(key.startswith(f"{kind} -> ") for key in result["expected_non_2xx"]), kind
    reloads = result["reloads"]
    assert [r["target"] for r in reloads[:2]] == ["soak-b", "soak-broken"]
    for r in reloads:
        if r["target"] == "soak-broken":
            assert r["status"] == 409 and r["one_version"], r  # no worker changed
        else:
            assert r["status"] == 200 and r["reply"] == "reloaded", r
            assert r["one_version"] and r["versions_seen_after"] == [r["target"]], (
                    r["versions_seen_after"], r)  # "?": a /readyz probe got no version
            assert r["scored_by_since_reply"] in ([], [r["target"]]), r
