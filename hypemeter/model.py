"""The hypemeter model: six base learners stacked into two calibrated scores.

Base learners (linear models on case-normalised hashed n-grams, some with style vectors):

* ``headline_``: clickbait-style headlines (Stop Clickbait, Webis-17 with its graded
  ``truth_mean`` as soft labels);
* ``body_``: loaded, hyperbolic, fear-laden article language (hyperpartisan articles, PTC span
  density, HYPO hyperboles, the project's sample, plainly written reports as negatives);
* ``claim_``: false claims and fake titles (LIAR graded, FakeNewsNet titles);
* ``article_``: fabricated full articles (FakeNewsNet PolitiFact, Pérez-Rosas, sample);
* ``loaded_head_``: loaded headlines (PTC lines, HYPO sentences, article titles);
* ``sens_article_``: sensational full articles, headline and body n-grams in one bag
  (hyperpartisan, PTC span density, the sample, plainly written reports as negatives).

Four stackers (logistic regressions on out-of-fold base logits; the sensationalism ones also
on both fields' style vectors) turn them into ``sensationalism`` and ``misinformation_risk``
probabilities: one per score for text with a body and one for headlines alone, because titles
and claims teach a different task than articles. A headline's clickbait signal and a body's
loaded language both count, and a field that is absent contributes nothing. The stackers are
what calibrates the scores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from hypemeter.features import STYLE_NAMES, FieldAnalysis, analyze_fields, vader_valence
from hypemeter.lexicon import LOADED_TECHNIQUES, PhraseLexicon
from hypemeter.schema import Article, Field, Record, Span
from hypemeter.text import SECOND_PERSON, tokenize
from hypemeter.vectorize import CharWbNgrams, HashedNgrams

EPS = 1e-4
# Stacker input columns (see ``HypeModel._meta``): six base logits, has_headline, has_body,
# then both fields' style signals.
LOGIT_COLUMNS = ("headline", "body", "claim", "article", "loaded_headline", "sensational_article")
HAS_BODY = len(LOGIT_COLUMNS) + 1
# The misinformation stackers read the learners trained on misinformation labels and field
# presence only: style vectors and the sensationalism learners let them tell the article
# corpora apart rather than fabricated from accurate articles (held-out FakeNewsNet domains).
MIS_COLUMNS = [LOGIT_COLUMNS.index("claim"), LOGIT_COLUMNS.index("article"), HAS_BODY - 1,
               HAS_BODY]
# The stackers' attribute prefix and input columns, in score order (sensationalism,
# misinformation_risk); each has an ``_article_`` and a ``_headline_`` model.
STACKERS: tuple[tuple[str, slice | list[int]], ...] = (
    ("sensational", slice(None)), ("misinformation", MIS_COLUMNS),
)
META_STYLE = [
    i for i, n in enumerate(STYLE_NAMES)
    if n not in ("empty", "log_chars", "log_words", "loaded_count")
]


def word_ngrams(words: list[str]) -> list[str]:
    """Unigrams and bigrams of already-normalised tokens (the hashing analyzer)."""
    return words + list(map(" ".join, pairwise(words)))


LOGIT_CAP = float(np.log((1 - EPS) / EPS))


def _tfidf(
    transformer: TfidfTransformer, counts: sp.csr_matrix, *, copy: bool = True
) -> sp.csr_matrix:
    """What ``transformer.transform`` computes (sublinear tf, idf, l2 rows), without its
    per-call validation. ``copy=False`` rewrites float64 ``counts`` in place, which saves a
    sparse-matrix construction (~15 us, noticeable when scoring one article at a time)."""
    X = counts if not copy and counts.dtype == np.float64 else counts.astype(np.float64)
    if transformer.sublinear_tf:
        np.log(X.data, out=X.data)
        X.data += 1.0
    X.data *= transformer.idf_[X.indices]
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    norms = np.sqrt(np.bincount(rows, weights=X.data * X.data, minlength=X.shape[0]))
    norms[norms == 0.0] = 1.0
    X.data /= norms[rows]
    return X


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


@dataclass(frozen=True, slots=True)
class Analysis:
    headline: FieldAnalysis
    body: FieldAnalysis


@dataclass
class _TrainSet:
    idx: np.ndarray  # indices into the record list
    y: np.ndarray  # soft targets in [0, 1]
    w: np.ndarray  # sample weights
    groups: np.ndarray


def _soft_fit(model: LogisticRegression, X: Any, y: np.ndarray, w: np.ndarray) -> None:
    """Fit a classifier on soft targets by splitting each row into a positive and a negative."""
    pos = y > 0
    neg = y < 1
    Xs = sp.vstack([X[pos], X[neg]]) if sp.issparse(X) else np.vstack([X[pos], X[neg]])
    ys = np.concatenate([np.ones(pos.sum()), np.zeros(neg.sum())])
    ws = np.concatenate([w[pos] * y[pos], w[neg] * (1 - y[neg])])
    model.fit(Xs, ys.astype(int), sample_weight=ws)


class HypeModel:
    """Scores articles for sensationalism and misinformation risk and explains the scores."""

    def __init__(
        self,
        seed: int = 0,
        n_features: int = 2**18,
        C_headline: float = 1.0,
        C_body: float = 2.0,
        C_claim: float = 0.5,
        C_article: float = 8.0,
        C_meta: float = 1.0,
        meta_headlines: int = 3000,
        cv_folds: int = 3,
        objective_sources: tuple[str, ...] = ("perez_rosas_amt",),
        ptc_soft_scale: float = 0.08,
        own_weight: float | None = 3.0,
    ) -> None:
        self.seed = seed
        self.n_features = n_features
        self.C_headline = C_headline
        self.C_body = C_body
        self.C_claim = C_claim
        self.C_article = C_article
        self.C_meta = C_meta
        self.meta_headlines = meta_headlines
        self.cv_folds = cv_folds
        self.objective_sources = objective_sources
        self.ptc_soft_scale = ptc_soft_scale
        # A user's own records (corpora "own:..."): a number gives each own record that many
        # times an ordinary record's weight in every learner and stacker; None balances them
        # like any article corpus (a file of 25 then weighs as much as a whole public corpus,
        # which cost other corpora up to 0.09 ROC-AUC in benchmarks/bench_adaptation.py).
        self.own_weight = own_weight

    # ------------------------------------------------------------------ features
    def _vectorizers(self) -> None:
        self.head_words_ = HashedNgrams(n_features=self.n_features)
        self.head_chars_ = HashingVectorizer(
            n_features=self.n_features, analyzer="char_wb", ngram_range=(2, 4),
            alternate_sign=False, norm=None, lowercase=True,
        )
        self.body_words_ = HashedNgrams(n_features=self.n_features)

    def analyze(self, articles: Sequence[Article]) -> list[Analysis]:
        fields = analyze_fields(
            [(text, head) for a in articles for text, head in ((a.headline, True),
                                                              (a.body, False))],
            getattr(self, "lexicon_", None), self.valence_)
        return [Analysis(fields[k], fields[k + 1]) for k in range(0, len(fields), 2)]

    def _counts(
        self, articles: Sequence[Article], analyses: Sequence[Analysis]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """Raw hashed counts: headline words, headline characters, body words."""
        heads = [a.headline.replace("’", "'") for a in articles]
        return (
            _word_counts(self.head_words_, [a.headline for a in analyses]),
            self._head_chars().transform(heads),
            _word_counts(self.body_words_, [a.body for a in analyses]),
        )

    def _head_chars(self) -> HashingVectorizer | CharWbNgrams:
        """``head_chars_``, or its faster exact equivalent (kept per process, not pickled)."""
        fast: CharWbNgrams | None = self.__dict__.get("_head_chars_fast")
        if fast is not None and fast.vectorizer is self.head_chars_:
            return fast
        if not CharWbNgrams.supports(self.head_chars_):
            return self.head_chars_
        fast = self.__dict__["_head_chars_fast"] = CharWbNgrams(self.head_chars_)
        return fast

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_head_chars_fast"}

    def _blocks(
        self,
        articles: Sequence[Article],
        analyses: Sequence[Analysis],
        counts: tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix] | None = None,
    ) -> dict[str, Any]:
        copy = counts is not None  # the caller's counts stay as they are; fresh ones are reused
        hw, hc, bw = counts if counts is not None else self._counts(articles, analyses)
        aw = hw + bw  # a new matrix, taken before hw and bw may be rewritten in place
        return {
            "hw": _tfidf(self.head_tfidf_, hw, copy=copy),
            "hc": _tfidf(self.char_tfidf_, hc, copy=copy),
            "bw": _tfidf(self.body_tfidf_, bw, copy=copy),
            "aw": _tfidf(self.article_tfidf_, aw, copy=False),
            "sh": np.vstack([a.headline.style for a in analyses]),
            "sb": np.vstack([a.body.style for a in analyses]),
        }

    # Which feature blocks each base learner reads, in column order.
    BLOCKS: ClassVar[dict[str, tuple[str, ...]]] = {
        "headline": ("hw", "hc", "sh"),
        "body": ("bw", "sb"),
        "claim": ("hw", "hc"),
        # n-grams only: style vectors tell the article corpora apart and did not transfer to
        # a held-out corpus (leave-one-corpus-out on FakeNewsNet: 0.69 without, 0.60 with)
        "article": ("hw", "bw"),
        # headline and body words in one bag: separately normalised, the few headline words
        # weighed as much as the whole body (unseen hyperpartisan domains: 0.807 vs 0.782)
        "sens_article": ("aw",),
    }

    @classmethod
    def _x(cls, b: dict[str, Any], learner: str) -> sp.csr_matrix:
        """The stacked design matrix of one learner (for fitting)."""
        return sp.hstack(
            [b[k] if sp.issparse(b[k]) else sp.csr_matrix(b[k]) for k in cls.BLOCKS[learner]],
            format="csr",
        )

    @classmethod
    def _decision(cls, model: LogisticRegression, b: dict[str, Any], learner: str) -> np.ndarray:
        """``X @ coef + intercept`` block by block: no stacked matrix, no per-call input
        validation (scoring calls this nine times per batch; it must be cheap)."""
        coef = model.coef_[0]
        out = np.full(b["sh"].shape[0], model.intercept_[0])
        start = 0
        for key in cls.BLOCKS[learner]:
            block = b[key]
            width = block.shape[1]
            out += np.asarray(block @ coef[start:start + width]).ravel()
            start += width
        return out

    def _base_logits(self, b: dict[str, Any]) -> np.ndarray:
        has_h = 1.0 - b["sh"][:, 0]
        has_b = 1.0 - b["sb"][:, 0]
        cap = LOGIT_CAP
        return np.column_stack([
            np.clip(self._decision(self.headline_, b, "headline"), -cap, cap) * has_h,
            np.clip(self._decision(self.body_, b, "body"), -cap, cap) * has_b,
            np.clip(self._decision(self.claim_, b, "claim"), -cap, cap) * has_h,
            np.clip(self._decision(self.article_, b, "article"), -cap, cap),
            np.clip(self._decision(self.loaded_head_, b, "headline"), -cap, cap) * has_h,
            np.clip(self._decision(self.sens_article_, b, "sens_article"), -cap, cap) * has_b,
        ])

    @staticmethod
    def _meta(b: dict[str, Any], logits: np.ndarray) -> np.ndarray:
        """Stacker input: base logits, field presence, style signals. Length is left out: it
        tells corpora apart, not sensational from sober text."""
        has_h = 1.0 - b["sh"][:, :1]
        has_b = 1.0 - b["sb"][:, :1]
        return np.hstack([logits, has_h, has_b, b["sh"][:, META_STYLE], b["sb"][:, META_STYLE]])

    # ------------------------------------------------------------------ training sets
    def _sets(self, records: Sequence[Record]) -> dict[str, _TrainSet]:
        rows: dict[str, list[tuple[int, float, float]]] = {
            k: [] for k in (
                "headline", "body", "claim", "article", "loaded_head", "sens_article"
            )
        }
        for i, r in enumerate(records):
            has_body = bool(r.body.strip())
            if r.kind == PSEUDO_HEADLINE:
                rows["loaded_head"].append((i, float(r.label or 0), 1.0))
                continue
            if (r.task == "sensationalism" and r.label is not None) or (r.target is not None and (
                r.task == "sensationalism"
            )):
                y = float(r.target) if r.target is not None else float(r.label or 0)
                if r.kind == "headline" or not has_body:
                    rows["headline"].append((i, y, 1.0))
                else:
                    rows["body"].append((i, y, 1.0))
                    if r.headline.strip():
                        rows["loaded_head"].append((i, y, 1.0))
                        rows["sens_article"].append((i, y, 1.0))
            elif r.task == "spans" and has_body and r.target is not None:
                y = min(1.0, float(r.target) / self.ptc_soft_scale)
                rows["body"].append((i, y, 1.0))
                rows["sens_article"].append((i, y, 1.0))
                if r.headline.strip():
                    loaded = any(s.field == "headline" and s.technique in LOADED_TECHNIQUES
                                 for s in r.spans)
                    rows["loaded_head"].append((i, float(loaded), 1.0))
            elif r.task == "misinformation" and (r.label is not None or r.target is not None):
                y = float(r.target) if r.target is not None else float(r.label or 0)
                if has_body:
                    rows["article"].append((i, y, 1.0))
                    if r.source in self.objective_sources and r.label == 0:
                        rows["body"].append((i, 0.0, 1.0))
                        rows["sens_article"].append((i, 0.0, 1.0))
                else:
                    rows["claim"].append((i, y, 1.0))
        out = {}
        for key, items in rows.items():
            if not items:
                raise ValueError(
                    f"no training records for the {key} model (see hypemeter.model docstring "
                    "for which corpora feed it)"
                )
            ys = np.array([t[1] for t in items])
            if not (ys > 0).any() or not (ys < 1).any():
                raise ValueError(
                    f"the {key} model needs labelled examples of both kinds, got {len(ys)} "
                    "of one kind only"
                )
            idx = np.array([t[0] for t in items])
            out[key] = _TrainSet(
                idx=idx,
                y=np.array([t[1] for t in items]),
                w=np.array([t[2] for t in items]),
                groups=np.array([records[j].group for j in idx]),
            )
        return out

    def _holdout(self, s: _TrainSet, n: int) -> tuple[_TrainSet, _TrainSet]:
        """Split a headline set by group: ``n`` rows for the stacker, the rest for the base."""
        rng = np.random.default_rng(self.seed)
        groups = np.unique(s.groups)
        rng.shuffle(groups)
        chosen: set[str] = set()
        count = 0
        sizes = Counter(s.groups.tolist())
        for g in groups:
            if count >= n:
                break
            chosen.add(str(g))
            count += sizes[g]
        mask = np.array([str(g) in chosen for g in s.groups])
        if mask.all() or not mask.any():
            mask = np.zeros(len(s.idx), dtype=bool)
            mask[: min(n, len(s.idx) // 2)] = True
        pick = lambda m: _TrainSet(s.idx[m], s.y[m], s.w[m], s.groups[m])  # noqa: E731
        return pick(~mask), pick(mask)

    def _lr(self, C: float) -> LogisticRegression:
        return LogisticRegression(C=C, max_iter=2000, solver="liblinear", random_state=self.seed)

    # ------------------------------------------------------------------ fit
    def fit(self, records: Sequence[Record]) -> HypeModel:
        self.valence_ = dict(vader_valence())
        self.lexicon_ = PhraseLexicon().fit(records, self.valence_)
        self._vectorizers()
        records = [*records, *_sentence_records(records)]
        sets = self._sets(records)
        own_weight = getattr(self, "own_weight", None)
        if own_weight is not None:
            for s in sets.values():
                s.w[_own_mask(s, records)] *= own_weight
        for key in ("body", "loaded_head"):  # article corpora: equal say each
            sets[key].w = _balance(sets[key], records, own_weight is not None)
        articles = [Article(r.headline, r.body, r.id) for r in records]
        analyses = self.analyze(articles)
        counts = self._counts(articles, analyses)
        has_body = np.array([bool(a.body.tokens.words) for a in analyses])
        self.head_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts[0])
        self.char_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts[1])
        self.body_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts[2][has_body])
        self.article_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(
            (counts[0] + counts[2])[has_body]
        )
        blocks = self._blocks(articles, analyses, counts)

        head_base, head_meta = self._holdout(sets["headline"], self.meta_headlines)
        claim_base, claim_meta = self._holdout(sets["claim"], self.meta_headlines)
        X = {learner: self._x(blocks, learner) for learner in self.BLOCKS}  # stacked once
        self.headline_ = self._lr(self.C_headline)
        _soft_fit(self.headline_, X["headline"][head_base.idx], head_base.y, head_base.w)
        self.claim_ = self._lr(self.C_claim)
        _soft_fit(self.claim_, X["claim"][claim_base.idx], claim_base.y, claim_base.w)
        oof: dict[str, np.ndarray] = {}
        for attr, learner, key, C in (
            ("body_", "body", "body", self.C_body),
            ("article_", "article", "article", self.C_article),
            ("loaded_head_", "headline", "loaded_head", self.C_body),
            ("sens_article_", "sens_article", "sens_article", self.C_article),
        ):
            s = sets[key]
            model = self._lr(C)
            oof[key] = self._oof(model, X[learner], s)
            _soft_fit(model, X[learner][s.idx], s.y, s.w)
            setattr(self, attr, model)

        logits = self._base_logits(blocks)
        # out-of-fold logits replace in-sample ones for the rows the base models were fit on
        logits[sets["body"].idx, 1] = oof["body"]
        logits[sets["article"].idx, 3] = oof["article"]
        logits[sets["loaded_head"].idx, 4] = oof["loaded_head"]
        logits[sets["sens_article"].idx, 5] = oof["sens_article"]
        meta_x = self._meta(blocks, logits)
        # One stacker per score and input kind: with a body (articles, body-only text) and
        # headline only. Titles and claims teach a different task than articles; one shared
        # stacker had to compromise between them.
        with_body = meta_x[:, HAS_BODY] > 0
        score_sets = (_concat(sets["body"], head_meta), _concat(sets["article"], claim_meta))
        for (attr, columns), score_set in zip(STACKERS, score_sets, strict=True):
            for kind, mask in (("article", with_body), ("headline", ~with_body)):
                part = _subset(score_set, mask[score_set.idx])
                if not ((part.y > 0).any() and (part.y < 1).any()):
                    part = score_set  # too little data of this kind: share the whole set
                model = self._lr(self.C_meta)
                _soft_fit(model, meta_x[part.idx][:, columns], part.y,
                          _balance(part, records, own_weight is not None))
                setattr(self, f"{attr}_{kind}_", model)
        self._learn_clickbait_phrases(records, sets["headline"])
        self.meta_feature_names_ = [
            "logit_headline", "logit_body", "logit_claim", "logit_article", "logit_loaded_headline",
            "logit_sensational_article", "has_headline",
            "has_body", *(f"headline_{STYLE_NAMES[i]}" for i in META_STYLE),
            *(f"body_{STYLE_NAMES[i]}" for i in META_STYLE),
        ]
        return self

    def _oof(self, model: LogisticRegression, X: sp.csr_matrix, s: _TrainSet) -> np.ndarray:
        out = np.zeros(len(s.idx))
        n_groups = len(np.unique(s.groups))
        folds = GroupKFold(n_splits=max(2, min(self.cv_folds, n_groups)))
        Xs = X[s.idx]
        for tr, te in folds.split(Xs, s.y, s.groups):
            m = self._lr(model.C)
            _soft_fit(m, Xs[tr], s.y[tr], s.w[tr])
            out[te] = _logit(m.predict_proba(Xs[te])[:, 1])
        return out

    def _learn_clickbait_phrases(self, records: Sequence[Record], s: _TrainSet) -> None:
        """Add the headline model's strongest multi-word n-grams to the lexicon as clickbait."""
        def analyzer(text: str) -> list[str]:
            return word_ngrams(tokenize(text).words)

        counts: Counter[str] = Counter()
        for i in s.idx[s.y >= 0.5]:
            counts.update(g for g in set(analyzer(records[i].headline)) if " " in g)
        coef = self.headline_.coef_[0]
        scored = []
        negatives: Counter[str] = Counter()
        for i in s.idx[s.y < 0.5]:
            negatives.update(g for g in set(analyzer(records[i].headline)) if g in counts)
        for gram, c in counts.items():
            words = gram.split()
            # Keep structural clickbait ("you need to know", "what happens"), not the topics
            # and names one outlet's clickbait happened to cover.
            if c < 20 or c < 5 * negatives[gram] or not CLICKBAIT_CUES.intersection(words):
                continue
            weight = float(coef[self.head_words_.column(words)])
            if weight > 0:
                scored.append((weight, gram))
        scored.sort(reverse=True)
        phrases = {
            tuple(g.split()): ("clickbait", round(min(0.9, 0.3 + w / 10), 4))
            for w, g in scored[:150]
        }
        self.lexicon_.add_phrases(phrases)

    # ------------------------------------------------------------------ predict
    def predict_scores(
        self, articles: Sequence[Article], analyses: Sequence[Analysis] | None = None
    ) -> np.ndarray:
        """Return an (n, 2) array: sensationalism, misinformation_risk."""
        if analyses is None:
            analyses = self.analyze(articles)
        blocks = self._blocks(articles, analyses)
        meta_x = self._meta(blocks, self._base_logits(blocks))
        with_body = meta_x[:, HAS_BODY] > 0
        out = np.empty((len(articles), 2))
        for j, (attr, columns) in enumerate(STACKERS):
            for kind, mask in (("article", with_body), ("headline", ~with_body)):
                model = getattr(self, f"{attr}_{kind}_")
                out[mask, j] = meta_x[mask][:, columns] @ model.coef_[0] + model.intercept_[0]
        return expit(out)

    @staticmethod
    def spans(article: Article, analysis: Analysis, max_spans: int | None = None) -> list[Span]:
        found = _field_spans("headline", article.headline, analysis.headline)
        found += _field_spans("body", article.body, analysis.body)
        if max_spans is not None and len(found) > max_spans:
            keep = sorted(range(len(found)), key=lambda k: (-found[k].weight, k))[:max_spans]
            found = [found[k] for k in sorted(keep)]
        return found


def _word_counts(vectorizer: Any, fields: list[FieldAnalysis]) -> sp.csr_matrix:
    """Hashed word counts, from the hashes the analysis already has when it has them."""
    if type(vectorizer) is HashedNgrams and all(fa.hashes is not None for fa in fields):
        return vectorizer.transform_hashes([fa.hashes for fa in fields])  # type: ignore[misc]
    return vectorizer.transform([fa.tokens.words for fa in fields])


def _field_spans(name: Field, text: str, fa: FieldAnalysis) -> list[Span]:
    starts, ends = fa.tokens.starts, fa.tokens.ends
    out = []
    for m in fa.matches:
        start, end = starts[m.first], ends[m.last]
        out.append(Span(name, start, end, text[start:end], m.category, m.weight))
    return out


PSEUDO_HEADLINE = "pseudo_headline"
CLICKBAIT_CUES = SECOND_PERSON | {
    "this", "these", "here's", "what", "why", "how", "will", "guess", "things", "reasons",
    "ways", "actually", "literally", "need",
}


def _sentence_records(records: Sequence[Record]) -> list[Record]:
    """Headline-length training text for the loaded-headline learner: each line of a
    span-labelled article body (loaded if it overlaps a loaded-language span) and each HYPO
    sentence (hyperbole or literal). Used by that base learner only, never by the stackers."""
    out: list[Record] = []
    for r in records:
        if r.task == "spans" and r.spans and r.body:
            loaded = [(s.start, s.end) for s in r.spans
                      if s.field == "body" and s.technique in LOADED_TECHNIQUES]
            pos = 0
            for k, line in enumerate(r.body.split("\n")):
                start, end = pos, pos + len(line)
                pos = end + 1
                if len(line.split()) < 4:
                    continue
                label = int(any(a < end and b > start for a, b in loaded))
                out.append(Record(f"{r.id}#{k}", line, "", "spans", label, r.source, r.group,
                                  r.corpus, kind=PSEUDO_HEADLINE))
        elif r.corpus == "hypo_troiano2018" and r.label is not None and r.body:
            out.append(Record(f"{r.id}#h", r.body, "", "sensationalism", r.label, r.source,
                              r.group, r.corpus, kind=PSEUDO_HEADLINE))
    return out


def _subset(s: _TrainSet, mask: np.ndarray) -> _TrainSet:
    return _TrainSet(s.idx[mask], s.y[mask], s.w[mask], s.groups[mask])


def _concat(a: _TrainSet, b: _TrainSet) -> _TrainSet:
    return _TrainSet(
        np.concatenate([a.idx, b.idx]), np.concatenate([a.y, b.y]),
        np.concatenate([a.w, b.w]), np.concatenate([a.groups, b.groups]),
    )


OWN_PREFIX = "own:"


def _own_mask(s: _TrainSet, records: Sequence[Record]) -> np.ndarray:
    return np.array([records[i].corpus.startswith(OWN_PREFIX) for i in s.idx], dtype=bool)


def _balance(s: _TrainSet, records: Sequence[Record], keep_own: bool = False) -> np.ndarray:
    """Give every article corpus the same total weight in a stacker, and all headline-only
    corpora together the weight of one: the stackers score articles, and headline corpora
    only teach them what to do when the body is missing. With ``keep_own`` a user's own
    records keep their weights (see ``HypeModel.own_weight``) and the others are balanced."""
    keys = np.array([
        records[i].corpus if records[i].body.strip() else "<headline-only>" for i in s.idx
    ])
    w = s.w.copy()
    rest = ~_own_mask(s, records) if keep_own else np.ones(len(s.idx), dtype=bool)
    names, counts = np.unique(keys[rest], return_counts=True)
    for name, count in zip(names, counts, strict=True):
        w[rest & (keys == name)] *= rest.sum() / (len(names) * count)
    return w
