"""A message is read for language, kind, team, tone and abuse at once, with its reasons."""

import pytest

from attenda.tickets import arrivals
from attenda.tickets.models import Kind
from attenda.triage import kind
from attenda.triage.reading import DEFAULT_KIND_RULES, LANGUAGES, KindRule, TriageModel, read


def test_a_message_is_read_for_its_language_kind_and_reasons():
    reading = read(
        "Bună ziua, vreau să știu când vine curierul cu comanda mea.",
        subject="Comanda 4471",
    )

    assert reading.language == "ro"
    assert reading.kind == Kind.ORDER
    assert {"curier", "comanda"} <= set(reading.cues)
    assert reading.team_id is None
    assert not reading.abusive


def test_a_very_short_message_takes_the_customers_known_language():
    reading = read("ok", fallback_language="pl")

    assert reading.language == "pl"
    assert reading.language_confidence == 0.0


def test_every_default_rule_names_a_kind_and_a_language_of_attenda():
    assert {rule.kind for rule in DEFAULT_KIND_RULES} == set(Kind.values)
    assert {rule.language for rule in DEFAULT_KIND_RULES} == set(LANGUAGES)


def test_an_admins_rules_replace_the_default_ones():
    rules = [KindRule(kind=Kind.SUGGESTION, language="en", keywords=("loyalty points",))]

    reading = read("Where do my loyalty points go?", kind_rules=rules)

    assert reading.kind == Kind.SUGGESTION
    assert reading.cues == ("loyalty points",)


def test_an_abusive_message_is_angry_whatever_its_words():
    reading = read("Eres un gilipollas.")

    assert reading.abuse == "insult"
    assert reading.anger == 1.0


def test_the_models_kind_is_taken_above_the_threshold_and_the_rules_below_it():
    texts = ["my parcel never came"] * 6 + ["the router is broken again"] * 6
    model = TriageModel.train(texts, ["order"] * 6 + ["technical_service"] * 6, [1] * 6 + [2] * 6)
    text = "the router is broken and so is my parcel"

    confident = read(text, model=model, threshold=0.0)
    unsure = read(text, model=model, threshold=1.0)

    assert confident.kind == model.predict_kind(text)[0]
    assert confident.team_id in {1, 2}
    assert unsure.kind == read(text).kind
    assert unsure.team_id == confident.team_id


def test_a_model_survives_being_stored():
    texts = ["my parcel never came", "the router is broken", "where is my order", "no internet"]
    model = TriageModel.train(
        texts, ["order", "technical_service", "order", "technical_service"], [1, 2, 1, 2]
    )

    restored = TriageModel.from_bytes(model.to_bytes())

    assert restored.predict_kind("the parcel") == model.predict_kind("the parcel")
    assert restored.predict_team("no internet") == model.predict_team("no internet")


def test_one_message_is_scored_as_scikit_learn_scores_it():
    texts = [
        "my parcel never came",
        "the router is broken again!!",
        "where is my order?",
        "no internet since Monday",
        "I want a refund, you charged me twice",
        "you charged me twice for the same order",
    ]
    kinds = ["order", "technical_service", "order", "technical_service", "complaint", "complaint"]
    model = TriageModel.train(texts, kinds, [1, 2, 1, 2, 3, 3])
    message = "The parcel with the new router never came!"

    prediction = model.predict(message)
    kind_probabilities = model.kinds.predict_proba(model.features.transform([message]))[0]
    team_probabilities = model.teams.predict_proba(model.features.transform([message]))[0]

    assert prediction.kind_confidence == pytest.approx(kind_probabilities.max())
    assert prediction.kind == model.kinds.classes_[kind_probabilities.argmax()]
    assert prediction.team_confidence == pytest.approx(team_probabilities.max())
    assert prediction.team_id == model.teams.classes_[team_probabilities.argmax()]


def test_a_process_prepared_reads_its_first_message_with_the_lexicon_built():
    """arrivals.prepare(), as the worker and the mail processes start: the first message read does
    not build the rules' keyword lexicon (50 ms of the first message in the intake's benchmark)."""
    kind._lexicon.cache_clear()

    arrivals.prepare()
    built = kind._lexicon.cache_info().misses
    read("Olá, o router não liga desde ontem e preciso dele para trabalhar.")

    assert built >= 1
    assert kind._lexicon.cache_info().misses == built
