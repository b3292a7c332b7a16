"""``hypemeter.Client`` and ``hypemeter score --server URL`` against real server processes
(``hypemeter serve`` on a free loopback port), compared with local scoring on the same model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypemeter.service.errors import UnauthorizedError
from support.servers import Server, free_port
from support.texts import API_KEY, BODY, HEADLINE

import hypemeter
from hypemeter.bundles.bundle import load_bundle
from hypemeter.client import Client, ServiceUnreachableError
from hypemeter.errors import InvalidInputError
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

pytestmark = pytest.mark.slow


def test_client_results_equal_local_scoring(server: Server, scorer: Scorer,
                                            bundle_dir: Path) -> None:
    assert hypemeter.Client is Client
    with Client(server.url) as client:
        got = client.score(headline=HEADLINE, body=BODY, id="a1")
        assert got == scorer.score_one(Article(headline=HEADLINE, body=BODY, id="a1"))
        assert got.spans and got.scores["sensationalism"] > 0.5
        short = client.score(headline=HEADLINE, max_spans=1, explain=True)
        assert len(short.spans) == 1 and short.id is None
        items = [{"id": "x", "headline": HEADLINE}, {"id": "y", "body": "The report was out."}]
        batch = client.score_batch(items, explain=False)
        assert [r.id for r in batch] == ["x", "y"] and all(not r.spans for r in batch)
        assert batch == scorer.score([Article(headline=HEADLINE, id="x"),
                                      Article(body="The report was out.", id="y")],
                                     explain=False)
        card = client.model()
        assert card["version"] == load_bundle(bundle_dir).card["version"]


def test_client_raises_the_servers_error_classes(server: Server, keyed_server: Server) -> None:
    with Client(server.url) as client:
        with pytest.raises(InvalidInputError) as exc:
            client.score_batch([{"id": "1", "headline": "fine"}, {"id": "2"}])
        assert exc.value.status == 422 and exc.value.field is not None
        assert exc.value.field.startswith("items.1")
        with pytest.raises(InvalidInputError) as exc:  # a span past the end of the body
            client.feedback("A headline", "A body", spans=[
                {"field": "body", "start": 2, "end": 60, "verdict": "loaded"}])
        assert exc.value.status == 422 and exc.value.field == "spans.0.end"
        created = client.feedback("A headline", "A body", labels={"sensational": 1})
        assert created["feedback_id"] and created["created_at"]
    with Client(keyed_server.url) as client, pytest.raises(UnauthorizedError) as exc:
        client.score(headline=HEADLINE)
    assert exc.value.status == 401
    with Client(keyed_server.url, api_key=API_KEY) as client:
        assert client.score(headline=HEADLINE).scores
    with Client(f"http://127.0.0.1:{free_port()}", timeout=5) as client, \
            pytest.raises(ServiceUnreachableError):
        client.model()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hypemeter", "score", *args, "--quiet"],
                          capture_output=True, text=True, timeout=300)


def test_score_through_the_server_gives_the_local_output(
    server: Server, keyed_server: Server, bundle_dir: Path, tmp_path: Path
) -> None:
    rows = [json.dumps({"id": f"r{i}", "headline": f"{HEADLINE} {i}", "body": BODY})
            for i in range(300)]  # more than one request of 256
    rows[5] = '{"id": "broken", "headline": '  # bad JSON: reported, skipped
    rows[7] = json.dumps({"id": "empty", "headline": "", "body": ""})  # nothing to score
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")

    local = run_cli(str(src), "--model", str(bundle_dir))
    remote = run_cli(str(src), "--server", server.url)
    assert local.returncode == remote.returncode == 3, (local.stderr, remote.stderr)
    assert remote.stdout == local.stdout
    assert len(local.stdout.splitlines()) == 298
    for err in (local.stderr, remote.stderr):
        assert f"{src}:6" in err and f"{src}:8" in err
        assert "scored 298 record(s)" in err and "skipped 2 bad record(s)" in err

    out_local, out_remote = tmp_path / "local.jsonl", tmp_path / "remote.jsonl"
    assert run_cli(str(src), "--model", str(bundle_dir), "--no-explain",
                   "-o", str(out_local)).returncode == 3
    keyed = run_cli(str(src), "--server", keyed_server.url, "--api-key", API_KEY, "--no-explain",
                    "-o", str(out_remote))
    assert keyed.returncode == 3, keyed.stderr
    assert out_remote.read_bytes() == out_local.read_bytes()

    denied = run_cli(str(src), "--server", keyed_server.url, "-o", str(tmp_path / "no.jsonl"))
    assert denied.returncode == 2 and "error:" in denied.stderr
    assert "unauthorized" in denied.stderr.lower() or "key" in denied.stderr.lower()
    no = tmp_path / "no.jsonl"
    assert not no.exists() or no.read_text() == ""  # nothing scored is written


def test_sentence_scores_through_the_server_equal_local_ones(
    server: Server, bundle_dir: Path, tmp_path: Path
) -> None:
    """``--sentences`` reaches the server: JSONL and CSV (with its ``sentences`` column) come
    out as local scoring writes them."""
    rows = [json.dumps({"id": f"s{i}", "headline": f"{HEADLINE} {i}", "body": BODY})
            for i in range(5)]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    for name in ("out.jsonl", "out.csv"):
        local, remote = tmp_path / f"local-{name}", tmp_path / f"remote-{name}"
        assert run_cli(str(src), "--model", str(bundle_dir), "--sentences",
                       "-o", str(local)).returncode == 0
        assert run_cli(str(src), "--server", server.url, "--sentences",
                       "-o", str(remote)).returncode == 0
        assert remote.read_bytes() == local.read_bytes()
    first = json.loads((tmp_path / "remote-out.jsonl").read_text().splitlines()[0])
    fields = [s["field"] for s in first["sentences"]]  # both fields', the headline's first
    assert set(fields) == {"headline", "body"}
    assert fields == sorted(fields, key=["headline", "body"].index)
    with Client(server.url) as client:
        result = client.score(f"{HEADLINE} 0", BODY, sentences=True)
        assert result.sentences and result.to_dict()["sentences"] == first["sentences"]
        assert client.score(HEADLINE, BODY).sentences is None


def test_a_record_the_server_rejects_is_reported_and_the_rest_scored(
    keyed_server: Server, bundle_dir: Path, tmp_path: Path
) -> None:
    rows = [{"id": f"r{i}", "headline": f"{HEADLINE} {i}", "body": BODY} for i in range(6)]
    rows[3]["body"] = "word " * 1500  # over the server's 5,000 characters: a 413 for item 3
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    remote = run_cli(str(src), "--server", keyed_server.url, "--api-key", API_KEY)
    assert remote.returncode == 3, remote.stderr
    assert f"{src}:4" in remote.stderr and "rejected by the server" in remote.stderr
    kept = tmp_path / "kept.jsonl"
    kept.write_text("".join(json.dumps(r) + "\n" for i, r in enumerate(rows) if i != 3))
    local = run_cli(str(kept), "--model", str(bundle_dir))
    assert local.returncode == 0
    assert remote.stdout == local.stdout and len(local.stdout.splitlines()) == 5
