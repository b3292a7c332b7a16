"""Short views of the training articles, so that length and a missing field do not stand in for
style (issue 22, "Short texts score high").

Users score single sentences, posts and snippets without a headline. Before these views, text
with a body and no headline reached the article stackers only as HYPO sentences (one in three a
hyperbole), so "Plain text." scored 0.56. For each labelled article (headline and body) of the
article corpora, :func:`short_views` adds:

* ``body_only``: the body, headline removed;
* ``first_sentence``: the body's first sentence alone (as a body, no headline);
* ``headline_only``: the headline alone.

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


def short_views(records: Sequence[Record]) -> list[Record]:
    """The views of every labelled article in ``records`` (see the module docstring)."""
    out: list[Record] = []
    for r in records:
        if r.kind != "article" or not r.headline.strip() or not r.body.strip():
            continue
        if r.label is None and r.target is None:
            continue
        views = {"body_only": ("", r.body)}
        if r.task != _GRADED_DENSITY:
            sentence = first_sentence(r.body)
            if sentence and sentence != r.body.strip():
                views["first_sentence"] = ("", sentence)
            views["headline_only"] = (r.headline, "")
        for kind, (headline, body) in views.items():
            out.append(replace(r, id=f"{r.id}#{kind}", headline=headline, body=body,
                               spans=[], kind=kind))
    return out
