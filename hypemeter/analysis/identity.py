"""Identity terms read as one placeholder word, so that no learner can tie a score to a group.

Words that name a religion, an ethnicity, a nationality, a sexual orientation, a gender
identity, a disability or a political leaning ("Muslim", "Black", "Somali", "gay",
"transgender", "blind", "liberal") say who a report is about, not how it is written. In the
training corpora some of them come with sensational text more often than others (hyperpartisan
outlets write "liberal", "left-wing"; the propaganda corpus marks name-calling around group
names), and a model reading them learns that a report about a Black community centre is more
sensational than one about a local community centre (issue 23; ``benchmarks/bench_fairness.py``
measures it).

:func:`mask_field` replaces each such token (and each word of a multi-word term such as "Native
American", "left-wing") by :data:`PLACEHOLDER` in the normalised words *and* the raw tokens,
before any feature is computed: the hashed n-grams, the headline's character n-grams (through
the masked text), the lexicon matches, valence, capitals and the span model's word features
all see the same word for every group. Offsets are kept, so spans still point at the original
characters. :data:`PLACEHOLDER` cannot come out of the tokenizer (it holds underscores) and is a
stop word for the phrase lexicon and span trimming (:mod:`hypemeter.analysis.lexicon`), so an
identity term alone is never a loaded phrase.

The list is the model's and is broader than the benchmark's terms (which live in
``benchmarks/fairness/``). A model masks only when it was trained to (``HypeModel.identity_mask``);
bundles made before read the words as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import compress, count

import numpy as np

from hypemeter.text.tokens import ALL_CAPS_RE, Tokens

PLACEHOLDER = "_identity_"

_RELIGION = """
muslim muslims islamic islam christian christians christianity jewish jew jews judaism hindu
hindus hinduism buddhist buddhists buddhism sikh sikhs sikhism catholic catholics catholicism
protestant protestants mormon mormons evangelical evangelicals atheist atheists agnostic
agnostics quaker quakers baptist baptists methodist methodists lutheran lutherans anglican
anglicans shia shiite sunni sunnis jain jains rastafarian zoroastrian
"""
_ETHNICITY = """
black blacks white whites asian asians hispanic hispanics latino latinos latina latinas latinx
african africans indigenous aboriginal aborigines arab arabs roma romani gypsy gypsies
caucasian biracial multiracial maori inuit hmong kurd kurds kurdish berber
"""
_NATIONALITY = """
american americans british briton britons english scottish welsh irish european europeans
mexican mexicans canadian canadians chinese japanese korean koreans vietnamese filipino
filipinos thai indian indians pakistani pakistanis bangladeshi bangladeshis afghan afghans
iranian iranians iraqi iraqis syrian syrians lebanese jordanian egyptian egyptians libyan
moroccan moroccans algerian tunisian saudi saudis yemeni palestinian palestinians israeli
israelis turkish turks russian russians ukrainian ukrainians polish german germans
french italian italians spanish spaniard portuguese greek greeks dutch swedish norwegian
danish finnish hungarian romanian romanians bulgarian serbian croatian bosnian albanian
albanians czech slovak somali somalis nigerian nigerians ethiopian ethiopians eritrean
kenyan kenyans ghanaian sudanese congolese haitian haitians cuban cubans venezuelan
venezuelans colombian colombians brazilian brazilians argentine argentinian peruvian
guatemalan salvadoran honduran dominican jamaican jamaicans puerto rican ricans australian
australians malaysian indonesian indonesians
immigrant immigrants migrant migrants refugee refugees
"""
_ORIENTATION = """
gay gays lesbian lesbians bisexual bisexuals homosexual homosexuals heterosexual
heterosexuals queer lgbt lgbtq lgbtqia lgbtq lgbtqi glbt asexual pansexual
"""
_GENDER = """
transgender transgendered trans transsexual nonbinary cisgender intersex genderqueer
women woman female females men male males
"""
_DISABILITY = """
blind deaf deafblind disabled disability disabilities autistic autism handicapped
paraplegic quadriplegic wheelchair dyslexic
"""
_POLITICS = """
liberal liberals conservative conservatives progressive progressives democrat democrats
democratic republican republicans gop socialist socialists libertarian libertarians
centrist centrists tory tories
"""
SINGLE_WORDS: frozenset[str] = frozenset(
    " ".join([_RELIGION, _ETHNICITY, _NATIONALITY, _ORIENTATION, _GENDER, _DISABILITY,
              _POLITICS]).split())
# Terms of several tokens (the tokenizer splits "left-wing" and "non-binary" at the hyphen):
# every word of the sequence is masked.
SEQUENCES: tuple[tuple[str, ...], ...] = tuple(tuple(p.split()) for p in (
    "native american", "native americans", "first nations", "pacific islander",
    "pacific islanders", "non binary", "left wing", "right wing", "far left", "far right",
    "alt right", "mentally ill", "hard of hearing", "people of color", "people of colour",
    "new zealander", "south african", "south africans", "north korean", "south korean",
    "sri lankan", "new zealanders",
))
_FIRSTS = frozenset(s[0] for s in SEQUENCES)
# the sequences by their first word, in SEQUENCES order ("new" begins three, most begin one)
_BY_FIRST: dict[str, tuple[tuple[str, ...], ...]] = {
    w: tuple(s for s in SEQUENCES if s[0] == w) for w in _FIRSTS}
# a possessive is one token ("women's"): the same term
_POSSESSIVES = frozenset(w + "'s" for w in SINGLE_WORDS)
TRIGGERS: frozenset[str] = SINGLE_WORDS | _POSSESSIVES | _FIRSTS


def identity_positions(words: list[str], candidates: Iterable[int] | None = None
                       ) -> list[int]:
    """Positions of the tokens that are (part of) an identity term. ``candidates``, when
    given, are the positions of the words in :data:`TRIGGERS` (the caller's word table knows
    them); otherwise they are found here."""
    out: list[int] = []
    n = len(words)
    # the candidates found in C (compress/map), the few of them looked at in Python
    if candidates is None:
        candidates = compress(count(), map(TRIGGERS.__contains__, words))
    for i in candidates:
        w = words[i]
        for seq in _BY_FIRST.get(w, ()):
            if tuple(words[i:i + len(seq)]) == seq:
                out.extend(range(i, min(n, i + len(seq))))
        if w in SINGLE_WORDS or w in _POSSESSIVES:
            out.append(i)
    return sorted(set(out))


def mask_field(text: str, tokens: Tokens, at: list[int] | None = None
               ) -> tuple[str, Tokens]:
    """``(text, tokens)`` with identity terms replaced by :data:`PLACEHOLDER`; the same objects
    when the field names no group. The returned tokens keep the original offsets (into
    ``text`` as given); the returned text is for features that read characters (style counts,
    character n-grams), not for offsets. ``at``: the field's :func:`identity_positions` when
    the caller has them."""
    if at is None:
        words = tokens.words
        if TRIGGERS.isdisjoint(words):  # the usual case: one C-level pass
            return text, tokens
        at = identity_positions(words)
    if not at:
        return text, tokens
    words = tokens.words
    new_words = list(words)
    new_raw = list(tokens.raw)
    pieces = []
    prev = 0
    for i in at:
        new_words[i] = PLACEHOLDER
        new_raw[i] = PLACEHOLDER
        pieces.append(text[prev:tokens.starts[i]])
        pieces.append(PLACEHOLDER)
        prev = tokens.ends[i]
    pieces.append(text[prev:])
    caps = tokens.caps  # the placeholder has no capitals; a run never leaves its token
    if caps is not None:
        caps -= sum(len(ALL_CAPS_RE.findall(tokens.raw[i])) for i in at)
    # (a masked token's word is its raw token: listed in ``cased`` or not, both read the
    # same; not the word with a capital first: out of ``initial``)
    initial = tokens.initial
    if initial is not None and len(initial):
        initial = np.setdiff1d(initial, at, assume_unique=True)
    return "".join(pieces), Tokens(new_words, tokens.starts, tokens.ends, new_raw, tokens.seps,
                                   caps, tokens.cased, initial)
