"""Batch scoring engines: partitioned I/O, bad records and partitions, same bytes everywhere."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.benchmarks import load_make_articles

from hypemeter.cli import main
from hypemeter.engines import ScoreOptions, make_engine
from hypemeter.engines.base import process_chunk
from hypemeter.engines.partitions import (
    Chunk,
    PartitionError,
    iter_chunks,
    resolve_inputs,
)
from hypemeter.errors import DataError, InvalidInputError
from hypemeter.records.batch import score_stream
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

make_articles = load_make_articles()


def articles(n: int, seed: int = 0) -> list[dict[str, Any]]:
    return list(make_articles.generate(n, seed, labels=False))


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def run(inp: Path | str, out: Path | str, bundle_dir: Path, scorer: Scorer,
        **kw: Any) -> tuple[Any, str]:
    err = io.StringIO()
    stats = score_stream(str(inp), str(out), model_path=bundle_dir, quiet=True, errors=err,
                         scorer=scorer, **kw)
    return stats, err.getvalue()


def sorted_by_id(text: str) -> bytes:
    lines = [ln for ln in text.splitlines() if ln]
    lines.sort(key=lambda ln: json.loads(ln)["id"])
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def partitions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three JSONL partitions (40 articles) with two bad lines in the second."""
    d = tmp_path_factory.mktemp("parts")
    rows = articles(40, seed=11)
    write_jsonl(d / "part-0.jsonl", rows[:15])
    second = [json.dumps(r) for r in rows[15:30]]
    second.insert(3, "{not json")
    second.insert(7, json.dumps({"id": "empty", "headline": "", "body": "  "}))
    (d / "part-1.jsonl").write_text("\n".join(second) + "\n", encoding="utf-8")
    write_jsonl(d / "part-2.jsonl", rows[30:])
    return d


# --- inputs -------------------------------------------------------------------------------


def test_resolve_inputs_file_directory_glob(tmp_path: Path) -> None:
    for name in ("b.jsonl", "a.csv", "c.parquet", "notes.txt", ".hidden.jsonl"):
        (tmp_path / name).write_text("")
    parts = resolve_inputs(str(tmp_path))
    assert [Path(p.path).name for p in parts] == ["a.csv", "b.jsonl", "c.parquet"]
    assert [p.fmt for p in parts] == ["csv", "jsonl", "parquet"]
    assert [p.index for p in parts] == [0, 1, 2]
    assert [Path(p.path).name for p in resolve_inputs(str(tmp_path / "*.jsonl"))] == ["b.jsonl"]
    assert resolve_inputs(str(tmp_path / "a.csv"), "jsonl")[0].fmt == "jsonl"
    assert resolve_inputs("-")[0].source == "<stdin>"
    with pytest.raises(DataError, match="no such file"):
        resolve_inputs(str(tmp_path / "missing.jsonl"))
    with pytest.raises(DataError, match="no files match"):
        resolve_inputs(str(tmp_path / "*.tsv"))


def test_chunks_never_mix_partitions_and_keep_line_numbers(partitions: Path) -> None:
    chunks = list(iter_chunks(resolve_inputs(str(partitions)), 6))
    assert [c.part for c in chunks] == [0, 0, 0, 1, 1, 1, 2, 2]
    assert [c.first_line for c in chunks if c.part == 1] == [1, 7, 13]
    assert sum(c.size for c in chunks) == 42


def test_chunks_are_read_lazily(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", articles(30))
    it = iter_chunks(resolve_inputs(str(tmp_path / "a.jsonl")), 10)
    first = next(it)
    assert first.lines is not None and len(first.lines) == 10
    it.close()  # closing the generator closes the file


# --- scoring, bad records, bad partitions ---------------------------------------------------


def test_bad_records_reported_with_file_and_line(partitions: Path, bundle_dir: Path,
                                                 scorer: Scorer, tmp_path: Path) -> None:
    stats, err = run(partitions, tmp_path / "out.jsonl", bundle_dir, scorer)
    assert (stats.scored, stats.skipped, stats.partitions) == (40, 2, 3)
    bad = partitions / "part-1.jsonl"
    assert f"skipped record {bad}:4: invalid JSON" in err
    assert f"skipped record {bad}:8: fields 'headline' and 'body' are both empty" in err
    out = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    expected = [r["id"] for r in articles(40, seed=11)]
    assert [json.loads(ln)["id"] for ln in out] == expected  # input order kept
    first = json.loads(out[0])
    assert set(first) == {"id", "scores", "spans", "model", "language", "language_asserted"}
    assert set(first["scores"]) == {"sensationalism", "misinformation_risk"}


def test_formats_give_the_same_results(bundle_dir: Path, scorer: Scorer, tmp_path: Path) -> None:
    rows = articles(12, seed=5)
    write_jsonl(tmp_path / "in.jsonl", rows)
    make_articles.write_rows(rows, tmp_path / "in.csv", "csv")
    make_articles.write_rows(rows, tmp_path / "in.parquet", "parquet")
    with gzip.open(tmp_path / "in.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in rows))
    outs = {}
    for name in ("in.jsonl", "in.csv", "in.parquet", "in.jsonl.gz"):
        stats, err = run(tmp_path / name, tmp_path / f"{name}.out.jsonl", bundle_dir, scorer)
        assert (stats.scored, stats.skipped, err) == (12, 0, "")
        outs[name] = (tmp_path / f"{name}.out.jsonl").read_bytes()
    assert len(set(outs.values())) == 1


def test_csv_and_parquet_output(bundle_dir: Path, scorer: Scorer, tmp_path: Path) -> None:
    import csv

    import pyarrow.parquet as pq

    rows = articles(9, seed=2)
    write_jsonl(tmp_path / "in.jsonl", rows)
    run(tmp_path / "in.jsonl", tmp_path / "out.jsonl", bundle_dir, scorer)
    reference = [json.loads(ln) for ln in (tmp_path / "out.jsonl").read_text().splitlines()]
    run(tmp_path / "in.jsonl", tmp_path / "out.csv", bundle_dir, scorer)
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as fh:
        got = list(csv.DictReader(fh))
    assert [r["id"] for r in got] == [r["id"] for r in reference]
    assert [float(r["sensationalism"]) for r in got] == [
        r["scores"]["sensationalism"] for r in reference]
    assert [json.loads(r["spans"]) for r in got] == [r["spans"] for r in reference]
    run(tmp_path / "in.jsonl", tmp_path / "out.parquet", bundle_dir, scorer)
    table = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [r["id"] for r in table] == [r["id"] for r in reference]
    assert [r["misinformation_risk"] for r in table] == [
        r["scores"]["misinformation_risk"] for r in reference]
    assert [r["spans"] for r in table] == [r["spans"] for r in reference]
    with pytest.raises(DataError, match="Parquet output"):
        run(tmp_path / "in.jsonl", "-", bundle_dir, scorer, output_format="parquet")


def test_csv_and_parquet_output_carry_sentence_scores(bundle_dir: Path, scorer: Scorer,
                                                     tmp_path: Path) -> None:
    """``--sentences`` adds a last column ``sentences``: JSON text in CSV (like ``spans``), a
    list of structs in Parquet, holding what the JSON result's ``sentences`` holds; without
    it the columns stay as they were."""
    import csv

    import pyarrow.parquet as pq

    from hypemeter.engines.output import CSV_COLUMNS

    rows = articles(7, seed=5)
    rows.append({"id": "headline-only", "headline": "You won't believe what happened next!"})
    write_jsonl(tmp_path / "in.jsonl", rows)
    run(tmp_path / "in.jsonl", tmp_path / "out.jsonl", bundle_dir, scorer, sentences=True)
    reference = [json.loads(ln) for ln in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert all(r["sentences"] for r in reference)
    assert any(s["field"] == "body" for s in reference[0]["sentences"])

    run(tmp_path / "in.jsonl", tmp_path / "out.csv", bundle_dir, scorer, sentences=True)
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as fh:
        header, *body = list(csv.reader(fh))
    assert header == [*CSV_COLUMNS, "sentences"]
    got = [dict(zip(header, row, strict=True)) for row in body]
    assert [json.loads(r["sentences"]) for r in got] == [r["sentences"] for r in reference]
    assert [json.loads(r["spans"]) for r in got] == [r["spans"] for r in reference]
    # the same compact JSON text as the spans column
    first = got[0]["sentences"]
    assert first.startswith('[{"field":') and ", " not in first[:40]

    run(tmp_path / "in.jsonl", tmp_path / "out.parquet", bundle_dir, scorer, sentences=True)
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.column_names == [*CSV_COLUMNS, "sentences"]
    assert str(table.schema.field("sentences").type) == (
        "list<element: struct<field: string, start: int64, end: int64, "
        "sensationalism: double>>")
    assert [r["sentences"] for r in table.to_pylist()] == [r["sentences"] for r in reference]

    # without --sentences: no such column, as before
    run(tmp_path / "in.jsonl", tmp_path / "plain.csv", bundle_dir, scorer)
    assert (tmp_path / "plain.csv").read_text(encoding="utf-8").splitlines()[0] == \
        ",".join(CSV_COLUMNS)
    run(tmp_path / "in.jsonl", tmp_path / "plain.parquet", bundle_dir, scorer)
    assert pq.read_table(tmp_path / "plain.parquet").column_names == list(CSV_COLUMNS)


def test_directory_output_one_part_per_partition(partitions: Path, bundle_dir: Path,
                                                 scorer: Scorer, tmp_path: Path) -> None:
    out = tmp_path / "scored"
    stats, _ = run(partitions, f"{out}/", bundle_dir, scorer)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]
    assert [sum(1 for _ in (out / n).open()) for n in names] == [15, 15, 10]
    assert stats.outputs == [str(out / n) for n in names]


def test_bad_partition_never_loses_the_others(bundle_dir: Path, scorer: Scorer,
                                              tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    rows = articles(30, seed=3)
    write_jsonl(src / "a.jsonl", rows[:10])
    (src / "b.parquet").write_bytes(b"PAR1 this is not a parquet file")
    full = gzip.compress("".join(json.dumps(r) + "\n" for r in rows[10:20]).encode())
    (src / "c.jsonl.gz").write_bytes(full[: len(full) // 2])  # truncated
    make_articles.write_rows(rows[20:], src / "d.csv", "csv")
    stats, err = run(src, f"{tmp_path / 'out'}/", bundle_dir, scorer)
    assert stats.bad_partitions == 2
    assert f"skipped partition {src / 'b.parquet'}: cannot read partition" in err
    assert f"skipped partition {src / 'c.jsonl.gz'}:" in err
    assert "partition breaks off here" in err
    ids = [json.loads(ln)["id"] for p in sorted((tmp_path / "out").iterdir())
           for ln in p.read_text().splitlines()]
    assert ids[:10] == [r["id"] for r in rows[:10]]
    assert ids[-10:] == [r["id"] for r in rows[20:]]
    assert 10 < len(ids) < 30  # the lines before the truncation were kept too
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_unreadable_file_is_a_bad_partition(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    write_jsonl(src / "a.jsonl", articles(3))
    write_jsonl(src / "b.jsonl", articles(3, seed=1))
    parts = resolve_inputs(str(src / "*.jsonl"))
    (src / "b.jsonl").unlink()  # gone between listing and reading
    chunks = list(iter_chunks(parts, 100))
    assert len(chunks[0].lines or []) == 3
    assert isinstance(chunks[-1].bad[0], PartitionError)
    assert str(chunks[-1].bad[0]) == (
        f"{src / 'b.jsonl'}: cannot read partition: No such file or directory")


class _PickyScorer:
    """Raises on any batch holding an article whose headline is 'boom'."""

    def __init__(self, inner: Scorer) -> None:
        self.inner = inner

    def score(self, arts: list[Article], **kw: Any) -> Any:
        if any(a.headline == "boom" for a in arts):
            raise ValueError("cannot handle boom")
        return self.inner.score(arts, **kw)


def test_unscorable_record_is_isolated(scorer: Scorer) -> None:
    items = [(1, Article("fine", "text", "a")), (2, Article("boom", "x", "b")),
             (3, Article("also fine", "", "c"))]
    chunk = Chunk(part=0, seq=0, source="f.jsonl", items=items)
    res = process_chunk(_PickyScorer(scorer), chunk, ScoreOptions())  # type: ignore[arg-type]
    assert res.scored == 2
    assert [str(b) for b in res.bad] == ["f.jsonl:2: cannot score: cannot handle boom"]
    assert [json.loads(ln)["id"] for ln in res.payload.splitlines()] == ["a", "c"]  # type: ignore[union-attr]


def test_engine_arguments_are_checked(scorer: Scorer) -> None:
    with pytest.raises(InvalidInputError, match="jobs"):
        make_engine(scorer, ScoreOptions(), jobs=0)
    with pytest.raises(InvalidInputError, match="scheduler"):
        make_engine(scorer, ScoreOptions(), scheduler="tcp://x:1")
    with pytest.raises(InvalidInputError, match="unknown engine"):
        make_engine(scorer, ScoreOptions(), engine="spark")


def test_cli_exit_codes_and_no_progress_when_piped(partitions: Path, bundle_dir: Path,
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    good = partitions / "part-0.jsonl"
    assert main(["score", str(good), "-o", str(tmp_path / "a.jsonl"),
                 "--model", str(bundle_dir), "--no-explain"]) == 0
    err = capsys.readouterr().err
    assert "scored 15 record(s) from 1 partition(s), skipped 0" in err
    assert "rec/s" not in err and "\r" not in err  # no tqdm bar off a terminal
    assert all(json.loads(ln)["spans"] == [] for ln in (tmp_path / "a.jsonl").open())
    assert main(["score", str(partitions), "-o", str(tmp_path / "b.jsonl"),
                 "--model", str(bundle_dir)]) == 3
    assert main(["score", str(tmp_path / "nope.jsonl"), "--model", str(bundle_dir)]) == 2


# --- every engine, same bytes ---------------------------------------------------------------


class _Counting:
    """Wraps a chunk iterator and records how far ahead of the results it was pulled."""

    def __init__(self, chunks: Iterator[Chunk]) -> None:
        self.chunks = chunks
        self.pulled = 0

    def __iter__(self) -> Iterator[Chunk]:
        for c in self.chunks:
            self.pulled += 1
            yield c


def test_start_method_can_be_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    from hypemeter.engines.local import start_method

    monkeypatch.setenv("HYPEMETER_START_METHOD", "spawn")
    assert start_method() == "spawn"
    monkeypatch.setenv("HYPEMETER_START_METHOD", "teleport")
    with pytest.raises(InvalidInputError, match="HYPEMETER_START_METHOD"):
        start_method()
    monkeypatch.delenv("HYPEMETER_START_METHOD")
    assert start_method() in ("fork", "forkserver")


@pytest.mark.slow
@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_process_pool_keeps_order_and_a_bounded_window(method: str, bundle_dir: Path,
                                                       scorer: Scorer, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPEMETER_START_METHOD", method)
    write_jsonl(tmp_path / "a.jsonl", articles(60, seed=9))
    counting = _Counting(iter_chunks(resolve_inputs(str(tmp_path / "a.jsonl")), 3))
    engine = make_engine(scorer, ScoreOptions(), jobs=2)
    assert engine.start_method == method  # type: ignore[attr-defined]
    try:
        ahead = []
        seqs = []
        for res in engine.map(counting):
            ahead.append(counting.pulled - len(seqs))
            seqs.append(res.seq)
    finally:
        engine.close()
    assert seqs == list(range(20))
    assert max(ahead) <= engine.window  # type: ignore[attr-defined]


@pytest.mark.slow
def test_every_engine_gives_the_same_bytes(partitions: Path, bundle_dir: Path, scorer: Scorer,
                                           tmp_path: Path) -> None:
    outs: dict[str, str] = {}
    for name, kw in {
        "inline": {},
        "pool": {"jobs": 2},
        "dask": {"engine": "dask", "jobs": 2},
    }.items():
        stats, err = run(partitions, tmp_path / f"{name}.jsonl", bundle_dir, scorer,
                         batch_size=7, **kw)
        assert (stats.scored, stats.skipped) == (40, 2), name
        assert err.count("skipped record") == 2, name
        outs[name] = (tmp_path / f"{name}.jsonl").read_text(encoding="utf-8")
    assert sorted_by_id(outs["pool"]) == sorted_by_id(outs["inline"])
    assert sorted_by_id(outs["dask"]) == sorted_by_id(outs["inline"])
    assert outs["pool"] == outs["inline"] == outs["dask"]  # input order, too


@pytest.mark.slow
def test_dask_ships_the_model_once_per_worker(bundle_dir: Path, scorer: Scorer,
                                              tmp_path: Path) -> None:
    from hypemeter.engines.dask_engine import DaskEngine

    write_jsonl(tmp_path / "a.jsonl", articles(40, seed=4))
    (tmp_path / "b.parquet").write_bytes(b"garbage")
    engine = DaskEngine(scorer.bundle, ScoreOptions(explain=False), workers=2)
    try:
        parts = resolve_inputs(str(tmp_path))
        results = list(engine.map(iter_chunks(parts, 4)))
        loads = engine.loads_per_worker()
    finally:
        engine.close()
    assert sum(r.scored for r in results) == 40
    assert [type(b).__name__ for r in results for b in r.bad] == ["PartitionError"]
    assert sorted(loads.values()) == [1, 1]  # 11 tasks, yet each worker loaded the model once


@pytest.mark.slow
def test_dask_worker_without_the_bundle_path_gets_the_shipped_bytes(
    bundle_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hypemeter.bundles.bundle import MODEL_FILE
    from hypemeter.engines import dask_engine
    from hypemeter.engines.base import BundleRef

    card = (bundle_dir / "card.json").read_text(encoding="utf-8")
    sha = json.loads(card)["model_sha256"]
    ref = BundleRef(str(tmp_path / "elsewhere" / "not-here"), sha)  # as on a remote worker
    monkeypatch.setattr(dask_engine, "_SCORERS", {})
    plugin = dask_engine.BundlePlugin(ref, card, (bundle_dir / MODEL_FILE).read_bytes())

    class FakeWorker:
        local_directory = str(tmp_path / "worker")

    plugin.setup(FakeWorker())
    assert (tmp_path / "worker" / "hypemeter-bundles" / sha / MODEL_FILE).is_file()
    scorer = dask_engine._SCORERS[ref.key]
    assert scorer.score([Article("Shocking news", "")])[0].scores


@pytest.mark.slow
def test_dask_engine_on_an_existing_scheduler(partitions: Path, bundle_dir: Path,
                                              scorer: Scorer, tmp_path: Path) -> None:
    from distributed import LocalCluster

    from hypemeter.engines.dask_engine import DaskEngine, DaskEngineError

    run(partitions, tmp_path / "ref.jsonl", bundle_dir, scorer)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                      dashboard_address=None) as cluster:
        stats, _ = run(partitions, tmp_path / "out.jsonl", bundle_dir, scorer,
                       engine="dask", scheduler=cluster.scheduler_address)
    assert (stats.scored, stats.skipped, stats.workers) == (40, 2, 1)
    assert (tmp_path / "out.jsonl").read_bytes() == (tmp_path / "ref.jsonl").read_bytes()
    with pytest.raises(DaskEngineError, match="cannot reach the Dask scheduler"):
        DaskEngine(scorer.bundle, ScoreOptions(), scheduler="tcp://127.0.0.1:9",
                   connect_timeout="1s")
