"""The scoring core: result contract, explanations, determinism, bundle verification, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hypemeter.bundles.bundle import (
    CARD_FILE,
    FORMAT_VERSION,
    MODEL_FILE,
    load_bundle,
    publish_current,
    record_measurement,
    resolve_bundle_dir,
)
from hypemeter.cli import main
from hypemeter.errors import (
    ChecksumMismatchError,
    InvalidInputError,
    ModelLoadError,
    ModelVersionNotFoundError,
    VersionMismatchError,
)
from hypemeter.records.results import SCORE_NAMES, Article
from hypemeter.scoring.scorer import Scorer
from hypemeter.text.tokens import tokenize

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

LOADED = Article(
    headline="Terrifying new storm will SMASH the coast: 'act now or lose everything'",
    body=(
        "A catastrophic, deadly storm is barrelling towards the coast and experts issued a dire "
        "warning last night. You won't believe how bad it could get! Residents must act now "
        "before it's too late, shocked officials said, as the devastating winds threaten to "
        "wipe out entire towns in a chilling nightmare."
    ),
    id="loaded-1",
)


def _fixture(name: str) -> Article:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return Article(headline=data["headline"], body=data["body"], id=name)


def test_result_contract_offsets_and_text_agree(scorer: Scorer) -> None:
    articles = [LOADED, _fixture("loaded_report.json"), _fixture("sober_report.json"),
                Article(headline="", body=LOADED.body), Article(headline=LOADED.headline)]
    for result in scorer.score(articles):
        d = result.to_dict()
        assert set(d) == {"id", "scores", "spans", "model", "language", "language_asserted"}
        assert set(d["scores"]) == set(SCORE_NAMES)
        for value in d["scores"].values():
            assert 0.0 <= value <= 1.0
        assert d["model"]["name"] == "hypemeter"
        assert d["model"]["version"] == scorer.version
        json.dumps(d)  # serialisable as is
    for article, result in zip(articles, scorer.score(articles), strict=True):
        for span in result.spans:
            text = getattr(article, span.field)
            assert 0 <= span.start < span.end <= len(text)
            assert text[span.start:span.end] == span.text
            assert span.category
            assert 0.0 < span.weight <= 1.0


def test_loaded_text_gets_spans_and_scores_above_sober(scorer: Scorer) -> None:
    loaded, sober = scorer.score([LOADED, _fixture("sober_report.json")])
    assert loaded.scores["sensationalism"] > sober.scores["sensationalism"]
    texts = {s.text.lower() for s in loaded.spans}
    assert any("act now" in t for t in texts) or any("deadly" in t for t in texts)


def test_explain_false_and_max_spans(scorer: Scorer) -> None:
    full = scorer.score_one(LOADED)
    assert len(full.spans) >= 2
    assert scorer.score_one(LOADED, explain=False).spans == []
    top = scorer.score_one(LOADED, max_spans=1).spans
    assert len(top) == 1
    assert top[0].weight == max(s.weight for s in full.spans)
    assert scorer.score_one(LOADED, explain=False).scores == full.scores


def test_both_fields_empty_is_refused(scorer: Scorer) -> None:
    with pytest.raises(InvalidInputError):
        scorer.score([Article(headline="  ", body="")])


def test_tokenize_offsets_survive_unicode() -> None:
    text = "İstanbul’s ‘deadly’ ÇOK weapon"
    toks = tokenize(text)
    for raw, s, e in zip(toks.raw, toks.starts, toks.ends, strict=True):
        assert text[s:e] == raw
    assert "deadly" in toks.words


def _copy(bundle_dir: Path, tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name
    shutil.copytree(bundle_dir, dst, ignore=shutil.ignore_patterns("report"))
    return dst


def test_tampered_model_file_is_refused(bundle_dir: Path, tmp_path: Path) -> None:
    dst = _copy(bundle_dir, tmp_path, "tampered")
    with (dst / MODEL_FILE).open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ChecksumMismatchError, match="sha256"):
        load_bundle(dst)


def test_arrays_of_a_newer_numpy_are_refused(bundle_dir: Path, tmp_path: Path) -> None:
    dst = _copy(bundle_dir, tmp_path, "old")
    card = json.loads((dst / CARD_FILE).read_text())
    card["libraries"]["numpy"] = "99.0.0"
    (dst / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(VersionMismatchError, match=r"numpy 99\.0\.0"):
        load_bundle(dst)


def test_missing_or_broken_bundles_give_clear_errors(bundle_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError):
        load_bundle(tmp_path / "nowhere")
    dst = _copy(bundle_dir, tmp_path, "nocard")
    (dst / CARD_FILE).write_text("{not json")
    with pytest.raises(ModelLoadError, match="unreadable"):
        load_bundle(dst)
    with pytest.raises(ModelLoadError):
        resolve_bundle_dir(tmp_path, "../etc")
    with pytest.raises(ModelVersionNotFoundError, match="no model version 'v9'") as missing:
        resolve_bundle_dir(tmp_path, "v9")
    assert missing.value.status == 404


def test_misinformation_ignores_style_that_sensationalism_reads(scorer: Scorer) -> None:
    """Same words in the body, different punctuation and emphasis: the body's word n-grams
    are the same (case-normalised, punctuation is not a token), so only its style signals
    differ. The sensationalism stackers read them; the misinformation stackers must not."""
    plain = Article(
        headline="Council approves the new bridge",
        body="The council approved the new bridge on Monday. Work starts in May.",
    )
    shouted = Article(
        headline="Council approves the new bridge",
        body="The COUNCIL APPROVED the new bridge on Monday!!! Work starts in MAY!!!",
    )
    a, b = scorer.score([plain, shouted], explain=False)
    assert a.scores["misinformation_risk"] == pytest.approx(b.scores["misinformation_risk"],
                                                             abs=1e-12)
    assert b.scores["sensationalism"] > a.scores["sensationalism"]


def test_publish_current_switches_pointer(bundle_dir: Path, tmp_path: Path) -> None:
    _copy(bundle_dir, tmp_path, "a")
    _copy(bundle_dir, tmp_path, "b")
    publish_current(tmp_path, "a")
    assert resolve_bundle_dir(tmp_path) == (tmp_path / "a").resolve()
    publish_current(tmp_path, "b")
    assert resolve_bundle_dir(tmp_path) == (tmp_path / "b").resolve()
    with pytest.raises(ModelLoadError):
        publish_current(tmp_path, "missing")
    assert resolve_bundle_dir(tmp_path) == (tmp_path / "b").resolve()


def test_cli_score_skips_bad_lines_and_scores_the_rest(
    bundle_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "a", "headline": LOADED.headline, "body": LOADED.body}) + "\n"
        + "{broken json\n"
        + json.dumps({"id": "c", "headline": "", "body": ""}) + "\n"
        + json.dumps({"id": "d", "headline": "Council approves budget", "body": 42}) + "\n"
        + json.dumps({"id": 5, "body": "The council met on Tuesday and approved the plan."})
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    code = main(["score", str(src), "--output", str(out), "--model", str(bundle_dir), "-q"])
    err = capsys.readouterr().err
    assert code != 0  # some records were skipped
    assert f"{src}:2:" in err and f"{src}:3:" in err and f"{src}:4:" in err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "5"]


def test_cli_score_reads_csv(bundle_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('id,headline,body\nx,"Storm hits coast","Rain fell, officials said."\n'
                   'y,,\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    main(["score", str(src), "-o", str(out), "--model", str(bundle_dir), "-q"])
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["x"]


def test_cli_missing_input_file_is_a_clear_error(
    bundle_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["score", str(tmp_path / "nope.jsonl"), "--model", str(bundle_dir), "-q"])
    assert code == 2
    assert "nope.jsonl" in capsys.readouterr().err


def test_other_bundle_format_is_refused(bundle_dir: Path, tmp_path: Path) -> None:
    """A bundle of an older format (3: before HypeModel.fit and the one span path) is refused
    before unpickling, with the formats and the command that retrains it."""
    dst = _copy(bundle_dir, tmp_path, "format")
    card = json.loads((dst / CARD_FILE).read_text())
    card["format_version"] = 3
    (dst / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(VersionMismatchError) as caught:
        load_bundle(dst)
    assert "bundle format 3" in str(caught.value)
    assert f"bundle format {FORMAT_VERSION} only" in str(caught.value) and FORMAT_VERSION == 7
    assert "hypemeter train" in str(caught.value)


def test_recorded_measurements_keep_the_bundle_loadable(bundle_dir: Path, tmp_path: Path) -> None:
    dst = _copy(bundle_dir, tmp_path, "measured")
    record_measurement(dst, "scoring", "python benchmarks/bench_scoring.py", {"x": 1.5})
    record_measurement(dst, "other", "python benchmarks/other.py", {"y": [1, 2]})
    card = load_bundle(dst).card
    assert card["measured"]["scoring"]["results"] == {"x": 1.5}
    assert card["measured"]["scoring"]["command"] == "python benchmarks/bench_scoring.py"
    assert card["measured"]["other"]["results"] == {"y": [1, 2]}
    assert not [p.name for p in dst.iterdir() if p.name.startswith(".")]


def test_per_process_caches_stay_bounded_on_novel_words(
    scorer: Scorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text made of words never seen before (hostile input) cannot grow the word caches past
    their limits: the hashing cache starts again, the span token cache stops keeping misses."""
    import random

    from hypemeter.analysis import vectorize
    from hypemeter.spans import fast as span_fast

    monkeypatch.setattr(vectorize, "_CACHE_LIMIT", 40)
    monkeypatch.setattr(span_fast, "MAX_CACHED", 60)
    rng = random.Random(7)
    expected = scorer.score([Article("Plain words here", "The council met on Tuesday.")])
    held = span_fast.token_cache(scorer.bundle.model.span_model_).size  # earlier tests' words
    for _ in range(5):
        body = " ".join("".join(rng.choice("klmnopqrst") for _ in range(9)) for _ in range(80))
        scorer.score([Article("Novel words", body)], explain=True)
    model = scorer.bundle.model
    caches = [obj.__dict__["_cache"] for obj in _objects_with_cache(model)]
    assert caches and all(len(c) <= 40 + 90 for c in caches)  # one article's words past it
    assert span_fast.token_cache(model.span_model_).size <= max(held, 60)  # no novel word kept
    # scores do not depend on what the caches hold
    assert scorer.score([Article("Plain words here", "The council met on Tuesday.")]) == expected


def _objects_with_cache(root: object) -> list[object]:
    """Every object reachable from the model's attributes that keeps a word cache."""
    seen: set[int] = set()
    out: list[object] = []
    todo = [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen or not hasattr(obj, "__dict__"):
            continue
        seen.add(id(obj))
        if isinstance(obj.__dict__.get("_cache"), dict):
            out.append(obj)
        for value in vars(obj).values():
            todo.extend(value if isinstance(value, list | tuple) else [value])
    return out
