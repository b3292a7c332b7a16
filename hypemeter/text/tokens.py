"""Tokenisation with character offsets and the hand-picked stylistic cue words.

One regular-expression pass per field yields tokens with their offsets into the original text;
features and explanations both read from it, so every span points at the exact characters.
The cue lists below are *stylistic* signals (second person, hedges, intensifiers); which phrases
count as loaded language is learned (see :mod:`hypemeter.analysis.lexicon`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate

import numpy as np

from hypemeter.text.views import Offsets, Separators

QUOTE_CHARS = frozenset('"“”«»‘')  # ‘ opens a quote; ’ is also an apostrophe

SECOND_PERSON = frozenset(
    ["you", "your", "yours", "yourself", "yourselves", "you're", "you'll", "you've", "you'd", "ya"]
)
INTENSIFIERS = frozenset(
    [
        "very",
        "extremely",
        "totally",
        "absolutely",
        "utterly",
        "incredibly",
        "completely",
        "truly",
        "really",
        "insanely",
        "seriously",
        "literally",
        "entirely",
        "massively",
        "hugely",
        "unbelievably",
        "shockingly",
        "terribly",
        "desperately",
        "so",
        "such",
        "ever",
        "even",
    ]
)
SUPERLATIVE_WORDS = frozenset(
    [
        "best",
        "worst",
        "most",
        "least",
        "biggest",
        "largest",
        "greatest",
        "deadliest",
        "scariest",
        "craziest",
    ]
)
NOT_SUPERLATIVE = frozenset(
    [
        "interest",
        "forest",
        "honest",
        "request",
        "test",
        "protest",
        "suggest",
        "latest",
        "modest",
        "manifest",
        "contest",
        "arrest",
        "digest",
        "invest",
        "harvest",
        "nest",
        "rest",
        "west",
        "chest",
        "guest",
        "quest",
        "priest",
        "crest",
        "pest",
        "vest",
        "attest",
        "earnest",
        "conquest",
        "inquest",
        "detest",
        "molest",
    ]
)
HEDGES = frozenset(
    [
        "may",
        "might",
        "could",
        "reportedly",
        "allegedly",
        "according",
        "suggests",
        "suggest",
        "suggested",
        "estimated",
        "approximately",
        "roughly",
        "likely",
        "possibly",
        "appears",
        "appeared",
        "seems",
        "seemed",
        "perhaps",
        "unclear",
        "unconfirmed",
        "said",
        "says",
    ]
)
URGENCY = frozenset(
    [
        "now",
        "urgent",
        "urgently",
        "immediately",
        "hurry",
        "breaking",
        "alert",
        "warning",
        "deadline",
        "never",
    ]
)
FORWARD_REFERENCES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in (
        "you won't believe",
        "you will not believe",
        "you won't",
        "what happened next",
        "what happens next",
        "this is why",
        "here's why",
        "here is why",
        "this is what",
        "here's what",
        "the reason why",
        "will blow your mind",
        "you need to know",
        "find out",
        "this one",
        "these are the",
        "can you guess",
        "wait until you see",
        "you'll never guess",
    )
)


FORWARD_REFERENCE_RE = re.compile(
    r"(?:^| )(?:" + "|".join(re.escape(" ".join(p)) for p in FORWARD_REFERENCES) + r")(?= |$)"
)
# Runs of 3+ capitals ("BREAKING", "NATO"); the same matches as ``[A-Z]{3,}``, but a pattern
# that starts with a plain character class lets the regex engine skip to the next capital in
# a tight C loop, about twice as fast on article-length text.
ALL_CAPS_RE = re.compile(r"[A-Z][A-Z][A-Z][A-Z]*")


def normalise_token(token: str) -> str:
    return token.replace("’", "'").lower()


@dataclass(frozen=True, slots=True)
class Tokens:
    """Normalised tokens of one field, their offsets in the original text and separators.

    ``seps[k]`` is the text between token ``k`` and token ``k + 1`` (or the end). ``cased``,
    when known, lists in order the positions of the tokens whose word may differ from their
    raw token: every other token's word is its raw token (the same string; a reader keyed on
    raw tokens may take those from the word). ``initial``, when known, lists in order those of
    them whose raw token is their word with its first character upper-cased (one capital, the
    first character: "The", "I'm"). ``caps``,
    when known, is ``len(ALL_CAPS_RE.findall(text))`` of the text tokenised (the style
    features read it; :func:`tokenize` counts it from the characters it classifies anyway).
    The offsets and separators are lists, or arrays read as such
    (:mod:`hypemeter.text.views`).
    """

    words: list[str]
    starts: Sequence[int]
    ends: Sequence[int]
    raw: list[str]
    seps: Sequence[str]
    caps: int | None = field(default=None, compare=False, repr=False)
    cased: Sequence[int] | None = field(default=None, compare=False, repr=False)
    initial: Sequence[int] | None = field(default=None, compare=False, repr=False)


# A token: a run of letters and digits, apostrophes inside it (``[^\W_]+(?:['’][^\W_]+)*``),
# as a capturing split. Possessive quantifiers give the same tokens (nothing that
# can follow a run of word characters matches inside it) without backtracking bookkeeping.
_SPLIT_RE = re.compile(r"([^\W_]++(?:['’][^\W_]++)*+)")
# For ASCII text ``[^\W_]`` is exactly [0-9A-Za-z] and ’ cannot occur; a plain range is
# tested faster than a Unicode category, so this split is ~30% faster.
_ASCII_SPLIT_RE = re.compile(r"([0-9A-Za-z]++(?:'[0-9A-Za-z]++)*+)")


_SHORT = 200  # shorter texts (headlines) split faster with the regex



def lowered(raw: list[str], starts: np.ndarray, capitals: np.ndarray
            ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``raw`` (ASCII tokens starting at ``starts``, offsets padded by one) with each token
    that holds one of ``capitals`` (sorted offsets) lower-cased, each such token once; the
    others stay the same string objects (hashed once for every table they are looked up in).
    Also the positions of the tokens lower-cased, in order (:attr:`Tokens.cased`), and of
    those with one capital, their first character (:attr:`Tokens.initial`)."""
    words = list(raw)
    if not len(capitals):
        none = np.zeros(0, np.int64)
        return words, none, none
    held = starts.searchsorted(capitals - 1, side="right")  # each capital's token
    first = np.empty(len(held), bool)
    first[0] = True
    np.not_equal(held[1:], held[:-1], out=first[1:])
    at = first.nonzero()[0]  # each lower-cased token's first capital
    cased = held[at] - 1
    for k in cased.tolist():
        words[k] = raw[k].lower()
    one = np.empty(len(at), bool)  # the only capital of its token
    np.equal(at[1:] - at[:-1], 1, out=one[:-1])
    one[-1] = at[-1] == len(held) - 1
    initial = cased[one & (capitals[at] - 1 == starts[cased])]
    return words, cased, initial

def tokenize(text: str) -> Tokens:
    """Tokenise ``text``: its tokens (runs of letters and digits, apostrophes inside) with
    their offsets, normalised words and separators (:func:`tokenize_regex` is the reference;
    both give the same ``Tokens``).

    The characters are classified with NumPy (a token is a maximal run of alphanumeric
    characters and apostrophes that have one on each side), and the token and word strings
    come from C-level ``str.split`` calls on masked copies of the text; offsets and separators
    stay arrays (:mod:`hypemeter.text.views`)."""
    n = len(text)
    if n < _SHORT:
        return tokenize_regex(text)
    if text.isascii():  # O(1)
        code = np.frombuffer(b" " + text.encode("ascii") + b" ", np.uint8)
        alnum = _BYTE_ALNUM[code]
        apostrophe = code == 39
    else:
        code = np.frombuffer(
            (" " + text + " ").encode("utf-32-le", "surrogatepass"), np.uint32)
        alnum = _alnum(code)
        apostrophe = (code == 39) | (code == 0x2019)
    mask = alnum.copy()
    mask[1:-1] |= apostrophe[1:-1] & alnum[:-2] & alnum[2:]
    edges = (mask[1:] != mask[:-1]).nonzero()[0]  # padded: edges are text offsets
    starts = edges[0::2]
    capitals = ((code >= 65) & (code <= 90)).nonzero()[0]
    if not len(starts):
        return Tokens([], [], [], [], [], _caps(capitals))
    ascii_ = code.dtype == np.uint8
    masked = _decode(np.where(mask, code, code.dtype.type(32)), ascii_)
    raw = masked.split()
    # ASCII: lower-casing changes only the tokens that hold a capital
    cased = initial = None
    if ascii_:
        words, cased, initial = lowered(raw, starts, capitals)
    else:
        words = masked.replace("’", "'").lower().split()
    ends = edges[1::2]
    return Tokens(words, Offsets(starts), Offsets(ends), raw, Separators(text, starts, ends),
                  _caps(capitals), cased, initial)


def _caps(capitals: np.ndarray) -> int:
    """``len(ALL_CAPS_RE.findall(text))`` from the sorted offsets of the text's ASCII
    capitals: the runs of three or more consecutive offsets."""
    n = len(capitals)
    if n < 3:
        return 0
    # a run starts at i when capitals i, i+1, i+2 are consecutive and i - 1 is not before i
    three = capitals[2:] - capitals[:-2] == 2
    three[1:] &= capitals[1:n - 2] - capitals[:n - 3] != 1
    return int(np.count_nonzero(three))


# chr(c).isalnum() (what ``[^\W_]`` matches) for the first 256 code points
_BYTE_ALNUM = np.array([chr(c).isalnum() for c in range(256)], bool)


def _alnum(code: np.ndarray) -> np.ndarray:
    """``chr(c).isalnum()`` of each code point (the distinct wide ones asked one by one)."""
    low = code < 256
    out = _BYTE_ALNUM[np.where(low, code, 0)]
    high = (~low).nonzero()[0]
    if len(high):
        uniq, inverse = np.unique(code[high], return_inverse=True)
        out[high] = np.array([chr(c).isalnum() for c in uniq.tolist()], bool)[inverse]
    return out


def _decode(code: np.ndarray, ascii_: bool) -> str:
    if ascii_:
        return code.tobytes().decode("ascii")
    return code.astype(np.uint32, copy=False).tobytes().decode("utf-32-le", "surrogatepass")


def tokenize_regex(text: str) -> Tokens:
    """Tokenise with one C-level regex split; offsets come from cumulative part lengths and
    the normalised words from one lowercasing of all tokens joined by a separator that no
    token contains."""
    parts = (_ASCII_SPLIT_RE if text.isascii() else _SPLIT_RE).split(text)  # isascii is O(1)
    raw = parts[1::2]
    words = "\x00".join(raw).replace("’", "'").lower().split("\x00") if raw else []
    if len(words) != len(raw):  # lowercasing produced a separator: go token by token
        words = list(map(normalise_token, raw))
    offsets = list(accumulate(map(len, parts)))
    return Tokens(words, offsets[0:-1:2], offsets[1::2], raw, parts[2::2])


# Each sentence end with a character it contains: counting a two-character string scans the
# text at ~1 ns a character, while ``char in text`` (memchr) is ~20x faster, so ends whose
# rarer character is absent are skipped (their count would be 0).
_SENTENCE_ENDS = (
    (". ", "."), ("! ", "!"), ("? ", "?"), (".\n", "\n"), ("!\n", "!"), ("?\n", "?"),
    (".\u201d ", "\u201d"), (".\" ", '"'), ("\n\n", "\n"),
)


def count_sentences(text: str) -> int:
    """Sentence ends (punctuation then space/newline, blank lines, the end), at least 1."""
    ends = sum(text.count(end) for end, char in _SENTENCE_ENDS if char in text)
    return max(1, ends + (text.rstrip()[-1:] in (".", "!", "?")))


def is_superlative(word: str) -> bool:
    if word in SUPERLATIVE_WORDS:
        return True
    return (len(word) > 5 and word.endswith("iest")) or (
        len(word) > 4 and word.endswith("est") and word not in NOT_SUPERLATIVE
    )
