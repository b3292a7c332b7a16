"""One of each helper, same bytes as before: the result encoder (API bodies and
``hypemeter score`` lines), the input format rule, the file hash and the chunker."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from fastapi.responses import JSONResponse
from hypemeter.service.encoding import batch_response, result_response
from hypemeter.training.corpora import base as corpora_base

from hypemeter.bundles import bundle
from hypemeter.engines.output import render_jsonl
from hypemeter.engines.partitions import format_of as partitions_format_of
from hypemeter.records import batch
from hypemeter.records.io import BadRecord, InputRecord, format_of, iter_records
from hypemeter.records.json_output import result_json
from hypemeter.records.results import Article, ModelInfo, ScoreResult, Span
from hypemeter.scoring.scorer import Scorer

ODD_TEXT = 'quote " backslash \\ tab \t nl \n ctrl \x01 é 🚨 \u2028 </script>'


def reference(result: ScoreResult) -> str:
    """What the project wrote before there was one encoder: ``json.dumps`` of ``to_dict``."""
    return json.dumps(result.to_dict(), ensure_ascii=False, separators=(",", ":"))


def odd_results() -> list[ScoreResult]:
    model = ModelInfo("hypemeter", "v 1 ✓")
    spans = [Span("headline", 0, 5, ODD_TEXT, "loaded_language", 0.1 + 0.2),
             Span("body", 3, 9, "x", "urgency", 1e-17), Span("body", 0, 1, "", "c", 1.0)]
    return [
        ScoreResult(None, {"sensationalism": 0.0, "misinformation_risk": 1.0}, [], model),
        ScoreResult(ODD_TEXT, {"sensationalism": 0.123456789012, "misinformation_risk": 5e-324},
                    spans, model),
    ]


def test_the_encoder_writes_what_json_dumps_wrote(scorer: Scorer) -> None:
    results = odd_results() + scorer.score(
        [Article(headline="SHOCKING: you won't believe this 😱", body="Act now!\n\nReally.",
                 id="é1"), Article(body="The council met on Tuesday.")])
    for result in results:
        line = result_json(result)
        assert line == reference(result)
        # the API body is Starlette's JSONResponse, byte for byte
        assert result_response(result).body == JSONResponse(result.to_dict()).body
    assert render_jsonl(results) == "".join(reference(r) + "\n" for r in results)
    assert batch_response(results).body == JSONResponse(
        {"results": [r.to_dict() for r in results]}).body


def test_score_records_writes_the_same_lines(scorer: Scorer) -> None:
    arts = [Article(headline=f"Headline {i} 🚨", body=ODD_TEXT, id=str(i)) for i in range(5)]
    records: list[InputRecord | BadRecord] = [
        InputRecord("<test>", i + 1, a, {}) for i, a in enumerate(arts)]
    records.insert(2, BadRecord("<test>", 99, "bad json: nope"))
    out, err = io.StringIO(), io.StringIO()
    stats = batch.score_records(scorer, records, out, batch_size=2, errors=err)
    assert stats.scored == 5 and stats.skipped == 1
    assert out.getvalue() == "".join(reference(r) + "\n" for r in scorer.score(arts))


@pytest.mark.parametrize(("name", "fmt"), [
    ("a.csv", "csv"), ("A.CSV.GZ", "csv"), ("a.csv.gz", "csv"), ("a.parquet", "parquet"),
    ("a.pq", "parquet"), ("a.jsonl", "jsonl"), ("a.jsonl.gz", "jsonl"), ("a.json", "jsonl"),
    ("-", "jsonl"), ("notes.txt", "jsonl"),
])
def test_one_format_rule(name: str, fmt: str) -> None:
    assert format_of(name) == fmt
    assert partitions_format_of is format_of


def test_a_gzipped_csv_stream_is_read_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "in.csv.gz"
    path.write_bytes(gzip.compress(b"id,headline,body\n1,Act now,Really\n"))
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        (rec,) = list(iter_records(fh, str(path)))  # the format comes from the name
    assert isinstance(rec, InputRecord) and rec.article.headline == "Act now"
    with pytest.raises(Exception, match="Parquet is not a text format"):
        list(iter_records(io.StringIO(""), "x.parquet"))


def test_one_sha256_file_and_one_chunker(tmp_path: Path) -> None:
    assert corpora_base.sha256_file is bundle.sha256_file
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * (3 << 20))
    import hashlib

    assert bundle.sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    from hypemeter.training import evaluate

    assert evaluate.chunked is batch.chunked
    assert [len(c) for c in batch.chunked(iter(range(7)), 3)] == [3, 3, 1]


# --------------------------------------------------------------------------- one settings object


# Environment reads that are process plumbing, not settings: the Prometheus client's own
# PROMETHEUS_MULTIPROC_DIR, and `hypemeter serve` saving the variables it sets for its workers.
PLUMBING = {"MULTIPROC_ENV", "name"}


def _environ_reads(path: Path) -> list[str]:
    """``os.environ.get(...)``, ``os.getenv(...)`` and ``os.environ[...]`` reads in a module."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        target = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = ast.unparse(node.func)
            if target not in ("os.environ.get", "os.getenv", "environ.get"):
                continue
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            target = ast.unparse(node.value)
            if target not in ("os.environ", "environ"):
                continue
        else:
            continue
        key = node.args[0] if isinstance(node, ast.Call) and node.args else getattr(
            node, "slice", None)
        if key is not None and ast.unparse(key) in PLUMBING:
            continue
        found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    return found


def test_every_setting_is_read_through_the_settings_object(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from support.paths import REPO as REPO_ROOT

    reads = [r for package in ("hypemeter", "service", "training")
             for path in sorted((REPO_ROOT / package).rglob("*.py"))
             for r in _environ_reads(path)]
    assert not reads, f"read HYPEMETER_* through hypemeter.settings, not os.environ: {reads}"

    from hypemeter.service.settings import Settings

    from hypemeter.engines.local import start_method
    from hypemeter.paths import default_data_dir, default_models_dir
    from hypemeter.settings import CoreSettings

    assert issubclass(Settings, CoreSettings)
    monkeypatch.setenv("HYPEMETER_DATA_DIR", str(tmp_path / "corpora"))
    monkeypatch.setenv("HYPEMETER_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("HYPEMETER_START_METHOD", "spawn")
    assert Settings().data_dir == str(tmp_path / "corpora")
    assert default_data_dir() == tmp_path / "corpora"
    assert default_models_dir() == tmp_path / "models" == Settings().models_dir
    assert start_method() == "spawn"
    monkeypatch.setenv("HYPEMETER_MODELS_DIR", "")  # empty counts as unset, as before
    assert default_models_dir() != Path("")
