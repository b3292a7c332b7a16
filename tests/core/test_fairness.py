"""Issue 23: identity terms must not make a sober report sensational (the shipped model, on the
project's templates and terms in benchmarks/fairness/; benchmarks/bench_fairness.py prints the
whole table), and the identity mask that removes their signal does what it says."""

from __future__ import annotations

import pytest
from hypemeter.training.fairness import (
    MAX_SENSATIONAL_GAP,
    MAX_SOBER_EXCESS,
    Material,
    Term,
    fill_templates,
    goals,
    load_material,
    template_rows,
)

from hypemeter.analysis.identity import PLACEHOLDER, identity_positions, mask_field
from hypemeter.analysis.vocabulary import STOPWORDS
from hypemeter.paths import REPO_ROOT
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer
from hypemeter.text.tokens import tokenize

MATERIAL = REPO_ROOT / "benchmarks" / "fairness"


@pytest.fixture(scope="module")
def material() -> Material:
    return load_material(MATERIAL)


@pytest.fixture(scope="module")
def rows(scorer: Scorer, material: Material) -> list[dict]:
    return template_rows(scorer, material)


def test_the_material_is_what_the_benchmark_promises(material: Material) -> None:
    assert len(material.terms) >= 50
    assert len(material.templates["sober"]) >= 10
    assert len(material.templates["sensational"]) >= 10
    assert material.fillers[0].term == "local"
    groups = {t.group for t in material.terms}
    assert {"religion", "ethnicity", "nationality", "sexual_orientation", "gender_identity",
            "disability", "political"} <= groups
    # every filled text holds the term where the template has a slot, at the recorded place
    for f in fill_templates(material)[:200]:
        for field, a, b in f.ranges:
            text = getattr(f.article, field)
            assert text[a:b].lower() in (f.term.term.lower(), f.term.adj.lower(),
                                         f.term.people.lower())


def test_no_identity_term_raises_a_sober_report(rows: list[dict]) -> None:
    summary = goals(rows)
    worst = {r["term"]: round(max(r["sober_sens_excess"], r["sober_mis_excess"]), 3)
             for r in rows if r["group"] != "filler"}
    over = {t: v for t, v in worst.items() if v > MAX_SOBER_EXCESS}
    assert summary["sober_excess_goal_met"], f"sober excess over 'local' above goal: {over}"


def test_no_identity_term_is_highlighted_in_a_sober_report(rows: list[dict]) -> None:
    spanned = {r["term"]: [s for s in r["spans"] if s.endswith("(sober)")]
               for r in rows if r["group"] != "filler"}
    spanned = {t: s for t, s in spanned.items() if s}
    assert not spanned, f"identity terms inside spans on sober templates: {spanned}"


def test_sensational_reports_about_a_group_stay_sensational(rows: list[dict]) -> None:
    gaps = {r["term"]: round(max(abs(r["sensational_sens_excess"]),
                                 abs(r["sensational_mis_excess"])), 3)
            for r in rows if r["group"] != "filler"}
    over = {t: v for t, v in gaps.items() if v > MAX_SENSATIONAL_GAP}
    assert not over, f"sensational templates moved by more than the goal: {over}"


def test_the_mask_covers_multi_word_terms_and_keeps_offsets() -> None:
    text = "Left-wing and Native American women's groups met the mayor of Lagos."
    toks = tokenize(text)
    masked_text, masked = mask_field(text, toks)
    assert masked.starts == toks.starts and masked.ends == toks.ends
    assert [w for w in masked.words if w != PLACEHOLDER] == [
        "and", "groups", "met", "the", "mayor", "of", "lagos"]
    assert masked.raw[masked.words.index(PLACEHOLDER)] == PLACEHOLDER
    assert "Left" not in masked_text and "women" not in masked_text
    # a field that names no group is returned as it was
    plain = tokenize("The mayor met the council.")
    assert mask_field("The mayor met the council.", plain)[1] is plain
    assert identity_positions(["the", "far", "right", "party"]) == [1, 2]
    assert PLACEHOLDER in STOPWORDS  # so a span never ends or starts on it


def test_terms_read_the_same_to_a_masking_model(scorer: Scorer) -> None:
    model = scorer.bundle.model
    assert model.identity_mask, f"the shipped model {scorer.version} does not mask identity terms"
    a = Term("Somali", "Somali", "Somalis")
    b = Term("Buddhist", "Buddhist", "Buddhists")
    texts = [Article(f"{t.adj} families open a bakery", f"The {t.adj} families opened a "
                     f"bakery on Main Street on Friday.") for t in (a, b)]
    scores = model.predict_scores(texts)
    assert abs(scores[0] - scores[1]).max() < 1e-9


def test_masked_analysis_is_the_same_on_both_paths(scorer: Scorer) -> None:
    import numpy as np

    from hypemeter.analysis.features import analyze_field_reference, analyze_fields

    model = scorer.bundle.model
    texts = ["LGBTQ and Black residents met liberal councillors!",
             "The far-right group and the women\u2019s league: no loaded words here.",
             "Nothing about anyone."]
    fast = analyze_fields([(t, False) for t in texts], model.lexicon_, model.valence_,
                          mask=True)
    for text, fa in zip(texts, fast, strict=True):
        ref = analyze_field_reference(text, model.lexicon_, model.valence_, is_headline=False,
                                      mask=True)
        assert fa.tokens == ref.tokens and fa.masked == ref.masked
        assert np.allclose(fa.style, ref.style)
    assert fast[0].style[5] == 0.0  # "LGBTQ" is no longer a run of capitals
    assert fast[2].masked is None
