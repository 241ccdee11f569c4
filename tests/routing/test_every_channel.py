"""A returning customer reaches their agent, or the agent's backup, whichever way they come back:
by mail, on the phone, at the counter, or through the API."""

import pytest

from attenda.agents.models import Agent, AgentStatus, AssignmentMode
from attenda.channels.email.inbound import take_mail
from attenda.customers.models import Customer
from attenda.tickets.models import Channel, Ticket
from attenda.tickets.services import assign, log_contact
from tests.agents.factories import AgentFactory
from tests.api.client import client_for
from tests.channels.email.mail import raw_mail
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(team, agent, colleague):
    """Maria's last ticket was Ana's; Bruno is Ana's backup; a third agent is idle."""
    team.assignment_mode = AssignmentMode.LOAD_BALANCED
    team.save()
    agent.backup = colleague
    agent.save()
    AgentFactory(username="idle", first_name="Ivo", teams=[team])
    first = received_ticket(team=team, email="maria@example.com", subject="Primeira")
    assign(ticket=first, owner=agent, actor=agent)
    return first


def away(agent) -> None:
    agent.status = AgentStatus.AWAY
    agent.save()


def test_by_mail(desk, mailbox, agent):
    take_mail(mailbox, raw_mail(subject="Outra questão"), source="api")

    assert Ticket.objects.latest("pk").owner == agent


def test_by_mail_while_away(desk, mailbox, agent, colleague):
    away(agent)

    take_mail(mailbox, raw_mail(subject="Outra questão"), source="api")

    assert Ticket.objects.latest("pk").owner == colleague


def test_by_phone(desk, agent, colleague):
    received = log_contact(
        agent=colleague, customer=desk.customer, channel=Channel.PHONE, body="Ligou outra vez."
    )

    assert received.opened
    assert received.ticket.owner == agent


def test_at_the_counter_while_away(desk, agent, colleague):
    away(agent)

    received = log_contact(
        agent=agent, customer=desk.customer, channel=Channel.COUNTER, body="Veio à loja."
    )

    assert received.ticket.owner == colleague


def test_through_the_api(desk, agent, colleague):
    api = client_for(colleague)

    response = api.post(
        "/tickets",
        {
            "identities": [{"kind": "email", "value": "maria@example.com"}],
            "body": "Pelo portal do parceiro.",
        },
    )

    assert response.status_code == 201
    assert response.json()["owner"]["id"] == agent.pk


def test_through_the_api_while_away(desk, agent, colleague):
    away(agent)
    api = client_for(colleague)

    response = api.post("/tickets", {"customer_id": desk.customer_id, "body": "Olá."})

    assert response.json()["owner"]["id"] == colleague.pk


def test_a_supervisor_names_the_account_owner_on_the_customer_page(client, desk, supervisor):
    ivo = Agent.objects.get(username="idle")
    client.force_login(supervisor)

    page = client.get(f"/customers/{desk.customer_id}/")
    response = client.post(f"/customers/{desk.customer_id}/agent/", {"owner-agent": ivo.pk})
    ticket = received_ticket(team=desk.team, email="maria@example.com", subject="Terceira")

    assert 'id="owner-submit"' in page.content.decode()
    assert response.status_code == 302
    assert ticket.owner == ivo


def test_an_agent_cannot_name_the_account_owner(client, desk, agent, colleague):
    client.force_login(agent)

    response = client.post(f"/customers/{desk.customer_id}/agent/", {"owner-agent": agent.pk})

    assert response.status_code == 403
    assert Customer.objects.get(pk=desk.customer_id).standing_agent is None


def test_the_account_owner_through_the_api(desk, supervisor, colleague):
    api = client_for(supervisor)

    response = api.put(f"/customers/{desk.customer_id}/standing-agent", {"agent": colleague.pk})
    refused = client_for(colleague).put(
        f"/customers/{desk.customer_id}/standing-agent", {"agent": None}
    )

    assert response.json() == {
        "customer_id": desk.customer_id,
        "standing_agent": {"id": colleague.pk, "name": "Bruno Costa"},
    }
    assert refused.status_code == 403
    assert Customer.objects.get(pk=desk.customer_id).standing_agent == colleague
