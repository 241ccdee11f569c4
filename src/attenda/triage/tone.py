"""Anger, urgency and words of leaving or escalating: anger and urgency raise a ticket's
priority, leaving flags it for a supervisor."""

import math
import re
from dataclasses import dataclass

from attenda.triage.language import Lexicon
from attenda.triage.lexicon.tone import ANGER, ANGER_HINTS, LEAVING, URGENT

_LEXICONS = (("anger", ANGER), ("hint", ANGER_HINTS), ("urgent", URGENT), ("leaving", LEAVING))
LANGUAGES = tuple(ANGER)


def _lexicon(languages: tuple[str, ...]) -> Lexicon:
    return Lexicon(
        (keyword, category)
        for category, lexicon in _LEXICONS
        for language in languages
        for keyword in lexicon[language]
    )


# Each language's words are read only in that language ("consumo" is everyday Portuguese, the
# consumer authority in Spanish); a text whose language is not known is read against all of them.
_WORDS = {language: _lexicon((language,)) for language in LANGUAGES}
_ANY_WORDS = _lexicon(LANGUAGES)
_WORD = re.compile(r"\b[^\W\d_]{3,}\b")
_EXCLAMATIONS = re.compile(r"!{2,}|\?!|!\?")


# The anger above which a message counts as angry, in the evaluation and for priority.
ANGRY = 0.5

# Platt scaling of the anger into a negative-tone score that is a probability: fitted by
# tone_calibration.fit on the 200 labelled messages the evaluation set teaches from, checked per
# bin on the 455 it holds out (tests/triage/test_tone_calibration.py).
NEGATIVE_TONE_SLOPE = 14.75
NEGATIVE_TONE_INTERCEPT = -4.861


def negative_tone(anger: float) -> float:
    """The chance, 0 to 1, that a message with this anger is angry, as on held-out messages."""
    return 1.0 / (1.0 + math.exp(-(NEGATIVE_TONE_SLOPE * anger + NEGATIVE_TONE_INTERCEPT)))


@dataclass(frozen=True)
class Tone:
    anger: float
    urgent: bool
    leaving: bool
    cues: tuple[str, ...]


def shouting(text: str) -> bool:
    """Several words in capitals that make up much of the text; one acronym (ANACOM, PIN) is not."""
    words = _WORD.findall(text)
    shouted = [word for word in words if word.isupper()]
    return len(shouted) >= 3 and len(shouted) >= 0.4 * len(words)


def assess(text: str, folded: str, language: str = "") -> Tone:
    anger = 0.0
    urgent = leaving = False
    cues: list[str] = []
    for keyword, categories in _WORDS.get(language, _ANY_WORDS).find(folded):
        cues.append(keyword.strip())
        for category in categories:
            if category == "anger":
                anger += 1.0
            elif category == "hint":
                anger += 0.5
            elif category == "urgent":
                urgent = True
            else:
                leaving = True
    # Exclamations and capitals say how strongly, not what: with no word of anger they never make
    # a message angry ("Relógio top, entrega rápida, recomendo!!!").
    emphasis: list[tuple[float, str]] = []
    if _EXCLAMATIONS.search(text):
        emphasis.append((1.0, "!!"))
    elif "!" in text:
        emphasis.append((0.5, ""))
    if shouting(text):
        emphasis.append((1.5, "CAPITALS"))
    if anger:
        anger += sum(weight for weight, _cue in emphasis)
        cues.extend(cue for _weight, cue in emphasis if cue)
    # One word of anger, or two lesser cues, make a message angry; more only make it surer.
    return Tone(
        anger=min(1.0, anger / 2),
        urgent=urgent,
        leaving=leaving,
        cues=tuple(dict.fromkeys(cues)),
    )
