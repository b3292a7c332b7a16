"""The one data plane: turn articles into result objects with a loaded bundle.

The CLI, the REST service, the Dask engine and the reports all call :class:`Scorer`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from hypemeter import MODEL_NAME
from hypemeter.bundles.bundle import Bundle, load_bundle
from hypemeter.errors import HypemeterError, InvalidInputError, ModelLoadError, describe
from hypemeter.language import Decision, LanguageGate, valid_code
from hypemeter.records.results import Article, ModelInfo, ResultError, ScoreResult
from hypemeter.scoring.gcpause import gc_paused
from hypemeter.spans.rounding import rounded
from hypemeter.text.slots import build_many

T = TypeVar("T")
R = TypeVar("R")


def isolate_failures(
    score_batch: Callable[[Sequence[T]], Sequence[R]], items: Sequence[T]
) -> list[R | Exception]:
    """``score_batch(items)`` in one call; if that raises, one call per item, so an item the
    model cannot score costs only itself: its exception takes its place in the result."""
    try:
        return list(score_batch(items))
    except Exception as exc:
        if len(items) == 1:
            return [exc]
    outcomes: list[R | Exception] = []
    for item in items:
        try:
            outcomes.extend(score_batch([item]))
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


def validate_article(article: Article, *, where: str = "") -> None:
    """Either field may be empty, not both."""
    if not isinstance(article.headline, str) or not isinstance(article.body, str):
        raise InvalidInputError(f"{where}headline and body must be strings", field="headline")
    if not article.headline.strip() and not article.body.strip():
        raise InvalidInputError(
            f"{where}headline and body are both empty: give at least one", field="body"
        )
    if article.language is not None and not valid_code(article.language):
        raise InvalidInputError(
            f"{where}language must be a 2-letter ISO 639-1 code such as 'en', not "
            f"{article.language!r}", field="language")


class Scorer:
    """Scores batches of articles with one bundle. Stateless apart from the bundle.

    Every article's language is decided first (:class:`hypemeter.language.LanguageGate`, with
    the languages the bundle's card lists): one the model does not read is not scored, and
    its result has ``scores`` None, no spans and an ``unsupported_language`` error.
    """

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.info = ModelInfo(name=MODEL_NAME, version=bundle.version)
        self.gate = LanguageGate(bundle.languages)
        self.gate.warm_up()

    @property
    def version(self) -> str:
        return self.bundle.version

    def score(
        self,
        articles: Sequence[Article],
        *,
        explain: bool = True,
        max_spans: int | None = None,
        sentences: bool = False,
    ) -> list[ScoreResult]:
        for article in articles:
            validate_article(article)
        if not articles:
            return []
        decisions = [self.gate.decide(a) for a in articles]
        if all(d.scored for d in decisions):
            with gc_paused():  # see hypemeter.scoring.gcpause
                return self._score(articles, decisions, explain, max_spans, sentences)
        keep = [i for i, d in enumerate(decisions) if d.scored]
        scored: list[ScoreResult] = []
        if keep:
            with gc_paused():
                scored = self._score([articles[i] for i in keep], [decisions[i] for i in keep],
                                     explain, max_spans, sentences)
        out: list[ScoreResult] = []
        it = iter(scored)
        for article, decision in zip(articles, decisions, strict=True):
            out.append(next(it) if decision.scored else self._refused(article, decision))
        return out

    def _refused(self, article: Article, decision: Decision) -> ScoreResult:
        err = self.gate.refusal(decision)
        return ScoreResult(id=article.id, scores=None, spans=[], model=self.info,
                           language=decision.language, language_asserted=decision.asserted,
                           error=ResultError(err.code, err.message))

    def _score(
        self, articles: Sequence[Article], decisions: Sequence[Decision], explain: bool,
        max_spans: int | None, sentences: bool,
    ) -> list[ScoreResult]:
        model = self.bundle.model
        analyses = model.analyze(articles, matches=explain or sentences)
        scores = model.predict_scores(articles, analyses)
        if explain or sentences:
            explained = model.explain(articles, analyses, spans=explain, max_spans=max_spans,
                                      sentences=sentences)
        else:
            explained = [([], None)] * len(articles)
        # round(float(x), 6) of each score, for the batch at once
        sensational, misinformation = rounded(scores[:, 0], 6), rounded(scores[:, 1], 6)
        n = len(articles)
        return build_many(  # ScoreResult(...) of each article, made through its slots at once
            ScoreResult, id=[a.id for a in articles],
            scores=[{"sensationalism": s, "misinformation_risk": m}
                    for s, m in zip(sensational, misinformation, strict=True)],
            spans=[spans for spans, _ in explained], model=[self.info] * n,
            sentences=[sents for _, sents in explained], language=[d.language for d in decisions],
            language_asserted=[d.asserted for d in decisions], error=[None] * n)

    def score_one(
        self, article: Article, *, explain: bool = True, max_spans: int | None = None,
        sentences: bool = False,
    ) -> ScoreResult:
        return self.score([article], explain=explain, max_spans=max_spans,
                          sentences=sentences)[0]


SMOKE_ARTICLE = Article(
    headline="Council approves budget after SHOCKING late-night vote",
    body="The city council approved the budget on Tuesday. Critics called it a disaster.",
    id="smoke-test",
)


def smoke_test(scorer: Scorer) -> None:
    """Score one canned article; a bundle that cannot do that is refused."""
    try:
        result = scorer.score([SMOKE_ARTICLE], explain=True)[0]
        if result.scores is None:
            raise ValueError(f"the smoke article was not scored ({result.error})")
        for value in result.scores.values():
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"score {value!r} outside [0, 1]")
    except HypemeterError:
        raise
    except Exception as exc:
        raise ModelLoadError(
            f"the bundle at {scorer.bundle.path} loaded but failed its smoke test "
            f"({describe(exc)})") from exc


def load_scorer(path: Path | str, version: str | None = None) -> Scorer:
    """Load and verify a bundle (:func:`hypemeter.bundles.bundle.load_bundle`) and check that it
    scores: what every command that scores with a bundle starts with."""
    scorer = Scorer(load_bundle(path, version))
    smoke_test(scorer)
    return scorer
