"""Sentence boundaries: the one place the text pipeline splits text into sentences.

The boundaries are nltk's Punkt decisions (Kiss & Strunk 2006): ``hypemeter train`` runs
``nltk``'s ``PunktTrainer`` on the training corpora's article bodies (no download) and keeps
what it learned (abbreviations such as "u.s" and "gov", collocations, frequent sentence starters,
and each word's orthographic context) in the bundle; English honorifics ("Mr.", "Dr.") are added
to the learned abbreviations (see ``HONORIFICS``). Applying them with nltk's own
``PunktSentenceTokenizer`` costs about 2 ms per article, more than the whole of scoring, so
:meth:`SentenceSplitter.spans` applies the same two annotation passes only at the candidate
points a regular expression finds (``.``, ``?``, ``!`` or an ellipsis, closing quotes or
brackets, then a space); ``benchmarks/bench_sentences.py`` measures how often it agrees with
``PunktSentenceTokenizer`` and how both fare on a hand-checked set. A line break always ends a
sentence (news bodies put paragraphs on lines; Punkt alone does not split at them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# Punkt's orthographic-context bits (nltk.tokenize.punkt)
_BEG_UC, _MID_UC, _UNK_UC = 1 << 1, 1 << 2, 1 << 3
_BEG_LC, _MID_LC, _UNK_LC = 1 << 4, 1 << 5, 1 << 6
_UC = _BEG_UC | _MID_UC | _UNK_UC
_LC = _BEG_LC | _MID_LC | _UNK_LC

# A candidate end: sentence punctuation, closing quotes/brackets, then space or the line end.
_CANDIDATE = re.compile(r"[.?!\u2026][.?!\u2026\"')\]}\u2018\u2019\u201c\u201d\xab\xbb]*(?=\s|$)")
_NEXT = re.compile(r"\s+(\S+)")
_NUMERIC = re.compile(r"^-?[.,]?\d[\d,.-]*\.?$")
_INITIAL = re.compile(r"^[^\W\d]\.$")
_LINE_BREAKS = re.compile(r"[\r\u2028\u2029]")
# Characters Punkt's word tokenizer never starts a word with: a token begins after them.
_NOT_WORD_START = frozenset("(\"`{[:;&#*@)}]-,\u2018\u2019\u201c\u201d\xab\xbb'")
_NOT_WORD_START_CHARS = "".join(sorted(_NOT_WORD_START))


# English honorifics always count as abbreviations: British-style corpora write "Mr Putin" without
# a period so often that Punkt's likelihood test rejects "mr" (measured on the training corpora).
HONORIFICS = frozenset({"mr", "mrs", "ms", "dr", "prof", "messrs", "mme", "mlle"})


def _type(tok: str) -> str:
    return "##number##" if _NUMERIC.match(tok) else tok.lower()


@dataclass(frozen=True)
class SentenceSplitter:
    """Punkt parameters (learned by ``PunktTrainer``) and a fast way to apply them."""

    abbrevs: frozenset[str] = frozenset()
    collocations: frozenset[tuple[str, str]] = frozenset()
    starters: frozenset[str] = frozenset()
    # The orthographic context reduced to what Punkt's heuristic asks of it: words whose
    # capitalised form starts a sentence (seen lower-case, never capitalised mid-sentence),
    # and lower-case words that may still start one (seen lower-case at a sentence start,
    # never capitalised).
    upper_starts: frozenset[str] = frozenset()
    lower_unknown: frozenset[str] = frozenset()
    trained_chars: int = field(default=0, compare=False)

    @property
    def colloc_firsts(self) -> frozenset[str]:
        cached = self.__dict__.get("_colloc_firsts")
        if cached is None:
            cached = frozenset(a for a, _ in self.collocations)
            object.__setattr__(self, "_colloc_firsts", cached)
        return cached

    # ------------------------------------------------------------------ training
    @classmethod
    def train(cls, texts: Iterable[str], max_chars: int = 3_000_000) -> SentenceSplitter:
        """Run nltk's ``PunktTrainer`` over ``texts`` (up to ``max_chars`` characters)."""
        from nltk.tokenize.punkt import PunktTrainer

        trainer = PunktTrainer()
        used = 0
        for text in texts:
            if used >= max_chars:
                break
            if text.strip():
                trainer.train(text, finalize=False)
                used += len(text)
        trainer.finalize_training()
        return cls.from_params(trainer.get_params(), trained_chars=used)

    @classmethod
    def from_params(cls, params: object, trained_chars: int = 0) -> SentenceSplitter:
        ortho: dict[str, int] = dict(params.ortho_context)  # type: ignore[attr-defined]
        return cls(
            abbrevs=frozenset(params.abbrev_types),  # type: ignore[attr-defined]
            collocations=frozenset(params.collocations),  # type: ignore[attr-defined]
            starters=frozenset(params.sent_starters),  # type: ignore[attr-defined]
            upper_starts=frozenset(w for w, o in ortho.items() if o & _LC and not o & _MID_UC),
            lower_unknown=frozenset(w for w, o in ortho.items() if not o & _UC and o & _BEG_LC),
            trained_chars=trained_chars,
        )

    # ------------------------------------------------------------------ applying
    def _ortho(self, tok: str, typ: str) -> bool | None:
        """Punkt's orthographic heuristic: does ``tok`` start a sentence (None: unknown)?"""
        if tok in (";", ":", ",", ".", "!", "?"):
            return False
        if tok[:1].isupper():
            return True if typ in self.upper_starts else None
        if tok[:1].islower():
            return None if typ in self.lower_unknown else False
        return None

    @property
    def plain_excluded(self) -> frozenset[str]:
        """Words a period after which is not decided by the first pass alone."""
        cached = self.__dict__.get("_plain_excluded")
        if cached is None:
            cached = self.abbrevs | HONORIFICS | self.colloc_firsts
            object.__setattr__(self, "_plain_excluded", cached)
        return cached

    def _breaks(self, text: str, m: re.Match[str], line_start: int, line_end: int,
                tabs: bool = True) -> bool:
        """Does candidate ``m`` end a sentence? (``tabs``: the line may hold a tab.)"""
        punct = m.group()
        if "?" in punct or "!" in punct:
            return True
        start = m.start()
        chunk_start = text.rfind(" ", line_start, start)
        if tabs:
            chunk_start = max(chunk_start, text.rfind("\t", line_start, start))
        chunk = text[max(chunk_start, line_start - 1) + 1:start].lstrip(_NOT_WORD_START_CHARS)
        low = chunk.lower()
        # a plain word (letters only, so no "-") then a period: Punkt's first pass, nothing
        # overrides it
        if punct == "." and len(low) > 1 and low.isalpha() and low not in self.plain_excluded:
            return True
        nxt = _NEXT.match(text, m.end(), line_end)
        if nxt is None:
            return True
        following = nxt.group(1)
        if following[0] in _NOT_WORD_START:
            following = following[0]
        ellipsis = punct.startswith("..") or punct.startswith("\u2026")
        tok = chunk + "."
        typ = _type(chunk)
        next_typ = _type(following.rstrip(".") or following)
        initial = bool(_INITIAL.match(tok))
        abbr = not ellipsis and (
            typ in self.abbrevs or typ in HONORIFICS
            or ("-" in typ and typ.rsplit("-", 1)[1] in self.abbrevs)
        )
        sentbreak = not ellipsis and not abbr
        if (typ, next_typ) in self.collocations:
            return False
        if (abbr or ellipsis) and not initial:
            starts = self._ortho(following, next_typ)
            if starts is True or (following[:1].isupper() and next_typ in self.starters):
                return True
        if initial or typ == "##number##":
            starts = self._ortho(following, next_typ)
            if starts is False:
                return False
            if starts is None and initial and following[:1].isupper() and (
                next_typ not in self.upper_starts and next_typ not in self.lower_unknown
            ):
                return False
        return sentbreak

    def spans(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` of every sentence of ``text`` in order, surrounding space left out,
        so ``text[start:end]`` is the sentence; empty text has none."""
        out: list[tuple[int, int]] = []
        flat = _LINE_BREAKS.sub("\n", text) if not text.isascii() or "\r" in text else text
        lo = 0
        n = len(text)
        while lo < n:
            hi = flat.find("\n", lo)
            if hi < 0:
                hi = n
            begin = lo
            tabs = text.find("\t", lo, hi) >= 0
            for m in _CANDIDATE.finditer(text, lo, hi):
                if self._breaks(text, m, lo, hi, tabs):
                    _add(text, begin, m.end(), out)
                    begin = m.end()
            _add(text, begin, hi, out)
            lo = hi + 1
        return out

    def count(self, text: str) -> int:
        return max(1, len(self.spans(text)))


def _add(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    """``text[start:end]`` without the space around it, unless nothing is left."""
    piece = text[start:end]
    kept = piece.strip()  # strips what str.isspace() calls space
    if kept:
        start += len(piece) - len(piece.lstrip())
        out.append((start, start + len(kept)))


# Models trained before the splitter was stored in the bundle use Punkt's rules with nothing
# learned (every period ends a sentence unless a lower-case word follows an initial).
UNTRAINED = SentenceSplitter()
