"""Anger, urgency and words of leaving or escalating: anger and urgency raise a ticket's
priority, leaving flags it for a supervisor."""

import re
from dataclasses import dataclass

from attenda.triage.language import Lexicon
from attenda.triage.lexicon.tone import ANGER, ANGER_HINTS, LEAVING, URGENT

_WORDS = Lexicon(
    (keyword, category)
    for category, lexicon in (
        ("anger", ANGER),
        ("hint", ANGER_HINTS),
        ("urgent", URGENT),
        ("leaving", LEAVING),
    )
    for keywords in lexicon.values()
    for keyword in keywords
)
_WORD = re.compile(r"\b[^\W\d_]{3,}\b")
_EXCLAMATIONS = re.compile(r"!{2,}|\?!|!\?")


# The anger above which a message counts as angry, in the evaluation and for priority.
ANGRY = 0.5


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


def assess(text: str, folded: str) -> Tone:
    anger = 0.0
    urgent = leaving = False
    cues: list[str] = []
    for keyword, categories in _WORDS.find(folded):
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
    if _EXCLAMATIONS.search(text):
        anger += 1.0
        cues.append("!!")
    elif "!" in text:
        anger += 0.5
    if shouting(text):
        anger += 1.5
        cues.append("CAPITALS")
    # One word of anger, or two lesser cues, make a message angry; more only make it surer.
    return Tone(
        anger=min(1.0, anger / 2),
        urgent=urgent,
        leaving=leaving,
        cues=tuple(dict.fromkeys(cues)),
    )
