"""The API's limits: requests per minute per token and per address, refused tokens per address,
answered 429 with Retry-After; and a token's last use written at most once a minute."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from attenda.agents.services import issue_api_token
from tests.api.client import ApiClient

pytestmark = pytest.mark.django_db


def test_a_token_over_its_rate_gets_429_with_retry_after(agent, settings, time_machine):
    time_machine.move_to(datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC), tick=False)
    settings.API_RATE_PER_TOKEN = 5
    _token, key = issue_api_token(agent=agent, name="CRM")
    api = ApiClient(key)

    answers = [api.get("/tickets").status_code for _request in range(7)]
    refused = api.get("/tickets")
    _other_token, other_key = issue_api_token(agent=agent, name="Script")
    other = ApiClient(other_key).get("/tickets")
    time_machine.shift(timedelta(seconds=45))
    next_minute = api.get("/tickets")

    assert answers == [200] * 5 + [429] * 2
    assert refused.headers["Retry-After"] == "45"
    assert refused.json() == {
        "code": "rate_limited",
        "message": "Too many requests; try again in 45 seconds.",
        "fields": {},
    }
    assert other.status_code == 200
    assert next_minute.status_code == 200


def test_one_address_over_its_rate_gets_429_whatever_token_it_uses(agent, settings):
    settings.API_RATE_PER_ADDRESS = 4
    keys = [issue_api_token(agent=agent, name=f"Token {number}")[1] for number in range(6)]

    answers = [ApiClient(key).get("/tickets").status_code for key in keys]

    assert answers == [200] * 4 + [429] * 2


def test_guessing_tokens_from_one_address_is_stopped(agent, settings):
    settings.API_FAILURE_LIMIT = 10
    _token, key = issue_api_token(agent=agent, name="CRM")

    guesses = [
        Client(headers={"Authorization": f"Bearer att_guess{number}"}).get("/api/v1/tickets")
        for number in range(12)
    ]
    right_key = ApiClient(key).get("/tickets")
    other_address = Client(
        headers={"Authorization": f"Bearer {key}"}, REMOTE_ADDR="198.51.100.4"
    ).get("/api/v1/tickets")

    assert [guess.status_code for guess in guesses] == [401] * 10 + [429] * 2
    assert int(guesses[-1].headers["Retry-After"]) > 0
    assert right_key.status_code == 429
    assert other_address.status_code == 200


def test_a_forwarded_for_header_does_not_escape_the_address_limit(agent, settings):
    settings.API_FAILURE_LIMIT = 3

    answers = [
        Client(headers={"Authorization": "Bearer att_guess", "X-Forwarded-For": f"10.0.0.{number}"})
        .get("/api/v1/tickets")
        .status_code
        for number in range(5)
    ]

    assert answers == [401] * 3 + [429] * 2


def test_last_used_is_written_at_most_once_a_minute(agent, time_machine):
    time_machine.move_to(datetime(2026, 3, 2, 9, 30, tzinfo=UTC), tick=False)
    token, key = issue_api_token(agent=agent, name="CRM")
    api = ApiClient(key)
    api.get("/tickets")

    time_machine.shift(timedelta(seconds=59))
    api.get("/tickets")
    token.refresh_from_db()
    within_the_minute = token.last_used_at
    time_machine.shift(timedelta(seconds=1))
    api.get("/tickets")
    token.refresh_from_db()

    assert within_the_minute == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert token.last_used_at == datetime(2026, 3, 2, 9, 31, tzinfo=UTC)
