"""Insults and threats aimed at agents, so the message is blurred and the policy applies. It
errs on the side of the customer: a complaint stays a complaint however angry it is."""

import re
from dataclasses import dataclass

from attenda.triage.language import Lexicon, fold
from attenda.triage.lexicon.abuse import INSULTS, NOT_AIMED, THREATS

_ABUSE = Lexicon(
    (keyword, category)
    for category, lexicon in (("threat", THREATS), ("insult", INSULTS))
    for keywords in lexicon.values()
    for keyword in keywords
)
_NOT_AIMED = re.compile(
    "|".join(
        sorted(
            (re.escape(fold(phrase)) for phrases in NOT_AIMED.values() for phrase in phrases),
            key=len,
            reverse=True,
        )
    )
)


@dataclass(frozen=True)
class Abuse:
    kind: str  # "threat", "insult" or ""
    cues: tuple[str, ...]


def detect(folded: str) -> Abuse:
    """A threat outweighs an insult: it is the one a supervisor must see first."""
    found = _ABUSE.find(_NOT_AIMED.sub(" ", folded))
    categories = {category for _keyword, values in found for category in values}
    kind = "threat" if "threat" in categories else "insult" if categories else ""
    return Abuse(kind=kind, cues=tuple(dict.fromkeys(keyword.strip() for keyword, _ in found)))
