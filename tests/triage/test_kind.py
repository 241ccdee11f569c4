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


def test_complaints_as_customers_word_them_are_sure_complaints_in_each_language():
    complaints = [
        "Dzień dobry, składam reklamację odkurzacza zakupionego u Państwa w październiku. "
        "Żądam nieodpłatnej naprawy.",
        "Boa tarde, venho por este meio apresentar uma reclamação. Exijo a reparação do "
        "frigorífico.",
        "Buenos días, quiero presentar una reclamación por la lavadora. Exijo la reparación.",
        "Bună ziua, depun o reclamație pentru frigider. Solicit repararea gratuită.",
        "Hello, I wish to make a formal complaint about the washing machine.",
    ]

    guesses = [guess(fold(text), DEFAULT_KIND_RULES) for text in complaints]

    assert [guessed.kind for guessed in guesses] == [Kind.COMPLAINT] * 5
    # Sure enough to be applied without an agent (the default threshold is 0.9).
    assert [guessed.confidence > 0.9 for guessed in guesses] == [True] * 5
