"""The training recipe: which corpus feeds which of :class:`~hypemeter.scoring.model.HypeModel`'s
learners, with what target and weight. Fitting them is :mod:`hypemeter.training.stacking`.

Base learners and their corpora:

* ``headline_``: clickbait-style headlines (Stop Clickbait, Webis-17 with its graded
  ``truth_mean`` as soft labels);
* ``body_``: loaded, hyperbolic, fear-laden article language (hyperpartisan articles, PTC span
  density, HYPO hyperboles, the project's sample, plainly written reports as negatives);
* ``claim_``: false claims and fake titles (LIAR graded, FakeNewsNet titles);
* ``article_``: fabricated full articles (FakeNewsNet PolitiFact, Pérez-Rosas, sample);
* ``loaded_head_``: loaded headlines (PTC lines, HYPO sentences, article titles);
* ``sens_article_``: sensational full articles, headline and body n-grams in one bag
  (hyperpartisan, PTC span density, the sample, plainly written reports as negatives).

The stackers learn on the body and article sets plus held-out headlines and claims; every
article corpus gets an equal say (:func:`balance`), and a user's own corrections the weight
``Recipe.own_weight`` gives them. :func:`training_data` hands it all to
:meth:`HypeModel.fit <hypemeter.scoring.model.HypeModel.fit>` as
:class:`~hypemeter.scoring.fitting.TrainingData`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from hypemeter.training.identity_reports import is_identity_report
from hypemeter.training.views import HEADLINE_VIEW_TASKS, VIEW_KINDS, VIEW_WEIGHT, short_views

from hypemeter.analysis.vocabulary import LOADED_TECHNIQUES
from hypemeter.records.results import Article, Record
from hypemeter.scoring.fitting import LEARNERS, TrainingData, TrainSet, concat, subset
from hypemeter.scoring.model import HypeModel, word_ngrams
from hypemeter.text.tokens import SECOND_PERSON, tokenize

PSEUDO_HEADLINE = "pseudo_headline"
CLICKBAIT_CUES = SECOND_PERSON | {
    "this", "these", "here's", "what", "why", "how", "will", "guess", "things", "reasons",
    "ways", "actually", "literally", "need",
}
OWN_PREFIX = "own:"
PhraseTable = dict[tuple[str, ...], tuple[str, float]]  # phrase -> (category, weight)


@dataclass(frozen=True)
class Recipe:
    """The recipe's parameters (the model's own are :class:`HypeModel`'s)."""

    # headlines and claims held out of their base learners for the stackers
    meta_headlines: int = 3000
    # sources whose accurate articles are plain reporting: negatives for the style learners
    objective_sources: tuple[str, ...] = ("perez_rosas_amt",)
    # corpora whose articles labelled not sensational are ordinary reporting: they also
    # teach the misinformation learners what accurate articles look like
    mainstream_corpora: tuple[str, ...] = ()
    # a PTC article's span density at which its target reaches 1
    ptc_soft_scale: float = 0.08
    # A user's own records (corpora "own:..."): a number gives each own record that many
    # times an ordinary record's weight in every learner and stacker; None balances them
    # like any article corpus (a file of 25 then weighs as much as a whole public corpus,
    # which cost other corpora up to 0.09 ROC-AUC in benchmarks/bench_adaptation.py).
    own_weight: float | None = 3.0
    # body-only, headline-only and first-sentence views of each article join the training data
    # at this weight (hypemeter.training.views); None: no views
    view_weight: float | None = VIEW_WEIGHT
    # the tasks whose articles also give a headline-only view (hypemeter.training.views: not
    # sensationalism, whose corpora label the article, not its headline)
    headline_views: tuple[str, ...] = HEADLINE_VIEW_TASKS
    # the tasks whose articles give views at all
    view_tasks: tuple[str, ...] = ("sensationalism", "misinformation", "spans")
    # the tasks the project's reports about groups (hypemeter.training.identity_reports) teach:
    # they show that naming a group says nothing about sensationalism; as misinformation
    # records (all accurate, sober and sensational alike) they cost held-out articles 0.010
    # misinformation ROC-AUC (docs/fairness.md) and are left out
    identity_report_tasks: tuple[str, ...] = ("sensationalism",)
    # Where the reports go besides the span model (which always learns from them: their
    # annotated phrases around a group's name): the base learners
    # (hypemeter.scoring.fitting.LEARNERS) they teach, whether they join the stackers' rows,
    # give short views and teach the phrase lexicon (a feature of every learner), and their
    # weight. Through the lexicon they cost HYPO's body-only sentences 0.010 ROC-AUC; through
    # the stackers they keep held-out legitimate news sober (docs/fairness.md,
    # bench_recipe_steps.py): all of it but the lexicon (2026-12-07.3; 2026-12-07.2 let them
    # teach the lexicon too).
    identity_report_learners: tuple[str, ...] = ("body", "loaded_head", "sens_article")
    identity_report_stackers: bool = True
    identity_report_views: bool = True
    identity_report_weight: float = 1.0
    identity_report_lexicon: bool = False


def training_data(recipe: Recipe, records: Sequence[Record], seed: int
                  ) -> tuple[TrainingData, Callable[[HypeModel], PhraseTable]]:
    """The rows, targets and weights of every learner and stacker (``records`` with the
    sentence records of :func:`sentence_records` appended), and what mines the fitted model's
    clickbait phrases from the whole headline set (:func:`clickbait_phrases`). With
    ``recipe.view_weight``, the short views of :func:`hypemeter.training.views.short_views` are
    appended too, at that weight."""
    records = recipe_records(recipe, records)
    views = (short_views(records, recipe.headline_views, recipe.view_tasks)
             if recipe.view_weight else [])
    if not recipe.identity_report_views:
        views = [v for v in views if not is_identity_report(v)]
    records = [*records, *sentence_records(records), *views]
    sets = train_sets(recipe, records)
    if views:  # headline-less, body-less and one-sentence views of the articles
        for s in sets.values():
            s.w[np.array([records[i].kind in VIEW_KINDS for i in s.idx], bool)] *= (
                recipe.view_weight)
    keep_own = recipe.own_weight is not None
    if recipe.own_weight is not None:
        for s in sets.values():
            s.w[own_mask(s, records)] *= recipe.own_weight
    reported = np.array([is_identity_report(r) for r in records], bool)
    for s in sets.values():
        s.w[reported[s.idx]] *= recipe.identity_report_weight
    stacker_body = sets["body"]  # the sensationalism stackers' rows with a body
    if not recipe.identity_report_stackers:
        stacker_body = subset(stacker_body, ~reported[stacker_body.idx])
    for key in LEARNERS:
        if key not in recipe.identity_report_learners:
            sets[key] = subset(sets[key], ~reported[sets[key].idx])
    for key in ("body", "loaded_head"):  # article corpora: equal say each
        sets[key].w = balance(sets[key], records, keep_own)
    if stacker_body is not sets["body"]:
        stacker_body.w = balance(stacker_body, records, keep_own)
    headlines = sets["headline"]
    sets["headline"], head_meta = holdout(headlines, recipe.meta_headlines, seed)
    sets["claim"], claim_meta = holdout(sets["claim"], recipe.meta_headlines, seed)
    return TrainingData(
        articles=[Article(r.headline, r.body, r.id) for r in records],
        records=records,
        sets=sets,
        score_sets=(concat(stacker_body, head_meta),
                    concat(sets["article"], claim_meta)),
        stacker_weights=lambda part: balance(part, records, keep_own),
    ), lambda model: clickbait_phrases(model, records, headlines)


def recipe_records(recipe: Recipe, records: Sequence[Record]) -> list[Record]:
    """The records the recipe trains on: the project's reports about groups for
    ``recipe.identity_report_tasks`` only."""
    return [r for r in records
            if not is_identity_report(r) or r.task in recipe.identity_report_tasks]


def lexicon_records(recipe: Recipe, records: Sequence[Record]) -> list[Record]:
    """The records the phrase lexicon learns from: without the reports about groups unless
    ``recipe.identity_report_lexicon``."""
    if recipe.identity_report_lexicon:
        return list(records)
    return [r for r in records if not is_identity_report(r)]


def train_sets(recipe: Recipe, records: Sequence[Record]) -> dict[str, TrainSet]:
    """Each learner's rows of ``records``, targets and weights (before balancing)."""
    rows: dict[str, list[tuple[int, float, float]]] = {k: [] for k in LEARNERS}
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
                if r.corpus in recipe.mainstream_corpora and r.label == 0:
                    rows["article"].append((i, 0.0, 1.0))  # ordinary reporting: not fabricated
        elif r.task == "spans" and has_body and r.target is not None:
            y = min(1.0, float(r.target) / recipe.ptc_soft_scale)
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
                if r.source in recipe.objective_sources and r.label == 0:
                    rows["body"].append((i, 0.0, 1.0))
                    rows["sens_article"].append((i, 0.0, 1.0))
            else:
                rows["claim"].append((i, y, 1.0))
    out = {}
    for key, items in rows.items():
        if not items:
            raise ValueError(
                f"no training records for the {key} model (see hypemeter.training.recipe "
                "for which corpora feed it)"
            )
        ys = np.array([t[1] for t in items])
        if not (ys > 0).any() or not (ys < 1).any():
            raise ValueError(
                f"the {key} model needs labelled examples of both kinds, got {len(ys)} "
                "of one kind only"
            )
        idx = np.array([t[0] for t in items])
        out[key] = TrainSet(
            idx=idx,
            y=np.array([t[1] for t in items]),
            w=np.array([t[2] for t in items]),
            groups=np.array([records[j].group for j in idx]),
        )
    return out


def holdout(s: TrainSet, n: int, seed: int) -> tuple[TrainSet, TrainSet]:
    """Split a headline set by group: ``n`` rows for the stacker, the rest for the base."""
    rng = np.random.default_rng(seed)
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
    if mask.all() or not mask.any():  # too few groups: half of each class, at random
        mask = np.zeros(len(s.idx), dtype=bool)
        share = min(n, len(s.idx) // 2) / max(len(s.idx), 1)
        for rows in (np.flatnonzero(s.y >= 0.5), np.flatnonzero(s.y < 0.5)):
            mask[rng.permutation(rows)[: round(share * len(rows))]] = True
    return subset(s, ~mask), subset(s, mask)


def sentence_records(records: Sequence[Record]) -> list[Record]:
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


def own_mask(s: TrainSet, records: Sequence[Record]) -> np.ndarray:
    return np.array([records[i].corpus.startswith(OWN_PREFIX) for i in s.idx], dtype=bool)


def balance(s: TrainSet, records: Sequence[Record], keep_own: bool = False) -> np.ndarray:
    """Give every article corpus the same total weight in a stacker, and all headline-only
    corpora together the weight of one: the stackers score articles, and headline corpora
    only teach them what to do when the body is missing. With ``keep_own`` a user's own
    records keep their weights (see ``Recipe.own_weight``) and the others are balanced."""
    keys = np.array([
        records[i].corpus if records[i].body.strip() else "<headline-only>" for i in s.idx
    ])
    w = s.w.copy()
    rest = ~own_mask(s, records) if keep_own else np.ones(len(s.idx), dtype=bool)
    names, counts = np.unique(keys[rest], return_counts=True)
    for name, count in zip(names, counts, strict=True):
        w[rest & (keys == name)] *= rest.sum() / (len(names) * count)
    return w


def clickbait_phrases(
    model: HypeModel, records: Sequence[Record], s: TrainSet
) -> PhraseTable:
    """The fitted headline learner's strongest multi-word n-grams, as clickbait phrases for
    the lexicon (structural ones only, see :data:`CLICKBAIT_CUES`)."""
    def analyzer(text: str) -> list[str]:
        return word_ngrams(tokenize(text).words)

    counts: Counter[str] = Counter()
    for i in s.idx[s.y >= 0.5]:
        counts.update(g for g in set(analyzer(records[i].headline)) if " " in g)
    coef = model.headline_.coef_[0]
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
        weight = float(coef[model.head_words_.column(words)])
        if weight > 0:
            scored.append((weight, gram))
    scored.sort(reverse=True)
    return {
        tuple(g.split()): ("clickbait", round(min(0.9, 0.3 + w / 10), 4))
        for w, g in scored[:150]
    }
