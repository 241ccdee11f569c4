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


def tone_in(text: str, language: str):
    return assess(text, fold(text), language)


def test_capitals_and_exclamations_strengthen_what_is_said():
    reading = tone_in("I HAVE WAITED FOR THREE WEEKS!!", "en")

    assert reading.anger >= ANGRY
    assert {"CAPITALS", "!!"} <= set(reading.cues)


def test_exclamations_and_capitals_alone_are_not_anger():
    assert tone_in("Relógio top, entrega rápida, recomendo!!!", "pt").anger < ANGRY
    assert tone_in("THANK YOU SO MUCH FOR THE FAST REPAIR!!", "en").anger < ANGRY
    assert tone_in("¡¡Muchas gracias por todo!!", "es").anger < ANGRY


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


def test_each_language_is_read_with_its_own_words():
    # "consumo" is everyday Portuguese (usage) and only names the consumer office in Spanish.
    assert not tone_in("O consumo de eletricidade subiu este mês, porquê?", "pt").leaving
    assert not tone_in("¿Cómo veo el consumo de datos de mi línea?", "es").leaving
    assert tone_in("Si no me lo devolvéis, voy a reclamar en consumo.", "es").leaving
    # Spanish "robo" (a theft) is not the Portuguese "robô" nor the Romanian "robotul".
    assert tone_in("O robô do chat não percebe nada.", "pt").anger == 0.0
    assert tone_in("Robotul de pe site nu înțelege nimic.", "ro").anger == 0.0


def test_everyday_words_near_leaving_are_not_leaving():
    assert not tone_in("Vou mudar de casa no próximo mês, como transfiro o contrato?", "pt").leaving
    assert not tone_in("Thank you for the courtesy call about my bill.", "en").leaving
    assert not tone_in("The call terminated before I could give my reference.", "en").leaving
    assert not tone_in("Am primit procesul verbal de la citirea contorului.", "ro").leaving
    assert not tone_in("Hay mucha demanda de fibra en mi barrio, ¿cuándo llega?", "es").leaving
    # The real cues still count.
    assert tone_in("I'll take you to court over this.", "en").leaving
    assert tone_in("Vou mudar de operador se isto não se resolver.", "pt").leaving
    assert tone_in("Voy a poner una demanda.", "es").leaving
