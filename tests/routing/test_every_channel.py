"""A returning customer reaches their agent, or the agent's backup, whichever way they come back:
by mail, on the phone, at the counter, or through the API."""

import pytest

from attenda.agents.models import AgentStatus, AssignmentMode
from attenda.channels.email.inbound import take_mail
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
