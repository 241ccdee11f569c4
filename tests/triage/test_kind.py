"""The kind of a ticket from multilingual keyword rules."""

from attenda.tickets.models import Kind
from attenda.triage.kind import DEFAULT_KIND, DEFAULT_KIND_RULES, KindRule, guess
from attenda.triage.language import fold


def kind_of(text: str) -> str:
    return guess(fold(text), DEFAULT_KIND_RULES).kind


def test_the_default_rules_tell_the_kinds_apart_in_each_language():
    assert kind_of("Quero fazer uma reclamação sobre a loja.") == Kind.COMPLAINT
    assert kind_of("Sugiero que amplíen el horario.") == Kind.SUGGESTION
    assert kind_of("Sunt îngrijorată pentru datele mele.") == Kind.CONCERN
    assert kind_of("Nie działa internet od rana.") == Kind.TECHNICAL_SERVICE
    assert kind_of("Where is my order 1182?") == Kind.ORDER
    assert kind_of("A máquina avariou e está na garantia.") == Kind.WARRANTY_CLAIM


def test_no_keyword_gives_the_default_kind_at_no_confidence():
    guessed = guess(fold("Bom dia."), DEFAULT_KIND_RULES)

    assert (guessed.kind, guessed.confidence, guessed.cues) == (DEFAULT_KIND, 0.0, ())


def test_a_heavier_rule_outweighs_a_lighter_one():
    rules = [
        KindRule(kind=Kind.ORDER, language="en", keywords=("parcel",)),
        KindRule(kind=Kind.WARRANTY_CLAIM, language="en", keywords=("cracked",), weight=3.0),
    ]

    guessed = guess(fold("The parcel came and the screen is cracked"), rules)

    assert guessed.kind == Kind.WARRANTY_CLAIM
    assert guessed.scores[Kind.ORDER] == 1.0
    assert guessed.cues == ("cracked",)


def test_one_keyword_is_a_hint_and_several_are_sure():
    one = guess(fold("my parcel"), DEFAULT_KIND_RULES)
    several = guess(fold("my parcel from the courier, tracking number 33"), DEFAULT_KIND_RULES)

    assert one.kind == several.kind == Kind.ORDER
    assert one.confidence < 0.6 <= several.confidence
