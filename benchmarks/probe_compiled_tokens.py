"""How much a compiled token path could save: an upper-bound probe, not a part of hypemeter.

The batch path's per-token Python work (tokenising, the word table's look-ups, the span
model's token cache, lexicon matching, span encoding and decoding) is most of its time. This
probe times the first two as hypemeter does them (``tokenize_many`` of the bodies, then one
dictionary look-up per word, as ``WordTable.ids``) against the same job written for Numba
(lower-case ASCII bytes, cut at anything but letters, digits and the apostrophe, FNV-1a hash,
open-addressing table of the vocabulary with the bytes compared), on the same generated
articles, rounds alternated, CPU time. The compiled tokenizer is simpler than hypemeter's (no
Unicode, no separators or offsets kept), so its figure is a floor, and the ratio a ceiling.

Numba is not a dependency of hypemeter: ``pip install numba`` first.

    python benchmarks/probe_compiled_tokens.py --n 768 --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_articles import generate

from hypemeter.text.token_batch import tokenize_many

FNV_OFFSET, FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3
SLOTS = 1 << 18


def fnv(word: bytes) -> int:
    h = FNV_OFFSET
    for c in word:
        h = ((h ^ c) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def vocabulary_table(words: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The open-addressing table (slot -> word id), the words' bytes end to end, their starts."""
    encoded = [w.encode() for w in words]
    starts = np.zeros(len(words) + 1, np.int64)
    starts[1:] = np.cumsum([len(w) for w in encoded])
    table = np.full(SLOTS, -1, np.int64)
    for i, w in enumerate(encoded):
        slot = fnv(w) & (SLOTS - 1)
        while table[slot] != -1:
            slot = (slot + 1) & (SLOTS - 1)
        table[slot] = i
    return table, np.frombuffer(b"".join(encoded), np.uint8), starts


def compiled_ids():  # type: ignore[no-untyped-def]
    import numba

    @numba.njit(cache=False)
    def ids_of(text, table, blob, starts, out):  # type: ignore[no-untyped-def]
        n, i, size, mask = 0, 0, len(text), len(table) - 1
        while i < size:
            c = text[i]
            if 65 <= c <= 90:
                c += 32
            if not (97 <= c <= 122 or 48 <= c <= 57 or c == 39):
                i += 1
                continue
            j, h = i, np.uint64(FNV_OFFSET)
            while j < size:
                d = text[j]
                if 65 <= d <= 90:
                    d += 32
                if not (97 <= d <= 122 or 48 <= d <= 57 or d == 39):
                    break
                h = (h ^ np.uint64(d)) * np.uint64(FNV_PRIME)
                j += 1
            slot, found = np.int64(h & np.uint64(mask)), -1
            while table[slot] != -1:
                w = table[slot]
                s, e = starts[w], starts[w + 1]
                if e - s == j - i:
                    same = True
                    for k in range(j - i):
                        d = text[i + k]
                        if 65 <= d <= 90:
                            d += 32
                        if blob[s + k] != d:
                            same = False
                            break
                    if same:
                        found = w
                        break
                slot = (slot + 1) & mask
            out[n] = found
            n += 1
            i = j
        return n

    return ids_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=768)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bodies = [r["body"] for r in generate(args.n, seed=1)]
    index: dict[str, int] = {}
    for toks in tokenize_many(bodies):
        for w in toks.words:
            index.setdefault(w, len(index))
    t0 = time.perf_counter()
    ids_of = compiled_ids()
    table, blob, starts = vocabulary_table(list(index))
    encoded = [np.frombuffer(b.encode(), np.uint8) for b in bodies]
    out = np.empty(max(len(e) for e in encoded), np.int64)
    ids_of(encoded[0], table, blob, starts, out)
    print(f"import numba and compile: {time.perf_counter() - t0:.2f} s")

    def hypemeter_path() -> None:
        get = index.get
        for toks in tokenize_many(bodies):
            np.fromiter(map(get, toks.words), np.int64, len(toks.words))

    def compiled_path() -> None:
        for e in encoded:
            ids_of(e, table, blob, starts, out)

    times: dict[str, list[float]] = {"hypemeter": [], "compiled": []}
    for _ in range(args.rounds):
        for name, run in (("hypemeter", hypemeter_path), ("compiled", compiled_path)):
            t = time.process_time()
            run()
            times[name].append(1e6 * (time.process_time() - t) / len(bodies))
    ratios = [h / c for h, c in zip(times["hypemeter"], times["compiled"], strict=True)]
    for name, values in times.items():
        print(f"{name}: {statistics.median(values):.1f} us per article "
              f"[{min(values):.1f}-{max(values):.1f}]")
    print(f"hypemeter / compiled: {statistics.median(ratios):.1f} "
          f"[{min(ratios):.1f}-{max(ratios):.1f}]")


if __name__ == "__main__":
    main()
