"""Which of Attenda's languages a text is written in, and the folded form the lexicons match.

Lingua is limited to the five languages customers write in, which makes it reliable on short
texts; the detector is built once per process because loading its models takes most of a second.
"""

import re
import threading
import unicodedata
from collections.abc import Iterable
from typing import Generic, TypeVar

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

LINGUA_LANGUAGES = {
    "pt": Language.PORTUGUESE,
    "es": Language.SPANISH,
    "ro": Language.ROMANIAN,
    "pl": Language.POLISH,
    "en": Language.ENGLISH,
}
# Below this confidence the text is taken as unclear ("ok", "?", a name) and the customer's known
# language wins; lingua's value is relative to the five languages, so 0.5 means "clearly ahead".
CLEAR_CONFIDENCE = 0.5
FEWEST_LETTERS = 4

# Letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "ß": "ss", "đ": "d", "ı": "i"})
_COMBINING = re.compile(r"[\u0300-\u036f]")
_NOT_WORD = re.compile(r"[^a-z0-9*@']+")
_LETTER = re.compile(r"[^\W\d_]")

T = TypeVar("T")

_detector: LanguageDetector | None = None
_detector_lock = threading.Lock()


def fold(text: str) -> str:
    """Lower case without accents, one space between words: "Não, ŞTIŢI ÎNŢELEGE, łódź" becomes
    "nao stiti intelege lodz", so Romanian ş/ș and ţ/ț, and typing without diacritics, all meet."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED).lower())
    bare = _COMBINING.sub("", decomposed).replace("’", "'")
    return " " + _NOT_WORD.sub(" ", bare).strip() + " "


def detector() -> LanguageDetector:
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                _detector = (
                    LanguageDetectorBuilder.from_languages(*LINGUA_LANGUAGES.values())
                    .with_preloaded_language_models()
                    .build()
                )
    return _detector


def detect(text: str, *, fallback: str = "") -> tuple[str, float]:
    """The language code and lingua's confidence in it; the fallback (the customer's known
    language) when the text is too short or unclear, with the confidence lingua gave it."""
    if len(_LETTER.findall(text)) < FEWEST_LETTERS:
        return fallback, 0.0
    values = detector().compute_language_confidence_values(text)
    confidences = {
        code: next(value.value for value in values if value.language == language)
        for code, language in LINGUA_LANGUAGES.items()
    }
    best = max(confidences, key=confidences.__getitem__)
    if confidences[best] >= CLEAR_CONFIDENCE or not fallback:
        return best, confidences[best]
    return fallback, confidences.get(fallback, 0.0)


class Lexicon(Generic[T]):
    """Words and phrases found at the start of a word of a folded text, in one scan: "factur"
    finds "facturação"; a keyword written with a trailing space finds only the whole word."""

    def __init__(self, entries: Iterable[tuple[str, T]]):
        self.values: dict[str, list[T]] = {}
        for keyword, value in entries:
            folded = fold(keyword).strip() + (" " if keyword.endswith(" ") else "")
            if folded.strip():
                self.values.setdefault(folded, []).append(value)
        alternatives = sorted(self.values, key=len, reverse=True)
        self.pattern = (
            re.compile(r"(?<= )(?:" + "|".join(map(re.escape, alternatives)) + ")")
            if alternatives
            else None
        )

    def find(self, folded: str) -> list[tuple[str, list[T]]]:
        if self.pattern is None:
            return []
        return [
            (match.group(), self.values[match.group()]) for match in self.pattern.finditer(folded)
        ]
