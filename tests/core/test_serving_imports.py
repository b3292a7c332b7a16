"""Scoring never imports scikit-learn (nor scipy.stats, scipy.special or joblib): a bundle holds
the model in its serving form (hypemeter.bundles.model_file), and applying a profile's adapter
reads its arrays. Training fits with scikit-learn; what it publishes scores without it. Each
check runs in a fresh interpreter and reads its ``sys.modules`` after scoring."""

from __future__ import annotations

import gzip
import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.linear_model import LogisticRegression
from support.paths import REPO, SHIPPED

from hypemeter.analysis.stopwords import ENGLISH_STOP_WORDS as OURS
from hypemeter.bundles.bundle import MODEL_FILE, sha256_file
from hypemeter.profiles.adapter import ProfileAdapter, article_text
from hypemeter.profiles.codec import encode
from hypemeter.profiles.spans import SpanPrior

HEAVY = ("sklearn", "scipy.stats", "scipy.special", "joblib")
ARTICLE = {"headline": "SHOCKING: you won't believe what the council did",
           "body": "The council approved the budget. Critics called it an utter disaster."}
REPORT = textwrap.dedent(f"""
    import json, sys
    print(json.dumps({{"loaded": [m for m in {HEAVY!r} if m in sys.modules], "result": result}}),
          file=sys.stderr)
""")


def run(code: str, stdin: str = "") -> dict:
    """Run ``code`` (which sets ``result``) in a new interpreter; what it loaded and result."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code) + REPORT], input=stdin,
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stderr.strip().splitlines()[-1])


def test_hypemeter_score_of_one_article_imports_no_scikit_learn() -> None:
    out = run(f"""
        import io, contextlib
        from hypemeter.cli import main
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            code = main(["score", "--model", {str(SHIPPED)!r}, "-"])
        result = [code, json.loads(buf.getvalue())]
    """.replace("json.loads", "__import__('json').loads"), stdin=json.dumps(ARTICLE) + "\n")
    code, scored = out["result"]
    assert code == 0 and 0.0 <= scored["scores"]["sensationalism"] <= 1.0
    assert scored["spans"], "explained, too"
    assert out["loaded"] == []


def test_the_service_scores_without_scikit_learn(tmp_path: Path) -> None:
    out = run(f"""
        from fastapi.testclient import TestClient
        from hypemeter.service.app import create_app
        from hypemeter.service.settings import Settings
        settings = Settings(models_dir={str(SHIPPED.parent)!r},
                            database_url="sqlite:///{tmp_path}/h.db")
        with TestClient(create_app(settings)) as client:
            ready = client.get("/readyz").status_code
            answer = client.post("/v1/score", json={ARTICLE!r})
        result = [ready, answer.status_code, answer.json()]
    """)
    ready, status, body = out["result"]
    assert (ready, status) == (200, 200), body
    assert out["loaded"] == []


def test_applying_a_profile_adapter_imports_no_scikit_learn(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    words = ["budget", "council", "vote", "report", "city", "plan", "road", "school"]
    y = [k % 2 for k in range(80)]
    texts = [article_text("shocking outrage" if label else "calm report",
                          " ".join(rng.choice(words, 12))) for label in y]
    base = rng.uniform(0.05, 0.95, (80, 2))
    adapter = ProfileAdapter(min_per_class=5).fit(texts, base, {"sensationalism": y})
    assert adapter.active, "the check needs an adapter that changes scores"
    encoded = encode(adapter, SpanPrior.from_verdicts([]), base_model_version="v",
                     fitted_through=1)
    (tmp_path / "meta.json").write_text(encoded.meta)
    (tmp_path / "arrays.npz").write_bytes(encoded.arrays)
    want = adapter.predict_scores(texts[:5], base[:5])
    out = run(f"""
        from pathlib import Path
        import numpy as np
        from hypemeter.profiles.codec import decode
        folder = Path({str(tmp_path)!r})
        decoded = decode((folder / "meta.json").read_text(), (folder / "arrays.npz").read_bytes(),
                         {encoded.checksum!r})
        result = decoded.adapter.predict_scores({texts[:5]!r}, np.array({base[:5].tolist()!r}))
        result = result.tolist()
    """)
    assert np.array_equal(np.array(out["result"]), want)
    assert out["loaded"] == []


def test_a_model_file_holding_scikit_learn_objects_is_refused_unimported(tmp_path: Path) -> None:
    """A format-6-style pickle (a scikit-learn estimator in it), consistent with its card, is
    refused naming the class, and scikit-learn is not imported to find that out."""
    bundle = tmp_path / "b"
    bundle.mkdir()
    card = json.loads((SHIPPED / "card.json").read_text())
    lr = LogisticRegression().fit(np.array([[0.0], [1.0]]), [0, 1])
    (bundle / MODEL_FILE).write_bytes(gzip.compress(pickle.dumps({"model": lr})))
    card["model_sha256"] = sha256_file(bundle / MODEL_FILE)
    (bundle / "card.json").write_text(json.dumps(card))
    out = run(f"""
        from hypemeter.bundles.bundle import load_bundle
        from hypemeter.errors import ModelLoadError
        try:
            load_bundle({str(bundle)!r})
            result = None
        except ModelLoadError as exc:
            result = exc.message
    """)
    assert "holds sklearn.linear_model._logistic.LogisticRegression, which a hypemeter model " \
        "file never holds: refusing it" in out["result"]
    assert out["loaded"] == []


def test_the_stop_words_are_scikit_learns() -> None:
    assert OURS == ENGLISH_STOP_WORDS


@pytest.mark.parametrize("module", ["hypemeter.scoring.model", "hypemeter.bundles.bundle",
                                    "hypemeter.profiles.apply", "hypemeter.analysis.lexicon"])
def test_the_serving_modules_import_no_scikit_learn(module: str) -> None:
    out = run(f"import {module}\nresult = None")
    assert out["loaded"] == []
