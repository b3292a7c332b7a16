"""The pinned-output tests survive another CPU and BLAS (issue 22, item 1): the shipped model's
real outputs with every float moved by a few units in the last place (what another machine's
rounding gives: up to 5.6e-17 was seen) still match the pins, while a score moved by 1e-6, a
span offset moved by one, or a span dropped does not."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_model_scores import EXPECTED, changed_scores, current_scores
from test_pinned_outputs import PINNED, differences, outputs_by_article, pins

from hypemeter.bundles.bundle import load_bundle
from hypemeter.scoring.scorer import Scorer


def nudged(value: Any, ulps: int) -> Any:
    """``value`` (JSON data) with every float moved ``ulps`` units in the last place up."""
    if isinstance(value, float):
        for _ in range(ulps):
            value = float(np.nextafter(value, np.inf))
        return value
    if isinstance(value, dict):
        return {k: nudged(v, ulps) for k, v in value.items()}
    if isinstance(value, list):
        return [nudged(v, ulps) for v in value]
    return value


@pytest.fixture(scope="module")
def outputs(scorer: Scorer) -> dict[str, Any]:
    return outputs_by_article(scorer)


def test_last_bit_differences_pass_the_pinned_outputs(outputs: dict[str, Any],
                                                       scorer: Scorer) -> None:
    pinned = pins(outputs)
    other_machine = pins(nudged(outputs, 3))
    assert other_machine["floats"] != pinned["floats"]  # the floats did move
    assert differences(pinned, other_machine) == []
    # and the checked-in pins (when they belong to this model) accept the nudged outputs too
    stored = json.loads(PINNED.read_text())
    if stored["model"] == scorer.version and "floats" in stored:
        assert differences(stored, other_machine) == []


def test_real_changes_still_fail_the_pinned_outputs(outputs: dict[str, Any]) -> None:
    pinned = pins(outputs)
    key = next(k for k, v in outputs.items() if v[0]["spans"])
    moved_score = copy.deepcopy(outputs)
    moved_score[key][1]["scores"]["sensationalism"] += 1e-6
    moved_offset = copy.deepcopy(outputs)
    moved_offset[key][0]["spans"][0]["end"] += 1
    dropped = copy.deepcopy(outputs)
    dropped[key][0]["spans"].pop()
    for changed in (moved_score, moved_offset, dropped):
        found = differences(pinned, pins(changed))
        assert [line.split(":")[0] for line in found] == [key]


def test_last_bit_differences_pass_the_pinned_scores(bundle_dir: Path) -> None:
    bundle = load_bundle(bundle_dir)
    got = current_scores(bundle)
    other_machine = {k: [float(np.nextafter(np.nextafter(float.fromhex(v), 2.0), 2.0)).hex()
                         for v in row] for k, row in got.items()}
    assert other_machine != got
    assert changed_scores(got, other_machine) == []
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    if expected["version"] == bundle.version:
        assert changed_scores(expected["scores"], other_machine) == []
    key = next(iter(got))
    far = {**other_machine, key: [(float.fromhex(got[key][0]) + 1e-7).hex(), got[key][1]]}
    assert changed_scores(got, far) == [key]
