"""The span model's token-cache look-up of a batch, old against new on the same inputs.

:func:`hypemeter.spans.fast.encode_fast` finds each token's row of the span model's token
cache. Old: one dictionary look-up per raw token (``TokenCache.lookup``). New: through the
rows the text analysis already found in its word table (``TokenCache.lookup_rows``; only the
padding and capitalised tokens not spelt as their word with a capital first looked up by
string). Both timed in turns on the same 32
articles (an explanation chunk), warm caches, best of ``--repeat``; per-round ratio new / old.

    python benchmarks/bench_token_rows.py --rounds 15
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--number", type=int, default=20)
    ap.add_argument("--articles", type=int, default=32)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_articles import generate

    from hypemeter.bundles.bundle import load_bundle
    from hypemeter.paths import default_models_dir
    from hypemeter.records.results import Article
    from hypemeter.spans.fast import _word_rows, token_cache

    model = load_bundle((default_models_dir() / "current").resolve()).model
    articles = [Article(r["headline"], r["body"], r["id"])
                for r in generate(args.articles, seed=1)]
    analyses = model.analyze(articles)
    model.explain(articles, analyses)  # fills the caches
    fields = [(fa, "", False) for an in analyses for fa in (an.headline, an.body)]
    cache = token_cache(model.span_model_)
    lens = [len(fa.tokens.raw) for fa, _, _ in fields]
    n = sum(lens)
    bounds = np.zeros(len(lens) + 1, np.int64)
    bounds[1:] = np.cumsum(lens)
    raws: list[str] = []
    for fa, _, _ in fields:
        raws += fa.tokens.raw
    raws.append("")  # the padding (encode_fast: one look-up for all of it)
    capitalised = len(_word_rows(fields, bounds)[2]) - 1  # type: ignore[index]

    def old() -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        return cache.lookup(raws)

    def new() -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        via = _word_rows(fields, bounds)
        assert via is not None
        table, rows, cased, initial = via
        return cache.lookup_rows(table, rows, raws, cased, initial)

    a, b = old(), new()
    for x, y in zip(a[1], b[1], strict=True):  # the same properties for every position
        assert np.array_equal(x[a[0]], y[b[0]])
    olds, news, ratios = [], [], []
    for r in range(args.rounds):
        pair = [("old", old), ("new", new)]
        if r % 2:
            pair.reverse()
        t = {name: min(timeit.repeat(f, number=args.number, repeat=3)) / args.number * 1e6
             for name, f in pair}
        olds.append(t["old"])
        news.append(t["new"])
        ratios.append(t["new"] / t["old"])
    print(f"{n} tokens, {capitalised} capitalised; old {statistics.median(olds):.0f} us, "
          f"new {statistics.median(news):.0f} us; new / old {statistics.median(ratios):.3f} "
          f"[{min(ratios):.3f}-{max(ratios):.3f}]")


if __name__ == "__main__":
    main()
