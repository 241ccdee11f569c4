"""The kind of a ticket from multilingual keyword rules."""

import pytest

from attenda.tickets.models import Kind
from attenda.triage.kind import DEFAULT_KIND, DEFAULT_KIND_RULES, KindRule, guess
from attenda.triage.language import fold
from tests.corpus import corpus_path


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


# Complaints as customers write them on public complaint boards and to desks, naming no complaint:
# the same problem again, a promise broken, nobody answering or coming, the worst service, being
# passed around. The subject they complain about ("technician", "técnico") must not win.
COMPLAINTS_WITHOUT_THE_WORD = {
    "en": [
        "I still have the same problem. Nobody has got back to me.",
        "Worst customer service ever. I've been on hold for an hour and got cut off twice.",
        "I have called five times and every time I'm told someone will call me back. "
        "No one ever does.",
        "You guys have messed up my account again.",
        "I was promised a technician on Monday and nobody showed up.",
        "Your agent lied to me about the price of the contract.",
        "This is the third time I'm writing about the same issue and still no response.",
    ],
    "pt": [
        "Continuo com o mesmo problema e ninguém me responde.",
        "Pior atendimento que já tive, fiquei uma hora na linha e a ligação caiu.",
        "Já liguei cinco vezes e sempre dizem que vão retornar. Nunca retornam.",
        "Descaso total com o cliente, até agora nada foi resolvido.",
        "Prometeram um técnico na segunda e ninguém apareceu.",
    ],
    "es": [
        "Sigo con el mismo problema y nadie me contesta.",
        "La peor atención al cliente que he tenido, una hora esperando y me colgaron.",
        "He llamado cinco veces y siempre me dicen que me llamarán. Nunca llaman.",
        "Me prometieron un técnico el lunes y no vino nadie.",
        "Es la tercera vez que escribo por lo mismo y sigo sin respuesta.",
    ],
    "ro": [
        "Am în continuare aceeași problemă și nu îmi răspunde nimeni.",
        "Cel mai prost serviciu clienți, am stat o oră la telefon și mi-a închis.",
        "Mi s-a promis un tehnician luni și nu a venit nimeni.",
        "Este a treia oară când scriu pentru aceeași problemă și tot nu am primit răspuns.",
    ],
    "pl": [
        "Nadal mam ten sam problem i nikt mi nie odpowiada.",
        "Najgorsza obsługa klienta, godzinę czekałem na linii i się rozłączyło.",
        "Obiecano mi technika w poniedziałek i nikt nie przyszedł.",
        "Piszę już trzeci raz w tej samej sprawie i nadal brak odpowiedzi.",
    ],
}


@pytest.mark.parametrize("language", sorted(COMPLAINTS_WITHOUT_THE_WORD))
def test_complaints_that_do_not_say_complaint_are_complaints(language):
    kinds = [kind_of(text) for text in COMPLAINTS_WITHOUT_THE_WORD[language]]

    assert kinds == [Kind.COMPLAINT] * len(kinds)


def test_real_mails_that_complain_of_nothing_are_not_complaints():
    """Mails written by others (corpus/email-replies): a fix sent with a dash before "this" is
    not "fix this"; a customer failing to place an order is about the order."""
    fix = corpus_path(
        "email-replies",
        "zapier-email-reply-parser",
        "test",
        "emails",
        "email_sig_delimiter_in_middle_of_line.txt",
    ).read_text()
    order = corpus_path(
        "email-replies", "alfonsrv-mail-parser-reply", "test", "emails", "caution2.txt"
    ).read_text()
    order = order.split("\n\n")[1]  # the customer's own words, before the quoted answer

    assert kind_of(fix) != Kind.COMPLAINT
    assert kind_of(order) == Kind.ORDER


def test_a_promising_plan_is_not_a_promise_broken():
    assert kind_of("The new plan looks promising, how do I sign up?") == Kind.ORDER
    assert kind_of("Noul abonament pare promițător, cum mă abonez?") != Kind.COMPLAINT
