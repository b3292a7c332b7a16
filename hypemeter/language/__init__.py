"""Which language an article is written in, and whether the model reads it (issue 24).

:func:`detect` names the language of a text (an ISO 639-1 code, or ``"und"`` when the text is
too short or too ambiguous to tell); :class:`LanguageGate` decides, for a bundle's supported
languages, whether an article is scored or refused. See docs/languages.md.
"""

from hypemeter.language.detector import (
    DEFAULT_LANGUAGES,
    UNDETERMINED,
    Decision,
    LanguageGate,
    detect,
    guess,
    language_name,
    valid_code,
)

__all__ = [
    "DEFAULT_LANGUAGES",
    "UNDETERMINED",
    "Decision",
    "LanguageGate",
    "detect",
    "guess",
    "language_name",
    "valid_code",
]
