"""Twilio's X-Twilio-Signature, checked against the vectors of Twilio's own library."""

import json

import pytest

from attenda.channels.phone.signatures import is_valid
from tests.corpus import corpus_path


def _vectors() -> dict:
    path = corpus_path("webhooks", "twilio", "twilio-python", "request-validator-vectors.json")
    return json.loads(path.read_text())


def _params(case: dict) -> list[tuple[str, str]]:
    if "params_multi" in case:
        return [tuple(pair) for pair in case["params_multi"]]
    return list(case["params"].items())


def test_every_form_vector_of_twilios_library_is_accepted():
    vectors = _vectors()
    cases = [case for case in vectors["cases"] if "expected_signature" in case]

    results = {
        case["name"]: is_valid(
            vectors["auth_token"], case["url"], _params(case), case["expected_signature"]
        )
        for case in cases
    }

    assert results == {case["name"]: True for case in cases}
    assert len(cases) == 4


def test_a_signature_made_with_another_token_or_for_other_digits_is_refused():
    vectors = _vectors()
    case = vectors["cases"][0]
    changed = dict(case["params"], Digits="9999")

    assert not is_valid("another-token", case["url"], _params(case), case["expected_signature"])
    assert not is_valid(
        vectors["auth_token"], case["url"], list(changed.items()), case["expected_signature"]
    )
    assert not is_valid(vectors["auth_token"], case["url"], _params(case), "")


@pytest.mark.parametrize("token", ["", None])
def test_without_a_configured_token_nothing_is_valid(token):
    vectors = _vectors()
    case = vectors["cases"][0]

    assert not is_valid(token or "", case["url"], _params(case), case["expected_signature"])
