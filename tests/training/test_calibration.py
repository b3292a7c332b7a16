"""Calibration across domains: the maps, their choice by leave-one-corpus-out log loss, the
prior shift to a reference prevalence, weighted ECE, and the per-group evaluate report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypemeter.training.calibration import (
    HeadData,
    cell_weights,
    fit_calibration,
    fit_head,
    fit_map,
    logo_log_loss,
)
from hypemeter.training.calibration_heldout import heldout, legitimate_medians
from hypemeter.training.loco import LocoPredictions
from hypemeter.training.metrics import expected_calibration_error
from scipy.special import expit, logit

from hypemeter.scoring.calibration import Calibrator, HeadCalibration, shift_prior


def _corpus(rng: np.random.Generator, n: int, prevalence: float, scale: float,
            offset: float) -> tuple[np.ndarray, np.ndarray]:
    """Labels at ``prevalence`` and logits of an overconfident, shifted model."""
    y = (rng.random(n) < prevalence).astype(int)
    true_logit = np.where(y == 1, 1.0, -1.0) + rng.normal(0, 1.2, n)
    return y, scale * true_logit + offset


@pytest.fixture
def head() -> HeadData:
    rng = np.random.default_rng(0)
    parts = [_corpus(rng, 3000, 0.5, 2.5, 1.0), _corpus(rng, 2000, 0.3, 2.5, 1.2),
             _corpus(rng, 1500, 0.6, 2.5, 0.8)]
    y = np.concatenate([p[0] for p in parts])
    z = np.concatenate([p[1] for p in parts])
    corpus = np.repeat(["a", "b", "c"], [3000, 2000, 1500])
    return HeadData(z, y, np.ones(len(y), dtype=bool), corpus)


def test_cell_weights_give_each_corpus_the_same_say_and_the_asked_prevalence() -> None:
    corpus = np.array(["a"] * 10 + ["b"] * 90 + ["c"] * 5)
    y = np.array([1] * 2 + [0] * 8 + [1] * 60 + [0] * 30 + [0] * 5)
    w = cell_weights(corpus, y, 0.1)
    totals = [w[corpus == c].sum() for c in "abc"]
    np.testing.assert_allclose(totals, totals[0])
    for c in "ab":
        m = corpus == c
        assert w[m & (y == 1)].sum() / w[m].sum() == pytest.approx(0.1)
    assert w[(corpus == "a") & (y == 1)].sum() == pytest.approx(
        w[(corpus == "b") & (y == 1)].sum())


@pytest.mark.parametrize("method", ["sigmoid", "beta", "isotonic"])
def test_each_form_is_monotone_and_repairs_an_overconfident_shifted_model(
        head: HeadData, method: str) -> None:
    w = cell_weights(head.corpus, head.y)
    cal = fit_map(method, head.z, head.y, w)
    grid = np.linspace(-12, 12, 200)
    assert (np.diff(cal(grid)) >= -1e-12).all()
    before = expected_calibration_error(head.y, expit(head.z), sample_weight=w)
    after = expected_calibration_error(head.y, cal(head.z), sample_weight=w)
    assert before > 0.1
    assert after < 0.04


def test_the_form_is_chosen_by_leave_one_corpus_out_log_loss(head: HeadData) -> None:
    losses = {m: logo_log_loss(m, head) for m in ("identity", "sigmoid", "beta", "isotonic")}
    assert losses["identity"] > min(losses.values())  # an overconfident model needs a map
    _, chosen = fit_head(head, reference=0.5)
    assert chosen["article"]["method"] == min(losses, key=lambda m: losses[m])
    assert chosen["article"]["logo_log_loss"][chosen["article"]["method"]] == pytest.approx(
        min(losses.values()), abs=1e-4)
    one = HeadData(head.z[:10], head.y[:10], head.with_body[:10], head.corpus[:10])
    assert logo_log_loss("sigmoid", one) is None  # one corpus: nothing to hold out


def test_the_prior_shift_moves_the_odds_by_the_reference_over_the_fitted_prevalence() -> None:
    cal = Calibrator("sigmoid", [1.0, 0.0])
    head = HeadCalibration({"article": cal, "headline": cal}, {"article": 0.5, "headline": 0.25},
                           reference_prevalence=0.1)
    z = np.array([-2.0, 0.0, 3.0])
    body = np.array([True, True, False])
    p = head(z, body)
    np.testing.assert_allclose(logit(p[:2]), z[:2] + logit(0.1) - logit(0.5), atol=1e-9)
    np.testing.assert_allclose(logit(p[2]), z[2] + logit(0.1) - logit(0.25), atol=1e-9)
    back = shift_prior(p[:2], reference=0.1, prevalence=0.5)
    np.testing.assert_allclose(back, expit(z[:2]), atol=1e-9)


def test_weighted_ece_reweights_and_equals_the_plain_one_with_even_weights() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 500)
    p = rng.random(500)
    assert expected_calibration_error(y, p) == pytest.approx(
        expected_calibration_error(y, p, sample_weight=np.full(500, 3.0)))
    # scores of 0.1 everywhere are calibrated at 10% prevalence, whatever the file's share
    y = np.array([1] * 50 + [0] * 50)
    flat = np.full(100, 0.1)
    w = cell_weights(np.zeros(100), y, 0.1)
    assert expected_calibration_error(y, flat, sample_weight=w) == pytest.approx(0.0, abs=1e-12)
    assert expected_calibration_error(y, flat) == pytest.approx(0.4)


def _loco(rng: np.random.Generator) -> LocoPredictions:
    """Held-out logits of three misinformation corpora, two sensationalism ones, and mainstream
    articles judged not hyperpartisan."""
    zs, ys, corpora, tasks, bodies = [], [], [], [], []
    for name, task, n, prev, body in (
        ("perez_rosas_2018", "misinformation", 400, 0.5, True),
        ("fakenewsnet", "misinformation", 400, 0.3, True),
        ("sample", "misinformation", 300, 0.5, True),
        ("liar", "misinformation", 400, 0.45, False),
        ("fakenewsnet_titles", "misinformation", 400, 0.25, False),
        ("stop_clickbait_2016", "sensationalism", 400, 0.5, False),
        ("semeval2019_hyperpartisan", "sensationalism", 400, 0.4, True),
    ):
        y, z = _corpus(rng, n, prev, 2.0, 0.7)
        zs.append(np.column_stack([z, z]))
        ys.append(y)
        corpora += [name] * n
        tasks += [task] * n
        bodies += [body] * n
    return LocoPredictions(np.vstack(zs), np.array(bodies), np.array(corpora),
                           np.array(tasks), np.concatenate(ys))


def test_fit_calibration_describes_itself_and_held_out_scores_meet_the_reference() -> None:
    loco = _loco(np.random.default_rng(2))
    cal = fit_calibration(loco, reference={"misinformation_risk": 0.1})
    info = cal.describe()
    assert info["fitted_on"] == "leave-one-corpus-out"
    assert info["reference_prevalence"] == {"sensationalism": 0.5, "misinformation_risk": 0.1}
    assert set(info["method"]["misinformation_risk"]) == {"article", "headline"}
    json.dumps(info)  # the card's entry is plain JSON
    # the mainstream articles joined the misinformation calibration set as negatives
    assert "semeval2019_hyperpartisan" in info["selection"]["misinformation_risk"]["article"][
        "corpora"]
    held = heldout(loco, info["reference_prevalence"])
    table = held["misinformation_risk"].table()
    assert table["pooled"]["ece_ref"] < 0.08
    for entry in table["corpora"].values():
        assert entry["ece_ref"] < 0.1
    medians = legitimate_medians(loco, held)
    assert medians["misinformation_risk"]["median"] < 0.15
    assert medians["misinformation_risk"]["n"] == int(
        ((loco.label == 0) & loco.with_body & np.isin(
            loco.corpus, ["perez_rosas_2018", "fakenewsnet", "sample",
                          "semeval2019_hyperpartisan"])).sum())
    raw = heldout(loco, None)  # a model without calibration: the stackers' sigmoid
    assert raw["misinformation_risk"].table()["pooled"]["ece_raw"] > table["pooled"]["ece_ref"]


def test_evaluate_reports_calibration_per_group(tmp_path: Path) -> None:
    from hypemeter.training.calibration_report import add_group_section
    from hypemeter.training.report import write_report

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    p = np.clip(0.1 + 0.3 * y + rng.normal(0, 0.1, 400), 0, 1)
    groups = ["outlet-a" if k % 2 else "outlet-b" for k in range(400)]
    metrics = write_report(tmp_path, y, p, title="t")
    add_group_section(tmp_path, metrics, y.tolist(), p.tolist(), groups, reference=0.1)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert set(saved["per_group"]) == {"outlet-a", "outlet-b"}
    assert saved["binary"]["reference_prevalence"] == 0.1
    assert 0 <= saved["binary"]["ece_at_reference"] < saved["binary"]["ece"]
    report = (tmp_path / "report.md").read_text()
    assert "## Per group" in report and "outlet-a" in report
    if saved["files"].get("reliability_per_group"):
        assert (tmp_path / "reliability_per_group.png").stat().st_size > 1000


def test_evaluate_file_groups_rows_by_their_corpus_field(bundle_dir: Path,
                                                         tmp_path: Path) -> None:
    from hypemeter.training.evaluate import evaluate_file

    rows = []
    for k in range(12):
        loud = k % 2 == 0
        rows.append({
            "headline": "SHOCKING: you won't believe this" if loud else "Council meets on Monday",
            "body": "Experts are terrified. Act now!" if loud else "The council met to "
                    f"discuss item {k} of the budget, officials said.",
            "label": int(loud), "corpus": "outlet-a" if k < 6 else "outlet-b"})
    data = tmp_path / "rows.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    metrics = evaluate_file(str(data), model_path=bundle_dir, out_dir=tmp_path / "report")
    assert set(metrics["per_group"]) == {"outlet-a", "outlet-b"}
    assert metrics["per_group"]["outlet-a"]["n"] == 6
    saved = json.loads((tmp_path / "report" / "metrics.json").read_text())
    assert saved["per_group"] == json.loads(json.dumps(metrics["per_group"]))
    reference = ((json.loads((bundle_dir / "card.json").read_text()).get("calibration") or {})
                 .get("reference_prevalence") or {}).get("sensationalism")
    assert saved["binary"].get("reference_prevalence") == reference
