"""Insults and threats aimed at people, and the angry complaints that are neither."""

import pytest

from attenda.triage.abuse import detect
from attenda.triage.language import fold


def abuse_in(text: str) -> str:
    return detect(fold(text)).kind


@pytest.mark.parametrize(
    "text",
    [
        "És um idiota, não sabes fazer nada.",
        "Eres un gilipollas.",
        "Du-te dracu, nu mai suna.",
        "Spierdalaj, nie będę z tobą rozmawiał.",
        "Fuck you and your useless company.",
    ],
)
def test_an_insult_is_found_in_each_language(text):
    assert abuse_in(text) == "insult"


@pytest.mark.parametrize(
    "text",
    [
        "Sei onde moras.",
        "Te voy a matar como no me devuelvas el dinero.",
        "Știu unde locuiești.",
        "Zabiję cię, jak jeszcze raz zadzwonisz.",
        "I'll burn your shop down and I know where you live.",
    ],
)
def test_a_threat_is_found_in_each_language(text):
    assert abuse_in(text) == "threat"


@pytest.mark.parametrize(
    "text",
    [
        "This is a scam and I will go to the regulator.",
        "Damn slow service, third time this week!",
        "Isto é uma burla, vou à DECO e ao tribunal.",
        "Qué mierda de servicio, os denunciaré ante la OCU.",
        "Kurwa, znowu nie działa internet. Idę do UOKiK.",
        "E o țeapă, vă dau în judecată.",
        "You treat us like idiots.",
        "I'm not stupid, I read the contract.",
        "Não sou nenhum idiota, sei ler a fatura.",
        "O consumo anormal de gás deste mês.",
        "Am ratat livrarea ieri.",
        "The debit was idiotic, but fine.",
    ],
)
def test_an_angry_complaint_is_not_abuse(text):
    assert abuse_in(text) == ""


def test_a_threat_outweighs_an_insult_and_both_are_cues():
    found = detect(fold("You idiot, I know where you live."))

    assert found.kind == "threat"
    assert found.cues == ("idiot", "know where you live")


def abuse_in_language(text: str, language: str) -> str:
    return detect(fold(text), language).kind


def test_a_figure_of_speech_is_not_a_threat():
    text = "Would it kill you to not let 3,000 miles expire without telling me?"

    assert abuse_in_language(text, "en") == ""


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # Spanish "puta" and "vaca" are not insults in Portuguese or English words.
        ("Comprei um puta quintal para os miúdos, adorei o serviço.", "pt"),
        ("Booked my vacation with your card, all good.", "en"),
    ],
)
def test_another_languages_insults_are_not_read_in_this_one(text, language):
    assert abuse_in_language(text, language) == ""
    # Read in Spanish, the same words would be abuse: the language is what decides.
    assert abuse_in_language("Eres una puta vaca.", "es") == "insult"
