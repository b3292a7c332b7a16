"""bench_adaptation's corrections path, end to end: a real ``hypemeter serve`` with a SQLite
database, ``POST /v1/feedback``, the ``train --feedback`` export, the own-data loader, a fit.

Runs on the project's sample corpus with a tiny k so the benchmark's path cannot rot."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypemeter.training.corpora.registry import load_corpora
from hypemeter.training.recipe import Recipe, training_data

from hypemeter.analysis.features import vader_valence
from hypemeter.analysis.lexicon import PhraseLexicon
from hypemeter.records.results import Article, Record
from hypemeter.scoring.model import HypeModel

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        yield importlib.import_module("bench_adaptation")
    finally:
        sys.path.remove(str(REPO / "benchmarks"))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> list[Record]:
    records, _ = load_corpora(tmp_path_factory.mktemp("no-corpora"), names=[],
                              include_sample=True, catalog={})
    return records


def _articles(sample: list[Record], task: str) -> tuple[list[Record], np.ndarray]:
    recs = [r for r in sample if r.task == task and r.body.strip() and r.label is not None]
    return recs, np.array([int(r.label or 0) for r in recs])


def _key(r: Record) -> tuple[str, str, str, int | None]:
    return (r.headline, r.body, r.task, r.label)


def test_corrections_reach_training_through_http_and_the_database(
    bench, sample: list[Record], service_models_dir: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    sens, sens_y = _articles(sample, "sensationalism")
    misinfo, misinfo_y = _articles(sample, "misinformation")
    assert len(set(sens_y[:6].tolist())) == 2  # both labels among the picks
    first = bench.correction_rows(sens[:6], sens_y[:6], "sensationalism")
    second = bench.correction_rows(misinfo[:3], misinfo_y[:3], "misinformation")
    with bench.FeedbackPath(service_models_dir) as path:
        got = path.ingest(first)
        # a second (strategy, k) starts from an empty database: only its own corrections
        got2 = path.ingest(second)
        assert path.sent == 9
    assert {r.corpus for r in got + got2} == {"own:feedback"}
    assert sorted(map(_key, got)) == sorted(
        (r.headline, r.body, "sensationalism", int(y)) for r, y in zip(sens[:6], sens_y[:6],
                                                                        strict=True))
    assert sorted(map(_key, got2)) == sorted(
        (r.headline, r.body, "misinformation", int(y)) for r, y in zip(misinfo[:3],
                                                                        misinfo_y[:3],
                                                                        strict=True))
    # the same records (text, task, label) as the own-data file the bench used to write
    own = tmp_path / "corrections.jsonl"
    own.write_text("".join(json.dumps(row) + "\n" for row in first), encoding="utf-8")
    direct, _ = load_corpora(tmp_path / "none", names=[], include_sample=False,
                             own_files=[own], catalog={})
    assert sorted(map(_key, direct)) == sorted(map(_key, got))
    # and training takes them, as the benchmark's fit does
    records = [*sample, *got]
    valence = dict(vader_valence())
    data, phrases = training_data(Recipe(), records, seed=0)
    bare = HypeModel(seed=0, C_meta=2.0)
    params = set(vars(bare))
    model = bare.fit(data, lexicon=PhraseLexicon().fit(records, valence), valence=valence,
                     phrases=phrases)
    # an estimator's convention: fitting returns the model itself, and what it learnt ends in
    # _; its parameters are what it was made with
    assert model is bare and set(vars(model)) > params
    assert model.get_params() == {**HypeModel().get_params(), "C_meta": 2.0}
    assert set(model.get_params()) == params
    # (leading underscore: per-process caches, never pickled)
    assert all(name.endswith("_") for name in set(vars(model)) - params
               if not name.startswith("_"))
    assert set(model.__getstate__()) - params == {
        name for name in set(vars(model)) - params if not name.startswith("_")}
    scores = model.predict_scores([Article(r.headline, r.body) for r in sens[:6]])
    assert scores.shape == (6, 2) and np.isfinite(scores).all()
