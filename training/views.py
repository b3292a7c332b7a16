"""Short views of the training articles, so that length and a missing field do not stand in for
style (issue 22, "Short texts score high").

Users score single sentences, posts and snippets without a headline. Before these views, text
with a body and no headline reached the article stackers only as HYPO sentences (one in three a
hyperbole), so "Plain text." scored 0.56. For each labelled article (headline and body) of the
article corpora, :func:`short_views` adds:

* ``body_only``: the body, headline removed;
* ``first_sentence``: the body's first sentence alone (as a body, no headline);
* ``headline_only``: the headline alone, for the tasks in ``headline_tasks`` only (none by
  default, :data:`HEADLINE_VIEW_TASKS`).

Headline views are left out of training. The sensationalism corpora label an article by its
outlet or its body (SemEval-2019's hyperpartisan outlets write plain headlines over loaded
bodies), so the article's label does not describe its headline: as two of the four corpora of
the headline calibration map those views squeezed every headline scored alone towards 0.5
(sober article headlines: median 0.14 -> 0.43; the stackers alone kept 0.14; issue 22). The
misinformation corpora's titles fed the claim learner and cost held-out full articles
misinformation ROC-AUC (0.822 with them, 0.846 without, docs/fairness.md). Headline-only text
is what the headline corpora (clickbait posts, titles, claims) teach.

Each view keeps the article's label (or graded target), source and group, so a view is always
in the same split as its article, and its corpus, so :func:`hypemeter.training.recipe.balance`
counts it in its corpus's share. Views carry no gold spans (the span model learns from whole
articles) and weigh :data:`VIEW_WEIGHT` of a full article in the learners. The propaganda
corpus's graded target is an article's loaded-language density: its body view keeps it, its
first sentence and headline do not (they hold a different share), so those are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from hypemeter.records.results import Record
from hypemeter.text.sentences import UNTRAINED

VIEW_KINDS = ("body_only", "first_sentence", "headline_only")
VIEW_WEIGHT = 0.5
# tasks whose articles' headline views are added (see the module docstring)
HEADLINE_VIEW_TASKS: tuple[str, ...] = ()
# a first "sentence" shorter than this was cut at an abbreviation ("The U.S.") or is a
# dateline: the next one is joined to it
MIN_WORDS = 6
# tasks whose records the views copy (not spans-only densities for the shorter views)
_GRADED_DENSITY = "spans"


def first_sentence(body: str) -> str:
    """The body's first sentence (the untrained splitter's, see
    :mod:`hypemeter.text.sentences`), joined with the next ones until it has
    :data:`MIN_WORDS` words."""
    spans = UNTRAINED.spans(body)
    for _, end in spans:
        text = body[spans[0][0]:end].strip()
        if len(text.split()) >= MIN_WORDS:
            return text
    return body.strip()


def short_views(records: Sequence[Record], headline_tasks: Sequence[str] | None = None,
                tasks: Sequence[str] | None = None) -> list[Record]:
    """The views of every labelled article in ``records`` (see the module docstring), of the
    articles of ``tasks`` only, and the headline views of the tasks in ``headline_tasks`` only
    (None: every task's, which is what validation measures)."""
    out: list[Record] = []
    for r in records:
        if r.kind != "article" or not r.headline.strip() or not r.body.strip():
            continue
        if tasks is not None and r.task not in tasks:
            continue
        if r.label is None and r.target is None:
            continue
        views = {"body_only": ("", r.body)}
        if r.task != _GRADED_DENSITY:
            sentence = first_sentence(r.body)
            if sentence and sentence != r.body.strip():
                views["first_sentence"] = ("", sentence)
            if headline_tasks is None or r.task in headline_tasks:
                views["headline_only"] = (r.headline, "")
        for kind, (headline, body) in views.items():
            out.append(replace(r, id=f"{r.id}#{kind}", headline=headline, body=body,
                               spans=[], kind=kind))
    return out
