"""The kind of a ticket from keyword rules: the cold start before a team's own tickets have
taught a model, and the fallback when the model is unsure."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from attenda.triage.language import Lexicon
from attenda.triage.lexicon.kinds import DECISIVE, HINTS, KEYWORDS

KINDS = (
    "complaint",
    "suggestion",
    "concern",
    "question",
    "technical_service",
    "order",
    "warranty_claim",
)
# When no rule fires a message is most often someone asking something.
DEFAULT_KIND = "question"


@dataclass(frozen=True)
class KindRule:
    """Keywords that point to a kind in one language; a keyword matches any word that starts
    with it, accents and case aside ("factur" matches "Facturação")."""

    kind: str
    language: str
    keywords: tuple[str, ...]
    weight: float = 1.0


DEFAULT_KIND_RULES: tuple[KindRule, ...] = tuple(
    KindRule(kind=kind, language=language, keywords=keywords, weight=weight)
    for lexicon, weight in ((KEYWORDS, 1.0), (DECISIVE, 2.0), (HINTS, 0.5))
    for kind, by_language in lexicon.items()
    for language, keywords in by_language.items()
)


@dataclass(frozen=True)
class KindGuess:
    kind: str
    confidence: float
    scores: dict[str, float]
    cues: tuple[str, ...]


@lru_cache(maxsize=16)
def _lexicon(rules: tuple[KindRule, ...]) -> Lexicon[tuple[str, float]]:
    # Every language's rules at once: customers mix languages, and a keyword of one rarely means
    # another kind in another.
    return Lexicon(
        (keyword, (rule.kind, rule.weight)) for rule in rules for keyword in rule.keywords
    )


def guess(folded: str, rules: Sequence[KindRule]) -> KindGuess:
    """The kind whose keywords weigh most in a folded text; DEFAULT_KIND at confidence 0 when
    none is found."""
    scores = dict.fromkeys(KINDS, 0.0)
    found = _lexicon(tuple(rules)).find(folded)
    for _keyword, values in found:
        for kind, weight in values:
            scores[kind] = scores.get(kind, 0.0) + weight
    total = sum(scores.values())
    if total <= 0:
        return KindGuess(kind=DEFAULT_KIND, confidence=0.0, scores=scores, cues=())
    best = max(scores, key=scores.__getitem__)
    # The share of the evidence, damped while there is little of it: one keyword is only a hint.
    confidence = scores[best] / total * min(1.0, scores[best] / 2)
    cues = tuple(
        dict.fromkeys(keyword for keyword, values in found if any(k == best for k, _ in values))
    )
    return KindGuess(kind=best, confidence=confidence, scores=scores, cues=cues)
