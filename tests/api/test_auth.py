from datetime import UTC, datetime

import pytest
from django.test import Client

from attenda.agents.services import issue_api_token, revoke_api_token
from tests.api.client import ApiClient
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db

UNAUTHENTICATED = {
    "code": "unauthenticated",
    "message": "Send a valid API token in the header Authorization: Bearer <token>.",
    "fields": {},
}


def test_a_request_without_a_token_is_refused_with_401(team):
    ticket = received_ticket(team=team)

    response = Client().get(f"/api/v1/tickets/{ticket.pk}")

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_token_no_longer_works(agent, team):
    ticket = received_ticket(team=team)
    token, key = issue_api_token(agent=agent, name="CRM")
    revoke_api_token(token=token, actor=agent)

    response = ApiClient(key).get(f"/tickets/{ticket.pk}")

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


@pytest.mark.parametrize(
    "header", ["Bearer att_not-a-key", "Token {key}", "Bearer", "{key}", "Basic {key}"]
)
def test_an_unknown_key_or_another_scheme_is_refused(agent, team, header):
    _token, key = issue_api_token(agent=agent, name="CRM")

    response = Client(headers={"Authorization": header.format(key=key)}).get("/api/v1/tickets")

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_the_token_of_a_deactivated_agent_no_longer_works(agent):
    _token, key = issue_api_token(agent=agent, name="CRM")
    agent.is_active = False
    agent.save(update_fields=["is_active"])

    response = ApiClient(key).get("/tickets")

    assert response.status_code == 401


def test_a_signed_in_browser_session_is_not_enough_for_the_api(agent):
    browser = Client()
    browser.force_login(agent)

    response = browser.get("/api/v1/tickets")

    assert response.status_code == 401


def test_each_use_of_a_token_is_recorded(agent, time_machine):
    time_machine.move_to(datetime(2026, 3, 2, 9, 30, tzinfo=UTC), tick=False)
    token, key = issue_api_token(agent=agent, name="CRM")

    ApiClient(key).get("/tickets")

    token.refresh_from_db()
    assert token.last_used_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
