"""Applying a profile's adapter to results the base model produced (no storage, no training:
the scoring core's side of profiles)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from hypemeter.profiles.adapter import HEADS, ProfileAdapter, article_text
from hypemeter.profiles.spans import SpanPrior
from hypemeter.records.results import Article, ModelInfo, ScoreResult
from hypemeter.scoring.scorer import Scorer


@dataclass(frozen=True, slots=True)
class LoadedAdapter:
    """A decoded adapter, ready to apply: the profile's ``version`` fitted on the base model
    ``base_model_version``."""

    profile: str
    version: int
    base_model_version: str
    adapter: ProfileAdapter
    spans: SpanPrior

    @property
    def nbytes(self) -> int:
        """About what it takes in memory (its arrays, its span prior and a measured 3 KiB of
        objects around them): what the workers' LRU is bounded by."""
        a = self.adapter
        arrays = a.vocab_.nbytes + a.idf_.nbytes + sum(h.coef.nbytes for h in a.heads_.values())
        return 3072 + arrays + 200 * len(self.spans.counts)


def adapt(results: Sequence[ScoreResult], articles: Sequence[Article], profile: str,
          loaded: LoadedAdapter | None, *,
          max_spans: int | Sequence[int | None] | None = None) -> list[ScoreResult]:
    """``results`` (from the base model) as the profile sees them. With no adapter, or one
    fitted on another base model than the results', the base scores with
    ``adapter_version`` None. ``max_spans``: one cap, or one per result."""
    usable = (loaded is not None and results
              and loaded.base_model_version == results[0].model.version)
    scored = [i for i, r in enumerate(results) if r.scores is not None]  # not: refused
    if not usable or loaded is None or not scored:
        return [replace(r, model=replace(r.model, profile=profile, adapter_version=None))
                for r in results]
    base = np.array([[results[i].scores[h] for h in HEADS] for i in scored],  # type: ignore[index]
                    dtype=np.float64)
    rows = loaded.adapter.predict_scores(
        [article_text(articles[i].headline, articles[i].body) for i in scored], base)
    adapted = dict(zip(scored, rows, strict=True))
    caps = (list(max_spans) if isinstance(max_spans, Sequence)
            else [max_spans] * len(results))
    out = []
    for i, (result, article, cap) in enumerate(zip(results, articles, caps, strict=True)):
        model = ModelInfo(result.model.name, result.model.version, profile, loaded.version)
        if i not in adapted:
            out.append(replace(result, model=model))
            continue
        spans = result.spans
        if loaded.spans and spans:  # highlights only where highlights were asked for
            spans = loaded.spans.adjust(article.headline, article.body, spans, cap)
        out.append(replace(
            result,
            scores={h: round(float(v), 6) for h, v in zip(HEADS, adapted[i], strict=True)},
            spans=spans, model=model,
        ))
    return out


class ProfiledScorer(Scorer):
    """A scorer that scores as a profile: the base scorer's results, adapted (what
    ``hypemeter score --profile`` runs locally)."""

    def __init__(self, scorer: Scorer, profile: str, loaded: LoadedAdapter | None) -> None:
        super().__init__(scorer.bundle)
        self.scorer = scorer
        self.profile = profile
        self.loaded = loaded

    def score(self, articles: Sequence[Article], *, explain: bool = True,
              max_spans: int | None = None, sentences: bool = False) -> list[ScoreResult]:
        results = self.scorer.score(articles, explain=explain, max_spans=max_spans,
                                    sentences=sentences)
        return adapt(results, articles, self.profile, self.loaded, max_spans=max_spans)

    def predict_scores(self, articles: Sequence[Article]) -> np.ndarray:
        """(n, 2) scores as the profile sees them (what ``suggest --profile`` ranks by)."""
        base = np.asarray(self.scorer.bundle.model.predict_scores(articles), dtype=np.float64)
        loaded = self.loaded
        if loaded is None or loaded.base_model_version != self.scorer.version:
            return base
        return loaded.adapter.predict_scores(
            [article_text(a.headline, a.body) for a in articles], base)
