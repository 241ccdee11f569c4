"""Routing over the API: a team's wait estimate, agents' availability, and automatic assignment,
with the same rules as the pages; what is not the caller's answers 404 and changes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from attenda.agents.models import Agent, AgentStatus
from attenda.tickets.models import Ticket
from attenda.tickets.services import assign, reply
from tests.api.client import client_for
from tests.tickets.factories import outgoing_mailbox, received_ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def test_a_member_reads_the_teams_wait_estimate(api, team, agent):
    outgoing_mailbox()
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        for number in range(2):
            ticket = received_ticket(team=team, email=f"a{number}@example.com")
            assign(ticket=ticket, owner=agent, actor=agent)
            reply(ticket=ticket, agent=agent, body="Feito.")
        received_ticket(team=team, email="waiting@example.com")

    with time_machine.travel(NOW, tick=False):
        response = api.get(f"/teams/{team.pk}/wait-estimate")

    # Pace 0.5 per agent-hour, one agent, one ahead: (1 + 1) / 0.5 = 4 hours.
    assert response.status_code == 200
    assert response.json() == {
        "team": {"id": team.pk, "name": "Billing"},
        "minutes": 240,
        "ahead": 1,
        "answered_recently": 2,
        "available_agents": 1,
    }


def test_another_teams_estimate_is_not_found(api, other_team):
    response = api.get(f"/teams/{other_team.pk}/wait-estimate")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_agent_sets_their_own_absence_and_backup(api, agent, colleague):
    response = api.put(
        f"/agents/{agent.pk}/availability",
        {
            "status": "away",
            "absent_from": "2026-08-01T08:00:00Z",
            "absent_until": "2026-08-15T17:00:00Z",
            "backup": colleague.pk,
        },
    )

    assert response.status_code == 200
    assert response.json()["backup"] == {"id": colleague.pk, "name": "Bruno Costa"}
    agent.refresh_from_db()
    assert (agent.status, agent.backup) == (AgentStatus.AWAY, colleague)


def test_an_agent_cannot_set_a_colleagues_status(api, colleague):
    response = api.put(f"/agents/{colleague.pk}/availability", {"status": "offline"})

    assert response.status_code == 404
    assert Agent.objects.get(pk=colleague.pk).status == AgentStatus.AVAILABLE


def test_a_backup_who_is_the_agent_is_refused(api, agent):
    response = api.put(f"/agents/{agent.pk}/availability", {"status": "away", "backup": agent.pk})

    assert response.status_code == 409
    assert response.json()["code"] == "availability_refused"
    assert response.json()["fields"] == {"backup": ["Choose someone else as backup."]}
    assert Agent.objects.get(pk=agent.pk).status == AgentStatus.AVAILABLE


def test_an_absence_that_ends_when_it_starts_is_refused_as_the_document_says(api, agent):
    response = api.put(
        f"/agents/{agent.pk}/availability",
        {
            "status": "away",
            "absent_from": "2000-01-01T00:00:00Z",
            "absent_until": "2000-01-01T00:00:00Z",
        },
    )

    assert response.status_code == 409
    assert response.json()["fields"] == {"absent_until": ["The absence must end after it starts."]}
    assert Agent.objects.get(pk=agent.pk).status == AgentStatus.AVAILABLE


def test_a_supervisor_sets_a_members_status(supervisor_api, agent):
    response = supervisor_api.put(f"/agents/{agent.pk}/availability", {"status": "offline"})

    assert response.json()["status"] == "offline"


def test_assign_automatically_through_the_api(api, team, agent):
    ticket = received_ticket(team=team)

    response = api.post(f"/tickets/{ticket.pk}/assign-automatically")

    assert response.status_code == 200
    assert response.json()["owner"] == {"id": agent.pk, "name": "Ana Silva"}


def test_assign_automatically_of_a_ticket_without_a_team_is_a_conflict(admin_agent):
    ticket = received_ticket()

    response = client_for(admin_agent).post(f"/tickets/{ticket.pk}/assign-automatically")

    assert response.status_code == 409
    assert response.json()["code"] == "no_team"
    assert Ticket.objects.get(pk=ticket.pk).owner is None


def test_assign_automatically_of_a_colleagues_ticket_is_forbidden(api, team, agent, colleague):
    ticket = received_ticket(team=team)
    assign(ticket=ticket, owner=colleague, actor=colleague)

    response = api.post(f"/tickets/{ticket.pk}/assign-automatically")

    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).owner == colleague


def test_an_absence_written_with_any_offset_rfc_3339_allows_is_kept_in_utc(api, agent):
    response = api.put(
        f"/agents/{agent.pk}/availability",
        {"status": "available", "absent_until": "3125-06-15T18:41:15+18:27"},
    )

    assert response.status_code == 200
    assert response.json()["absent_until"] == "3125-06-15T00:14:15Z"


def test_an_absence_outside_the_years_the_document_states_is_refused(api, agent):
    response = api.put(
        f"/agents/{agent.pk}/availability",
        {"status": "available", "absent_until": "9999-12-31T23:59:59-10:00"},
    )

    assert response.status_code == 422
    assert response.json()["fields"] == {"absent_until": ["Use a time in the years 2 to 9998."]}
