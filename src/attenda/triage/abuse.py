"""Insults and threats aimed at agents, so the message is blurred and the policy applies. It
errs on the side of the customer: a complaint stays a complaint however angry it is."""

import re
from dataclasses import dataclass

from attenda.triage import learnt_abuse
from attenda.triage.language import Lexicon, fold
from attenda.triage.lexicon.abuse import INSULTS, INTENSIFIERS, NOT_AIMED, THREATS

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


_INTENSIFIERS = {
    language: {fold(word).strip() for word in words} for language, words in INTENSIFIERS.items()
}


def _aimed(folded: str, keyword: str, language: str) -> bool:
    """An intensifier is an insult when a word for "you" stands at most two words before it."""
    if keyword not in _INTENSIFIERS.get(language, ()):
        return True
    reader = learnt_abuse.AIMED_AT_READER[language]
    return re.search(rf" (?:{reader})(?: \S+){{0,2}} {re.escape(keyword)}", folded) is not None


_SPACED_LETTERS = re.compile(r"(?<= )(?:[a-z] ){3,}")
_STAR_IN_WORD = re.compile(r"(?<=[a-z])\*+(?=[a-z])")
_DIGITS_IN_WORD = re.compile(r"(?<= )(?=[a-z0-9@]*[a-z])(?=[a-z@]*[0-9@])[a-z0-9@]+(?= )")
_FOR_LETTERS = str.maketrans("0134579@", "oieastga")
_REPEATED_LETTER = re.compile(r"([a-z])\1{2,}")


def unmask(folded: str) -> str:
    """Undoes the usual disguises of an insult: letters spaced out ("m u i e"), stars inside a
    word ("m*uie"), digits for letters ("1d10t") and letters held ("idiooota")."""
    text = _SPACED_LETTERS.sub(lambda spaced: spaced.group().replace(" ", "") + " ", folded)
    text = _STAR_IN_WORD.sub("", text)
    text = _DIGITS_IN_WORD.sub(lambda word: word.group().translate(_FOR_LETTERS), text)
    return _REPEATED_LETTER.sub(r"\1", text)


@dataclass(frozen=True)
class Abuse:
    kind: str  # "threat", "insult" or ""
    cues: tuple[str, ...]


def detect(folded: str, language: str = "") -> Abuse:
    """A threat outweighs an insult: it is the one a supervisor must see first. The lists
    decide first; the learnt layer of the message's language finds insults they do not name."""
    lexicon = _ABUSE.get(language, _ANY_ABUSE)
    not_aimed = _NOT_AIMED.get(language, _ANY_NOT_AIMED)
    meant = not_aimed.sub(" ", folded)
    found = [
        (keyword, categories)
        for text in (meant, unmask(meant))
        for keyword, categories in lexicon.find(text)
        if _aimed(text, keyword.strip(), language)
    ]
    categories = {category for _keyword, values in found for category in values}
    kind = "threat" if "threat" in categories else "insult" if categories else ""
    if not kind and learnt_abuse.is_abusive(folded, language):
        kind = "insult"
    return Abuse(kind=kind, cues=tuple(dict.fromkeys(keyword.strip() for keyword, _ in found)))
