"""What the style features count in a text's characters, for a batch of texts at once.

:func:`punctuation_counts` gives per text :func:`~hypemeter.text.tokens.count_sentences`, the
exclamation and question marks and the quote characters. Each is a handful of ``str.count``
calls per text, quick in C but a Python call each; the ASCII texts of a batch are laid end to
end and counted with NumPy in one pass instead (the other texts one by one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from hypemeter.text.tokens import QUOTE_CHARS, count_sentences

_ENDS = b".!?"  # punctuation that ends a sentence when a space or a newline follows


class Punctuation(NamedTuple):
    """Counts in one text."""

    sentences: int  # count_sentences(text)
    exclamations: int  # text.count("!")
    questions: int  # text.count("?")
    quotes: int  # the characters of QUOTE_CHARS


def punctuation(text: str) -> Punctuation:
    """The counts of one text, with ``str.count``."""
    quotes = text.count('"') if text.isascii() else sum(map(text.count, QUOTE_CHARS))
    return Punctuation(count_sentences(text), text.count("!"), text.count("?"), quotes)


def punctuation_counts(texts: Sequence[str]) -> list[Punctuation]:
    """``[punctuation(t) for t in texts]``, the ASCII texts counted together.

    :func:`count_sentences` counts ". ", "! ", "? ", ".\\n", "!\\n", "?\\n", '." ' and
    ".\\u201d " (not ASCII), and "\\n\\n" (``str.count``: a run of k newlines holds k // 2),
    plus one when the stripped text ends with one of ".!?". The texts are joined by NUL, which
    no pattern holds, so no occurrence crosses from one text to the next.
    """
    out: list[Punctuation | None] = [None] * len(texts)
    batch = []
    for k, text in enumerate(texts):
        if text.isascii() and text:
            batch.append(k)
        else:
            out[k] = punctuation(text)
    if batch:
        chosen = [texts[k] for k in batch]
        code = np.frombuffer("\x00".join(chosen).encode("ascii"), np.uint8)
        lens = np.fromiter(map(len, chosen), np.int64, len(chosen))
        base = np.zeros(len(chosen), np.int64)  # text j starts at base[j]
        np.cumsum(lens[:-1] + 1, out=base[1:])

        def per_text(at: np.ndarray, weights: np.ndarray | None = None) -> list[int]:
            owner = base.searchsorted(at, side="right") - 1
            counts = np.bincount(owner, weights, minlength=len(chosen))
            return counts.astype(np.int64).tolist()  # type: ignore[no-any-return]

        end = (code == _ENDS[0]) | (code == _ENDS[1]) | (code == _ENDS[2])
        newline = code == 10
        after = np.zeros(len(code), bool)  # a space or a newline follows
        after[:-1] = (code[1:] == 32) | newline[1:]
        dot_quote = np.zeros(len(code), bool)  # '." '
        dot_quote[:-2] = (code[:-2] == 46) & (code[1:-1] == 34) & (code[2:] == 32)
        # runs of newlines: k of them count k // 2
        edges = np.diff(newline, prepend=False, append=False).nonzero()[0]
        runs_at, run_lens = edges[0::2], edges[1::2] - edges[0::2]
        ends = np.add(per_text(((end & after) | dot_quote).nonzero()[0]),
                      per_text(runs_at, run_lens // 2)).tolist()
        exclamations = per_text((code == 33).nonzero()[0])
        questions = per_text((code == 63).nonzero()[0])
        quotes = per_text((code == 34).nonzero()[0])
        for j, (k, text) in enumerate(zip(batch, chosen, strict=True)):
            sentences = max(1, ends[j] + (text.rstrip()[-1:] in (".", "!", "?")))
            out[k] = Punctuation(sentences, exclamations[j], questions[j], quotes[j])
    return out  # type: ignore[return-value]
