"""The reason given for a per-term AUC gap (training/fairness_gaps.py): a term mentioned only
by a corpus that is hard for every text has a pooled gap that random subgroups of that corpus
share (corpus mix); a term whose own records the model ranks worse does not (term)."""

from __future__ import annotations

import numpy as np
from hypemeter.training.fairness_gaps import Scored, gap_reasons, metric

from hypemeter.records.results import Record


def held_out() -> tuple[Scored, dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    n = 400
    # corpus "hard": scores barely follow the label; corpus "easy": they do
    y = np.tile([0, 1], n)
    corpus = np.array(["hard"] * n + ["easy"] * n)
    p = np.where(corpus == "hard", 0.65 + 0.03 * (y - 0.5) + rng.normal(0, 0.1, 2 * n),
                 0.5 + 0.6 * (y - 0.5) + rng.normal(0, 0.1, 2 * n))
    # "parties": 30 positives and 30 negatives of the hard corpus, scored like the others
    parties = np.zeros(2 * n, bool)
    parties[:120] = True
    # "group": easy-corpus records whose positives the model scores as negatives
    group = np.zeros(2 * n, bool)
    group[n:n + 120] = True
    p[group & (y == 1)] = 0.2 + rng.normal(0, 0.05, int((group & (y == 1)).sum()))
    records = [Record(str(i), "", "text", "misinformation", int(v), "s", str(i), str(c))
               for i, (v, c) in enumerate(zip(y, corpus, strict=True))]
    return Scored(records, y, p, corpus), {"parties": parties, "group": group}


def test_a_term_of_the_hard_corpus_is_the_corpus_mix_and_a_term_ranked_worse_is_the_term() -> None:
    s, subs = held_out()
    overall = metric("subgroup_auc", s.y, s.p, np.ones(len(s.y), bool))
    over = {"parties": "bpsn_auc", "group": "bnsp_auc"}
    for term, name in over.items():  # both over the goal
        assert overall - metric(name, s.y, s.p, subs[term]) > 0.05
    reasons = gap_reasons({"misinformation": s}, {"misinformation": subs},
                          [f"misinformation:{term}:{name}" for term, name in over.items()],
                          draws=100)
    by_term = {r["term"]: r for r in reasons}
    assert by_term["parties"]["reason"] == "corpus mix"
    assert by_term["parties"]["corpora"] == {"hard": {"positives": 60, "negatives": 60}}
    assert by_term["group"]["reason"] == "term"
    low, high = by_term["group"]["matched_5_95"]
    assert by_term["group"]["value"] < low <= high
