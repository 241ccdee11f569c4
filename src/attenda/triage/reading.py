"""One reading of an inbound message: its language, kind, suggested team, tone and abuse, with
the words that decided them so an agent can see why."""

from collections.abc import Sequence
from dataclasses import dataclass

from attenda.triage import abuse, tone
from attenda.triage.kind import DEFAULT_KIND_RULES, KindRule, guess
from attenda.triage.language import detect, fold
from attenda.triage.learning import TriageModel

__all__ = [
    "DEFAULT_KIND_RULES",
    "LANGUAGES",
    "KindRule",
    "Reading",
    "TriageModel",
    "read",
]

LANGUAGES = ("pt", "es", "ro", "pl", "en")


@dataclass(frozen=True)
class Reading:
    language: str  # one of LANGUAGES; the fallback, possibly "", when the text is too short
    language_confidence: float
    kind: str  # a tickets.models.Kind value
    kind_confidence: float
    team_id: int | None
    team_confidence: float
    anger: float  # 0..1; tone.ANGRY and above is angry
    urgent: bool
    leaving: bool  # cancelling, a lawyer, the regulator: a supervisor should know
    abusive: bool
    abuse: str  # "insult", "threat" or ""
    cues: tuple[str, ...]

    @property
    def negative_tone(self) -> float:
        """A calibrated 0..1 score: the share of messages so read that are angry (tone.py)."""
        return tone.negative_tone(self.anger)


def read(
    text: str,
    *,
    subject: str = "",
    fallback_language: str = "",
    kind_rules: Sequence[KindRule] | None = None,
    model: TriageModel | None = None,
    threshold: float = 0.6,
) -> Reading:
    """Read a message as it arrives. The kind comes from the model when it is at least
    `threshold` sure, otherwise from the rules; when no rule fires either, the model's guess is
    still better than none."""
    whole = f"{subject}\n{text}" if subject else text
    folded = fold(whole)
    language, language_confidence = detect(whole, fallback=fallback_language)
    rules_guess = guess(folded, DEFAULT_KIND_RULES if kind_rules is None else kind_rules)
    kind, kind_confidence, kind_cues = rules_guess.kind, rules_guess.confidence, rules_guess.cues
    feeling = tone.assess(whole, folded, language)
    found = abuse.detect(folded, language)
    if rules_guess.confidence == 0.0 and (found.kind or feeling.anger >= tone.ANGRY):
        # An angry message that names nothing else is someone complaining.
        kind = "complaint"
    team_id, team_confidence = None, 0.0
    if model is not None:
        learnt = model.predict(
            whole,
            folded=folded,
            default_scores=rules_guess.scores if kind_rules is None else None,
        )
        if learnt.kind_confidence >= threshold or rules_guess.confidence == 0.0:
            kind, kind_confidence, kind_cues = learnt.kind, learnt.kind_confidence, ()
        team_id, team_confidence = learnt.team_id, learnt.team_confidence
    return Reading(
        language=language,
        language_confidence=language_confidence,
        kind=kind,
        kind_confidence=kind_confidence,
        team_id=team_id,
        team_confidence=team_confidence,
        # An insult or a threat is angry whatever words it uses.
        anger=max(feeling.anger, 1.0 if found.kind else 0.0),
        urgent=feeling.urgent,
        leaving=feeling.leaving,
        abusive=bool(found.kind),
        abuse=found.kind,
        cues=tuple(dict.fromkeys((*found.cues, *feeling.cues, *kind_cues))),
    )


# A line in each language Attenda reads, read once as a process starts (``prepare``).
_SAMPLES = (
    "My invoice is wrong and the router does not work.",
    "A minha fatura está errada e o router não funciona.",
    "Mi factura está mal y el router no funciona.",
    "Factura mea este greșită și routerul nu merge.",
    "Moja faktura jest błędna i router nie działa.",
)


def prepare() -> None:
    """Loads what reading needs before the first message comes (``tickets.arrivals.prepare``): the
    language detector, the keyword lexicon of Attenda's rules, the abuse and tone models. The first
    message read in a process paid 50 ms for the lexicon and models: in the intake's benchmark, a
    write of 67 ms against a median of 1.3."""
    for sample in _SAMPLES:
        read(sample)
