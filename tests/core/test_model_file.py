"""The model file's reader and writer (hypemeter.bundles.model_file): what is written is read
back the same, a model holding anything but the serving form's classes is never written, and
the file has no timestamp."""

from __future__ import annotations

import copy
import gzip

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfTransformer

from hypemeter.bundles import model_file
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer

ARTICLES = [Article("SHOCKING: the council's late-night vote", "Critics called it a disaster."),
            Article("", "The committee published its annual report on Monday.")]


def test_a_written_model_reads_back_and_scores_the_same(scorer: Scorer) -> None:
    model = scorer.bundle.model
    blob = model_file.dumps(model)
    assert blob[4:8] == b"\0\0\0\0"  # gzip MTIME: none, so a model gives the same bytes
    again = model_file.loads(blob)
    assert type(again) is type(model)
    np.testing.assert_array_equal(again.predict_scores(ARTICLES), model.predict_scores(ARTICLES))
    assert gzip.decompress(blob)[:2] == b"\x80\x05"  # pickle protocol 5


def test_a_model_holding_a_scikit_learn_object_is_not_written(scorer: Scorer) -> None:
    model = copy.copy(scorer.bundle.model)
    model.head_tfidf_ = TfidfTransformer().fit(np.ones((2, 3)))  # not compiled
    with pytest.raises(model_file.ForeignObjectError) as caught:
        model_file.dumps(model)
    assert caught.value.module.startswith("sklearn.")
    assert "TfidfTransformer" in caught.value.name
