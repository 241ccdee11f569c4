"""Triage over the API, with the same policy as the pages: 404 for what the agent may not see."""

import pytest

from attenda.core.models import AuditEntry
from attenda.tickets.models import Kind
from attenda.triage import services
from attenda.triage.models import Reveal, SuggestionState, TicketTriage
from tests.agents.factories import AgentFactory
from tests.api.client import client_for
from tests.triage.factories import ABUSIVE_EN, COMPLAINT_PT, LEAVING_PT, customer_writes

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(agent):
    return client_for(agent)


@pytest.fixture
def outsider_api(outsider):
    return client_for(outsider)


def test_it_reads_a_tickets_triage_without_the_messages_text(api, team):
    services.set_threshold(admin=AgentFactory(role="admin"), threshold=1.0)
    received = customer_writes(COMPLAINT_PT, team=team)
    customer_writes(LEAVING_PT, ticket=received.ticket)

    response = api.get(f"/triage/tickets/{received.ticket.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["ticket"] == received.ticket.pk
    assert body["language"] == "pt"
    assert body["suggestion"]["kind"] == "complaint"
    assert body["suggestion"]["state"] == "pending"
    assert body["flagged_for_supervisor"] == "leaving"
    assert [reading["entry_id"] for reading in body["readings"]][0] == received.entry.pk
    assert [reading["leaving"] for reading in body["readings"]] == [False, True]
    assert "body" not in body["readings"][0]


def test_it_reads_one_messages_reading(api, team):
    received = customer_writes(ABUSIVE_EN, team=team)

    response = api.get(f"/triage/entries/{received.entry.pk}")

    assert response.status_code == 200
    assert response.json()["abusive"] is True
    assert response.json()["language"] == "en"


def test_another_teams_ticket_and_message_answer_404(outsider_api, team):
    received = customer_writes(ABUSIVE_EN, team=team)

    assert outsider_api.get(f"/triage/tickets/{received.ticket.pk}").status_code == 404
    assert outsider_api.get(f"/triage/entries/{received.entry.pk}").status_code == 404
    response = outsider_api.post(f"/triage/entries/{received.entry.pk}/reveal")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Reveal.objects.exists()


def test_accepting_a_suggestion_applies_it(api, team):
    services.set_threshold(admin=AgentFactory(role="admin"), threshold=1.0)
    ticket = customer_writes(COMPLAINT_PT, team=team).ticket

    response = api.post(f"/triage/tickets/{ticket.pk}/accept")

    assert response.status_code == 200
    assert response.json()["kind"] == Kind.COMPLAINT
    assert TicketTriage.objects.get().state == SuggestionState.ACCEPTED
    again = api.post(f"/triage/tickets/{ticket.pk}/accept")
    assert again.status_code == 409
    assert again.json()["code"] == "no_suggestion"


def test_an_outsider_accepting_changes_nothing(outsider_api, team):
    services.set_threshold(admin=AgentFactory(role="admin"), threshold=1.0)
    ticket = customer_writes(COMPLAINT_PT, team=team).ticket

    response = outsider_api.post(f"/triage/tickets/{ticket.pk}/accept")

    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.kind == Kind.QUESTION
    assert TicketTriage.objects.get().state == SuggestionState.PENDING


def test_revealing_an_abusive_message_returns_it_and_is_audited(api, agent, team):
    received = customer_writes(ABUSIVE_EN, team=team)

    response = api.post(f"/triage/entries/{received.entry.pk}/reveal")

    assert response.status_code == 200
    assert response.json() == {"entry_id": received.entry.pk, "body": ABUSIVE_EN}
    audit = AuditEntry.objects.get(action="triage.abuse_revealed")
    assert (audit.actor, audit.data) == (agent, {"entry": received.entry.pk})


def test_it_lists_a_customers_abuse_flags(api, team):
    received = customer_writes(ABUSIVE_EN, team=team)

    response = api.get(f"/triage/customers/{received.ticket.customer_id}/flags")

    assert response.status_code == 200
    [flag] = response.json()
    assert flag["ticket"] == received.ticket.pk
    assert flag["entry_id"] == received.entry.pk
    assert flag["lifted_at"] is None
    assert api.get("/triage/customers/999999/flags").status_code == 404
