"""Plainly English text, told without the language model (issue 21: fastText's ``predict`` was
most of the language check's cost, and nearly every article is English).

A lower-cased prefix is *plainly English* when all of these hold (thresholds measured by
``benchmarks/language_decisions.py``, figures in docs/languages.md):

* no letter outside ASCII (any accent, Cyrillic, CJK... sends the text to the model);
* at least :data:`MIN_HITS` of its words are very frequent English words (:data:`WORDS`), at
  least :data:`SHARE` of all its words, and at least :data:`MIN_DISTINCT` different ones;
* those of them that are no frequent word of another language (:data:`STRONG`: not "a",
  "in", "is", "on"...) are at least :data:`STRONG_SHARE` of its words;
* each third of its words, taken in order, is at least :data:`THIRD_SHARE` such words (a text
  whose start or end is in another language goes to the model, which calls a prefix two
  thirds English and one third Dutch Dutch);
* at most :data:`MAX_FOREIGN` of its words are in :data:`FOREIGN`: frequent words of another
  Latin-script language ("de", "la", "und", "het", "och", "yang"...) and every word of two
  letters that is no English one (not in :data:`SHORT`: "da", "ez", "al", "je"...); one is
  allowed for names such as "Los Angeles" or "de Blasio".

Words are what is left between spaces once punctuation (but the apostrophe) is a space; the
last one is left out (the prefix may cut it). Text that is not plainly English is not "not
English": it goes to the model as before.
"""

from __future__ import annotations

import re
from itertools import repeat
from string import ascii_lowercase

MIN_HITS = 10
MIN_DISTINCT = 8
SHARE = 0.3
STRONG_SHARE = 0.12
THIRD_SHARE = 0.2
MAX_FOREIGN = 1

# Very frequent English words that are no frequent word of another language
_STRONG = """
about according after against all and any are back be because been before being between but
could day did does during each even first from get had has have here him his how into it its
just last like make many may might more most much must my new news not now of one only other
our out people said says she should since some still such than that the their them then there
these they this those three through time told two under up very way week well were what when
where which while who whom whose why with without world would year years you your
"""
STRONG = frozenset(_STRONG.split())
# and very frequent English words that are also frequent words of another language
_SHARED = "a an as at by for he in is on to was will"
SHARED = frozenset(_SHARED.split())
WORDS = STRONG | SHARED

# Frequent words of other languages written in Latin script (French, Spanish, Portuguese,
# Italian, German, Dutch, the Scandinavian languages, Indonesian, Turkish, Polish, Tagalog,
# Swahili, Romanian, Czech, Finnish, Hungarian, Vietnamese without accents, Latin, Albanian,
# Croatian, Lithuanian, Welsh, Irish) that are not English words.
_FOREIGN = """
aan adalah agus akan alla anche ang ar att au auch auf aux av avec ay az bij bir bu cac ce che
cho como cu cua cum dalam dans dari das dat de della delle den dengan der des det deze dhe di
din dos du duoc een egy ei ein eine el en es est et ett gli heeft het hogy ikke il ile ini
inte ir ist itu ja jag jak je jest juga ka kad katika ke koji kwa la las le les lo los med mga
mit mot na naar nao nel nem ng nguoi nhung nicht nie niet ning nje non och od og olarak oleh
oli om ont ook os pada par para pas po por pour przez que qui se sed si sich sie som sono sont
su sur te tidak til trong uma una und une untuk ut van ve voi von voor werden wird worden wordt
yang yn yra za ze zijn zu
"""

# The two-letter words and abbreviations of English; any other word of two letters ("da",
# "ez", "al", "je"...) counts as a foreign word, whatever its language.
_SHORT = """
ai am an as at be by co do dr eu ex go he id if ii in is it jr me mr ms my no of oh ok on or pm
re so st to tv uk un up us vs we
"""
SHORT = frozenset(_SHORT.split())
FOREIGN = frozenset(_FOREIGN.split()) | frozenset(
    a + b for a in ascii_lowercase for b in ascii_lowercase if a + b not in SHORT)

# punctuation becomes a space (the apostrophe stays: "don't", "year's" are one word)
_PUNCTUATION = ".,;:!?\"()[]{}<>-_/*&%$#@+=|~`^\\\u201c\u201d\u2013\u2014\u2026\u00ab\u00bb"
_SPACES = str.maketrans({**{c: " " for c in _PUNCTUATION}, "\u2018": "'", "\u2019": "'"})
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# one look-up per word, its kind a byte (0 for any other word), counted in C
_KIND = {**dict.fromkeys(FOREIGN, 3), **dict.fromkeys(SHARED, 1), **dict.fromkeys(STRONG, 2)}
_OTHER = repeat(0)
_SHARED_WORD, _STRONG_WORD, _FOREIGN_WORD = b"\x01", b"\x02", b"\x03"


def _hits(kinds: bytes) -> int:
    return kinds.count(_STRONG_WORD) + kinds.count(_SHARED_WORD)


def _foreign_letters(text: str) -> bool:
    """Is there a letter outside ASCII (an accent, another script)?"""
    return not text.isascii() and any(c.isalpha() for c in "".join(_NON_ASCII.findall(text)))


def plainly_english(text: str) -> bool:
    """Is the lower-cased ``text`` plainly English (see the module's rule)?"""
    if _foreign_letters(text):
        return False
    words = text.translate(_SPACES).split()[:-1]  # the last word may be cut short
    n = len(words)
    kinds = bytes(map(_KIND.get, words, _OTHER))
    total = _hits(kinds)
    if total < MIN_HITS or total < SHARE * n or kinds.count(_STRONG_WORD) < STRONG_SHARE * n:
        return False
    if kinds.count(_FOREIGN_WORD) > MAX_FOREIGN:
        return False
    third = n // 3
    for part in (kinds[:third], kinds[third:2 * third], kinds[2 * third:]):
        if _hits(part) < THIRD_SHARE * len(part):
            return False
    return len(WORDS.intersection(words)) >= MIN_DISTINCT
