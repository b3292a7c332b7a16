"""Instances of frozen dataclasses built at once through their slots
(hypemeter.text.slots.build_many) are those their constructor makes: equal, of the class, still
frozen, every field set; columns that do not fit the fields are refused."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hypemeter.analysis.features import FieldAnalysis
from hypemeter.text.slots import build_many
from hypemeter.text.tokens import Tokens, tokenize


@pytest.mark.parametrize("repeat", [1, 20])  # a few made by the constructor, many by maps
def test_tokens_as_the_constructor_makes_them(repeat: int) -> None:
    made = [tokenize(t) for t in ("A text, with words.", "", "x" * 300 + " and more") * repeat]
    built = build_many(Tokens, **{f.name: [getattr(t, f.name) for t in made]
                                  for f in dataclasses.fields(Tokens)})
    assert built == made
    assert [t.caps for t in built] == [t.caps for t in made]
    assert all(type(t) is Tokens for t in built)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built[0].caps = 3  # type: ignore[misc]


def test_field_analyses_and_empty_input() -> None:
    tk = tokenize("Shocking news")
    style = np.arange(3.0)
    built = build_many(FieldAnalysis, style=[style], tokens=[tk], matches=[[]], hashes=[None],
                       masked=["masked"], rows=[None], table=[None])
    assert built == [FieldAnalysis(tk, style, [], None, "masked")]
    assert built[0].style is style
    assert build_many(FieldAnalysis, tokens=[], style=[], matches=[], hashes=[],
                      masked=[], rows=[], table=[]) == []


def test_columns_that_do_not_fit_are_refused() -> None:
    with pytest.raises(TypeError):  # a field missing
        build_many(FieldAnalysis, tokens=[1], style=[2], matches=[3], hashes=[4])
    with pytest.raises(TypeError):  # a name that is no field
        build_many(FieldAnalysis, tokens=[1], style=[2], matches=[3], hashes=[4], masked=[5],
                   rows=[6], table=[7], extra=[8])
    for n in (1, 30):
        with pytest.raises(ValueError):
            build_many(FieldAnalysis, tokens=[1] * n, style=[2] * n, matches=[3] * n,
                       hashes=[4] * n, masked=[5] * (n - 1), rows=[6] * n, table=[7] * n)
