"""The service a user would write by hand in an afternoon: a FastAPI app around a joblib'd
scikit-learn pipeline (TF-IDF of 1-2 grams + one logistic regression per head), no
explanations, no limits, no metrics. :mod:`bench_peers` trains it and runs it beside hypemeter.

    PEER_MODEL=/tmp/peer.joblib uvicorn peer_service:app --app-dir benchmarks --port 8001
"""

from __future__ import annotations

import os

import joblib
from fastapi import FastAPI
from pydantic import BaseModel

PEER = joblib.load(os.environ["PEER_MODEL"])  # {"vectorizer": ..., "heads": {name: LR}}
app = FastAPI()


class Article(BaseModel):
    headline: str = ""
    body: str = ""


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/score")
def score(article: Article) -> dict[str, dict[str, float]]:
    x = PEER["vectorizer"].transform([article.headline + "\n" + article.body])
    return {"scores": {name: float(lr.predict_proba(x)[0, 1])
                       for name, lr in PEER["heads"].items()}}
