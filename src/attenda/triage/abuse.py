"""Insults and threats aimed at agents, so the message is blurred and the policy applies. It
errs on the side of the customer: a complaint stays a complaint however angry it is."""

import re
from dataclasses import dataclass

from attenda.triage.language import Lexicon, fold
from attenda.triage.lexicon.abuse import INSULTS, NOT_AIMED, THREATS

LANGUAGES = tuple(THREATS)


def _lexicon(languages: tuple[str, ...]) -> Lexicon:
    return Lexicon(
        (keyword, category)
        for category, lexicon in (("threat", THREATS), ("insult", INSULTS))
        for language in languages
        for keyword in lexicon[language]
    )


def _not_aimed(languages: tuple[str, ...]) -> re.Pattern:
    phrases = (fold(phrase).strip() for language in languages for phrase in NOT_AIMED[language])
    return re.compile(
        "|".join(re.escape(phrase) for phrase in sorted(phrases, key=len, reverse=True))
    )


# A word is abuse in one language and harmless in another (Spanish "puta" in Portuguese "puta
# quintal", "vaca" in "vacation"), so each language's lists are read only in that language; a text
# whose language is not known is read against all of them.
_ABUSE = {language: _lexicon((language,)) for language in LANGUAGES}
_NOT_AIMED = {language: _not_aimed((language,)) for language in LANGUAGES}
_ANY_ABUSE = _lexicon(LANGUAGES)
_ANY_NOT_AIMED = _not_aimed(LANGUAGES)


@dataclass(frozen=True)
class Abuse:
    kind: str  # "threat", "insult" or ""
    cues: tuple[str, ...]


def detect(folded: str, language: str = "") -> Abuse:
    """A threat outweighs an insult: it is the one a supervisor must see first."""
    lexicon = _ABUSE.get(language, _ANY_ABUSE)
    not_aimed = _NOT_AIMED.get(language, _ANY_NOT_AIMED)
    found = lexicon.find(not_aimed.sub(" ", folded))
    categories = {category for _keyword, values in found for category in values}
    kind = "threat" if "threat" in categories else "insult" if categories else ""
    return Abuse(kind=kind, cues=tuple(dict.fromkeys(keyword.strip() for keyword, _ in found)))
