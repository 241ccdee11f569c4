"""Anger, urgency and words of leaving in a message."""

from attenda.triage.language import fold
from attenda.triage.tone import ANGRY, assess


def tone_of(text: str):
    return assess(text, fold(text))


def test_a_calm_message_is_not_angry():
    assert tone_of("Could you send me a copy of my March bill?").anger == 0.0


def test_words_of_anger_make_a_message_angry():
    assert tone_of("Estou farto desta situação.").anger >= ANGRY
    assert tone_of("Mam tego dość.").anger >= ANGRY


def test_capitals_and_exclamations_make_a_message_angry_without_words():
    reading = tone_of("I HAVE WAITED FOR THREE WEEKS!!")

    assert reading.anger >= ANGRY
    assert {"CAPITALS", "!!"} <= set(reading.cues)


def test_one_acronym_is_not_shouting():
    assert tone_of("My ANACOM reference is below.").anger == 0.0


def test_urgency_and_leaving_are_found_in_each_language():
    assert tone_of("Miroase a gaz pe scară, e urgent.").urgent
    assert tone_of("Sinto cheiro a gás na cozinha.").urgent
    assert tone_of("Vou cancelar o contrato e falar com um advogado.").leaving
    assert tone_of("Me doy de baja y voy a la OCU.").leaving
    assert tone_of("Wypowiadam umowę.").leaving
    assert tone_of("I'll take this to the ombudsman.").leaving
    assert not tone_of("How do I read my meter?").leaving
