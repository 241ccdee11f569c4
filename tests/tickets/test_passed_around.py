"""Supervisors see the open tickets of their teams that passed through more than two people."""

import pytest

from attenda.tickets.models import Status
from attenda.tickets.services import set_status, transfer
from tests.agents.factories import AgentFactory
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


def handed(ticket, times, actor, to_agents):
    for number in range(times):
        transfer(
            ticket=ticket,
            actor=actor if number == 0 else to_agents[(number - 1) % len(to_agents)],
            to_agent=to_agents[number % len(to_agents)],
            note=f"Hand-off {number + 1}: the customer needs a refund.",
        )
    ticket.refresh_from_db()
    return ticket


def test_a_supervisor_sees_their_teams_tickets_passed_around_the_most_first(
    client, team, other_team, agent, colleague, supervisor, outsider
):
    thrice = handed(received_ticket(team=team, email="a@example.com"), 3, agent, [colleague, agent])
    four = handed(received_ticket(team=team, email="b@example.com"), 4, agent, [colleague, agent])
    handed(received_ticket(team=team, email="c@example.com"), 2, agent, [colleague, agent])
    solved = handed(received_ticket(team=team, email="d@example.com"), 3, agent, [colleague, agent])
    set_status(ticket=solved, status=Status.SOLVED, actor=agent)
    elsewhere = received_ticket(team=other_team, email="e@example.com")
    handed(elsewhere, 3, outsider, [AgentFactory(teams=[other_team]), outsider])
    client.force_login(supervisor)

    page = client.get("/tickets/passed-around/").content.decode()

    assert page.index(f"#{four.pk}<") < page.index(f"#{thrice.pk}<")
    assert f"#{solved.pk}<" not in page
    assert f"#{elsewhere.pk}<" not in page
    assert '<td class="number">4</td>' in page


def test_agents_do_not_get_the_supervisors_list(client, agent):
    client.force_login(agent)

    assert client.get("/tickets/passed-around/").status_code == 403


def test_an_empty_list_says_so(client, supervisor):
    client.force_login(supervisor)

    assert (
        "No open ticket of your teams changed hands"
        in client.get("/tickets/passed-around/").content.decode()
    )
