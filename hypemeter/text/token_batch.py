"""Tokenising many texts at once: :func:`tokenize_many` gives ``[tokenize(t) for t in texts]``.

:func:`hypemeter.text.tokens.tokenize` classifies a long text's characters with NumPy and
splits masked copies of it with C-level ``str.split``; about a third of its time is the fixed
cost of those calls. Here the long ASCII texts of a batch are laid end to end with one space
between them (no token, separator or run of capitals crosses a space), classified and split
once, and the result is cut back into one :class:`Tokens` per text with offsets into its own
text: the same tokens, words, offsets, separators and capitals count as ``tokenize``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hypemeter.text.slots import build_many
from hypemeter.text.tokens import _BYTE_ALNUM, Tokens, lowered, tokenize
from hypemeter.text.views import Offsets, Separators, Slices

CHUNK_TEXTS = 64  # texts classified at once (keeps the arrays in the cache)


def tokenize_many(texts: Sequence[str], *, raw: bool = True) -> list[Tokens]:
    """``[tokenize(t) for t in texts]``, the ASCII texts classified in one pass: laid end to
    end with one space between them (no token crosses it), so the NumPy work and the string
    splits are paid once per batch instead of once per text. Short texts (headlines) too:
    alone they split faster with the regex (:data:`~hypemeter.text.tokens._SHORT`), in a batch
    they add only their characters. Without ``raw`` (for readers of a few raw tokens: scoring
    without explanations) an ASCII text's raw tokens are cut from it when read
    (:class:`~hypemeter.text.views.Slices`) and its words come from one split of the
    lower-cased text (the same tokens)."""
    out: list[Tokens | None] = [None] * len(texts)
    batch = []
    for k, text in enumerate(texts):
        if text and text.isascii():
            batch.append(k)
        else:
            out[k] = tokenize(text)
    for i in range(0, len(batch), CHUNK_TEXTS):
        part = batch[i:i + CHUNK_TEXTS]
        for k, tk in zip(part, _ascii_batch([texts[k] for k in part], raw), strict=True):
            out[k] = tk
    return out  # type: ignore[return-value]


def _ascii_batch(texts: list[str], raw_strings: bool = True) -> list[Tokens]:
    """The tokens of non-empty ASCII texts (the steps of ``tokenize``, on the texts joined by
    spaces); ``raw_strings``: see :func:`tokenize_many`."""
    joined = (" " + " ".join(texts) + " ").encode("ascii")
    lens = np.fromiter(map(len, texts), np.int64, len(texts))
    bases = np.empty(len(texts) + 1, np.int64)  # text k is joined[bases[k]:bases[k] + lens[k]]
    bases[0] = 1
    np.cumsum(lens + 1, out=bases[1:])
    bases[1:] += 1
    cls = np.frombuffer(joined.translate(_CLASS), np.uint8)  # each byte's class, one C pass
    mask = (cls & _ALNUM).view(bool)  # alnum; then the apostrophes with one on each side
    apostrophes = (cls == _APOSTROPHE).nonzero()[0]  # never first or last: padded
    inside = mask[apostrophes - 1] & mask[apostrophes + 1]
    mask[apostrophes[inside]] = True
    edges = (mask[1:] != mask[:-1]).nonzero()[0]  # joined is padded: edges are offsets
    starts = edges[0::2]
    ends = edges[1::2]
    # tokens of text k: tcut[k]:tcut[k + 1]
    # (edges are offsets in the text padded by one: a token at joined[i] has edge i - 1)
    tcut = starts.searchsorted(bases - 1).tolist()
    capitals = (cls == _CAPITAL).nonzero()[0]
    # the token characters kept (lower-cased for words), every other byte a space
    kept = bytearray(joined.translate(_KEEP if raw_strings else _KEEP_LOWER))
    if len(apostrophes) > int(np.count_nonzero(inside)):  # apostrophes outside a token
        np.frombuffer(kept, np.uint8)[apostrophes[~inside]] = 32
    tokens = kept.decode("ascii").split()
    if raw_strings:
        raw = tokens
        # (shares the strings of tokens without capitals; the others' positions in the batch)
        words, cased, initial = lowered(raw, starts, capitals)
        cased_at, initial_at = _per_text(cased, tcut), _per_text(initial, tcut)
    else:  # A-Z -> a-z is ASCII's str.lower
        words = tokens
        cased_at = initial_at = [None] * len(texts)
    # runs of 3+ capitals, counted per text (a run never crosses the space between texts)
    n = len(capitals)
    if n >= 3:
        three = capitals[2:] - capitals[:-2] == 2
        three[1:] &= capitals[1:n - 2] - capitals[:n - 3] != 1
        at = capitals[:-2][three]
        ccut = at.searchsorted(bases)
        caps = np.diff(ccut).tolist()
    else:
        caps = [0] * len(texts)
    owner = np.repeat(np.arange(len(texts)), np.diff(tcut))
    shift = bases[:-1][owner] - 1
    local_starts = starts - shift  # offsets into each token's own text
    local_ends = ends - shift
    # the Tokens' fields, one list each (built at once: a frozen dataclass's __init__ costs
    # more than its views)
    words_of: list[Any] = []
    starts_of: list[Any] = []
    ends_of: list[Any] = []
    raw_of: list[Any] = []
    seps_of: list[Any] = []
    for k, text in enumerate(texts):
        a, b = tcut[k], tcut[k + 1]
        if a == b:
            words_of.append([])
            starts_of.append([])
            ends_of.append([])
            raw_of.append([])
            seps_of.append([])
        else:
            s, e = local_starts[a:b], local_ends[a:b]
            words_of.append(words[a:b])
            starts_of.append(Offsets(s))
            ends_of.append(Offsets(e))
            raw_of.append(raw[a:b] if raw_strings else Slices(text, s, e))
            seps_of.append(Separators(text, s, e))
    return build_many(Tokens, words=words_of, starts=starts_of, ends=ends_of, raw=raw_of,
                      seps=seps_of, caps=caps, cased=cased_at, initial=initial_at)


def _per_text(positions: np.ndarray, tcut: list[int]) -> list[Any]:
    """Sorted token positions in the batch as positions in each text's own tokens (text
    ``k``'s tokens are ``tcut[k]:tcut[k + 1]``), one array per text."""
    cut = positions.searchsorted(tcut)
    local = positions - np.repeat(tcut[:-1], np.diff(cut))
    return [local[a:b] for a, b in zip(cut[:-1].tolist(), cut[1:].tolist(), strict=True)]


# Byte classes for bytes.translate: letters and digits (what ``chr(c).isalnum()`` is for
# ASCII), capitals among them, the apostrophe; and the bytes a token keeps (the rest: spaces)
_ALNUM, _CAPITAL, _APOSTROPHE = 1, 3, 4
_CLASS = bytes(
    (_CAPITAL if 65 <= c <= 90 else _ALNUM) if c < 128 and _BYTE_ALNUM[c]
    else _APOSTROPHE if c == 39 else 0 for c in range(256))
_KEEP = bytes(c if (c < 128 and _BYTE_ALNUM[c]) or c == 39 else 32 for c in range(256))
_KEEP_LOWER = bytes(c | 32 if 65 <= c <= 90 else k for c, k in enumerate(_KEEP))
