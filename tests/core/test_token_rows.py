"""The span model's token-cache rows gathered through the word table's rows
(``TokenCache.lookup_rows``, read by ``encode_fast``) are those one look-up per raw token gives:
words not seen before, capitalised tokens (their words are in the word table, their case is
not), identity terms the analysis masked (their rows rewritten to the placeholder's), non-ASCII
fields, a full cache; ``Tokens.cased`` lists every token whose word is not its raw token and
``Tokens.initial`` those spelt as their word with a capital first."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import numpy as np
import pytest

from hypemeter.analysis.identity import PLACEHOLDER
from hypemeter.records.results import Article
from hypemeter.scoring.scorer import Scorer
from hypemeter.spans import fast
from hypemeter.text.token_batch import tokenize_many
from hypemeter.text.tokens import tokenize

ARTICLES = [
    Article("BREAKING: Women SHOCKED as Muslims and Christians Unite",
            "I said the WOMEN'S team, and women's rights groups, met Muslims in Zorblaxian "
            "Qwertopia. Gay and lesbian couples asked why. The Flurbington Gazette says "
            "NOBODY saw the Glorptastic event coming; 2024 figures show 3rd place. " * 4),
    Article("Plain lower-case headline about nothing",
            "nothing here is capitalised and nothing is masked, only plain words " * 10),
    Article("Caf\u00e9 society: Fran\u00e7ois \u2019s Women",
            "Cr\u00e8me br\u00fbl\u00e9e for the Women\u2019s group and BLACK Americans in "
            "S\u00e3o Paulo. " * 8),
    Article("", "short"),
    Article("One", ""),
]


def _novel(rng: random.Random) -> str:
    word = "".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou")
                   for _ in range(rng.randint(2, 6)))
    return word.upper() if rng.random() < 0.2 else word.title() if rng.random() < 0.4 else word


def _articles(seed: int) -> list[Article]:
    """The fixed articles and some with novel words, capitalised or not."""
    rng = random.Random(seed)
    extra = [Article(" ".join(_novel(rng) for _ in range(8)),
                     " ".join(_novel(rng) + rng.choice(["", ",", ".", " and"])
                              for _ in range(300)) + " Women and muslims too.")
             for _ in range(6)]
    return ARTICLES + extra


def _fields(model: Any, articles: list[Article], *, rows: bool = True) -> list:
    out = []
    for a, an in zip(articles, model.analyze(articles), strict=True):
        for fa, text, head in ((an.headline, a.headline, True), (an.body, a.body, False)):
            if not rows:
                fa = dataclasses.replace(fa, rows=None, table=None)
            out.append((fa, text, head))
    return out


def _same(a: fast.FastEncoded, b: fast.FastEncoded) -> None:
    for name in ("ids", "bigrams", "pos", "dense", "unseen", "stop", "mark", "cat"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.bounds == b.bounds


def _fresh_cache(monkeypatch: pytest.MonkeyPatch, sm: Any) -> fast.TokenCache:
    """An empty token cache for the span model (the shared one is left as it was)."""
    cache = fast.TokenCache(sm)
    monkeypatch.setattr(fast, "token_cache", lambda model: cache)
    return cache


def test_rows_give_the_string_lookup(scorer: Scorer, monkeypatch: pytest.MonkeyPatch) -> None:
    model = scorer.bundle.model
    sm = model.span_model_
    articles = _articles(1)
    cache = _fresh_cache(monkeypatch, sm)
    fields = _fields(model, articles)
    assert all(fa.rows is not None and fa.table is fields[0][0].table for fa, _, _ in fields)
    for _ in range(2):  # words met for the first time, then their rows known
        _same(fast.encode_fast(sm, fields), fast.encode_fast(sm, _fields(model, articles,
                                                                          rows=False)))
    assert cache._by_word is not None
    known, capital = cache._by_word[1]
    table = fields[0][0].table
    # the words met have their rows, the rows of their strings (spelt as the word, and with
    # a capital first)
    met = {w: table.index[w] for fa, _, _ in fields for w in fa.tokens.words
           if w == w.lower() and w in cache.index}
    learned = {w: int(known[r]) for w, r in met.items() if known[r] >= 0}
    assert len(learned) > 0.9 * len(met)
    assert all(cache.index[w] == r for w, r in learned.items())
    upper = {w: int(capital[table.index[w]]) for fa, _, _ in fields for w in fa.tokens.words
             if capital[table.index[w]] >= 0}
    assert len(upper) > 20
    assert all(cache.index[w[0].upper() + w[1:]] == r for w, r in upper.items())
    # a second set of articles through the same cache and word table
    _same(fast.encode_fast(sm, _fields(model, _articles(2))),
          fast.encode_fast(sm, _fields(model, _articles(2), rows=False)))


def test_masked_identity_terms_read_as_the_placeholder(scorer: Scorer) -> None:
    model = scorer.bundle.model
    assert model.identity_mask
    fields = _fields(model, ARTICLES[:1])
    fa = fields[1][0]  # the body: "women's", "Muslims", "Gay", "lesbian" ...
    table = fa.table
    at = [k for k, w in enumerate(fa.tokens.words) if w == PLACEHOLDER]
    assert len(at) >= 8
    assert (fa.rows[at] == table.index[PLACEHOLDER]).all()
    assert all(fa.tokens.raw[k] is PLACEHOLDER for k in at)
    # "Muslims", "Gay" were capitalised: cased still, no longer spelt as their word with a
    # capital first
    assert fa.tokens.cased is not None and fa.tokens.initial is not None
    assert set(at) & set(np.asarray(fa.tokens.cased).tolist())
    assert not set(at) & set(np.asarray(fa.tokens.initial).tolist())
    enc = fast.encode_fast(model.span_model_, fields)
    want = fast.encode_fast(model.span_model_, _fields(model, ARTICLES[:1], rows=False))
    _same(enc, want)
    placeholder = model.span_model_.vocab.get(PLACEHOLDER, fast.UNKNOWN)
    assert (enc.ids[enc.pos[int(fields[0][0].rows.size) + np.asarray(at)]]
            == placeholder).all()


def test_capitalised_tokens_keep_their_case(scorer: Scorer) -> None:
    model = scorer.bundle.model
    sm = model.span_model_
    articles = [Article("Nobody NOBODY nobody", "The the THE tHe I i Zorp ZORP zorp " * 3)]
    fields = _fields(model, articles)
    enc = fast.encode_fast(sm, fields)
    _same(enc, fast.encode_fast(sm, _fields(model, articles, rows=False)))
    upper, title = enc.dense[:, 0], enc.dense[:, 1]
    assert upper[:3].tolist() == [0, 1, 0]  # the headline
    body = fields[1][0].tokens
    assert [w for w, u in zip(body.raw, upper[3:], strict=True) if u] == ["THE", "ZORP"] * 3
    assert title[3:].any()


def test_a_full_cache_keeps_no_rows_for_one_batch(scorer: Scorer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    model = scorer.bundle.model
    sm = model.span_model_
    cache = _fresh_cache(monkeypatch, sm)
    monkeypatch.setattr(fast, "MAX_CACHED", 50)
    fields = _fields(model, _articles(3))
    _same(fast.encode_fast(sm, fields),
          fast.encode_fast(sm, _fields(model, _articles(3), rows=False)))
    assert cache.size <= 50
    assert cache._by_word is not None
    known = cache._by_word[1]
    assert (known < cache.size).all()  # only rows the cache keeps
    _same(fast.encode_fast(sm, fields),
          fast.encode_fast(sm, _fields(model, _articles(3), rows=False)))


def test_a_new_word_table_starts_a_new_map(scorer: Scorer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    model = scorer.bundle.model
    sm = model.span_model_
    cache = _fresh_cache(monkeypatch, sm)
    first = _fields(model, ARTICLES)
    fast.encode_fast(sm, first)
    model.lexicon_.__dict__.pop("_word_table")  # (as when the table is full)
    second = _fields(model, ARTICLES)
    assert second[0][0].table is not first[0][0].table
    enc = fast.encode_fast(sm, second)
    assert cache._by_word is not None and cache._by_word[0] is second[0][0].table
    _same(enc, fast.encode_fast(sm, first))
    _same(fast.encode_fast(sm, second), fast.encode_fast(sm, _fields(model, ARTICLES,
                                                                      rows=False)))
    # rows of different tables in one batch: looked up by their strings
    mixed = first[:2] + second[2:]
    _same(fast.encode_fast(sm, mixed), fast.encode_fast(sm, first))


def _check_cased(texts: list[str]) -> None:
    for tokens in tokenize_many(texts) + [tokenize(t) for t in texts]:
        if tokens.cased is None:
            assert tokens.initial is None
            continue
        cased = set(np.asarray(tokens.cased).tolist())
        initial = set(np.asarray(tokens.initial).tolist())
        for k, (r, w) in enumerate(zip(tokens.raw, tokens.words, strict=True)):
            assert (r is not w) == (k in cased), (r, w)
            assert r == w or k in cased
            assert (k in initial) == (r != w and r == w[0].upper() + w[1:]), (r, w)


def test_cased_lists_the_tokens_lower_cased() -> None:
    rng = random.Random(7)
    alphabet = "ABCDEFGHIJ abcdefgh''.!?\n-_0123\t\""
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 700)))
             for _ in range(300)] + ["", "A", "a", "x " * 200, "Ab " * 200, "The End"]
    texts += [" ".join(rng.choice(["The", "THE", "I", "I'm", "i'M", "O'Brien", "o'Brien", "tHe",
                                   "Ab1", "1Ab", "a", "x'Y", "Zz", "'Q"])
                       for _ in range(rng.randint(1, 120))) for _ in range(100)]
    _check_cased(texts)
    got = tokenize_many(texts)
    assert sum(len(t.cased) for t in got if t.cased is not None) > 1000
    long = "Some Words and MORE words " * 20
    assert np.asarray(tokenize(long).cased).tolist() == [k for k in range(100)
                                                           if k % 5 in (0, 1, 3)]
    assert np.asarray(tokenize(long).initial).tolist() == [k for k in range(100)
                                                             if k % 5 in (0, 1)]
    # unknown for non-ASCII text and without raw strings
    assert tokenize_many(["Caf\u00e9 " * 100])[0].cased is None
    assert tokenize_many(["Caf\u00e9 " * 100])[0].initial is None
    assert all(t.cased is None for t in tokenize_many(texts, raw=False))
