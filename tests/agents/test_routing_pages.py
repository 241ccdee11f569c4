"""Agents set their own status from the header and their absence and backup on their settings;
supervisors set those of their teams' members and each team's routing. Nobody else can."""

from datetime import UTC, datetime

import pytest

from attenda.agents.models import Agent, AgentStatus, AssignmentMode, Skill, Team
from attenda.core.models import AuditEntry
from tests.agents.factories import AgentFactory
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


def test_an_agent_sets_their_own_status_from_the_header(client, agent):
    client.force_login(agent)

    inbox = client.get("/")
    response = client.post("/status/", {"status": "away", "next": "/customers/"})

    assert 'id="my-status"' in inbox.content.decode()
    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    assert Agent.objects.get(pk=agent.pk).status == AgentStatus.AWAY
    assert AuditEntry.objects.filter(action="agent.status_changed", actor=agent).count() == 1


def test_the_status_switch_never_sends_the_agent_off_site(client, agent):
    client.force_login(agent)

    response = client.post("/status/", {"status": "offline", "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_an_agent_plans_an_absence_with_a_backup(client, agent, colleague):
    client.force_login(agent)

    response = client.post(
        "/settings/availability/",
        {
            "status": "available",
            "absent_from": "2026-08-01T09:00",
            "absent_until": "2026-08-15T18:00",
            "backup": colleague.pk,
        },
    )

    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.backup == colleague
    # The agent's time zone, Europe/Lisbon, is an hour ahead of UTC in summer.
    assert agent.absent_from == datetime(2026, 8, 1, 8, 0, tzinfo=UTC)
    assert agent.absent_until == datetime(2026, 8, 15, 17, 0, tzinfo=UTC)


def test_an_absence_that_ends_before_it_starts_is_refused_and_nothing_changes(client, agent):
    client.force_login(agent)

    response = client.post(
        "/settings/availability/",
        {"status": "away", "absent_from": "2026-08-15T09:00", "absent_until": "2026-08-01T09:00"},
    )

    assert response.status_code == 200
    assert "The absence must end after it starts." in response.content.decode()
    agent.refresh_from_db()
    assert (agent.status, agent.absent_from, agent.absent_until) == (
        AgentStatus.AVAILABLE,
        None,
        None,
    )


def test_an_agent_cannot_change_a_colleagues_availability(client, agent, colleague):
    client.force_login(agent)

    page = client.get(f"/settings/agents/{colleague.pk}/availability/")
    refused = client.post(
        f"/settings/agents/{colleague.pk}/availability/", {"status": "offline", "backup": agent.pk}
    )

    assert (page.status_code, refused.status_code) == (404, 404)
    colleague.refresh_from_db()
    assert (colleague.status, colleague.backup) == (AgentStatus.AVAILABLE, None)
    assert (
        not AuditEntry.objects.filter(action__startswith="agent.")
        .exclude(action="agent.created")
        .exists()
    )


def test_an_agent_cannot_give_themselves_skills(client, agent):
    client.force_login(agent)

    client.post("/settings/availability/", {"status": "available", "skills": ["complaints"]})

    assert Agent.objects.get(pk=agent.pk).skills == []


def test_a_supervisor_sets_a_members_status_and_skills(client, supervisor, agent):
    client.force_login(supervisor)

    response = client.post(
        f"/settings/agents/{agent.pk}/availability/",
        {"status": "offline", "skills": ["complaints", "billing"]},
    )

    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.status, agent.skills) == (AgentStatus.OFFLINE, ["billing", "complaints"])


def test_a_supervisor_cannot_touch_agents_of_other_teams(client, supervisor, other_team):
    stranger = AgentFactory(username="estranho", teams=[other_team])
    client.force_login(supervisor)

    response = client.post(f"/settings/agents/{stranger.pk}/availability/", {"status": "away"})

    assert response.status_code == 404
    assert Agent.objects.get(pk=stranger.pk).status == AgentStatus.AVAILABLE


def test_a_supervisor_sets_the_routing_of_their_team(client, supervisor, agent, team):
    client.force_login(supervisor)

    page = client.get(f"/settings/teams/{team.pk}/")
    response = client.post(
        f"/settings/teams/{team.pk}/",
        {
            "assignment_mode": "round_robin",
            "capacity": "12",
            "languages": ["pt", "es"],
            "skills": ["complaints"],
        },
    )

    assert page.status_code == 200
    assert "Ana Silva" in page.content.decode()
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.assignment_mode, team.capacity, team.languages, team.skills) == (
        AssignmentMode.ROUND_ROBIN,
        12,
        ["es", "pt"],
        [Skill.COMPLAINTS],
    )
    assert AuditEntry.objects.filter(action="team.routing_changed", actor=supervisor).count() == 1


@pytest.mark.parametrize("who", ["agent", "outside_supervisor"])
def test_only_the_teams_supervisors_may_set_its_routing(client, team, other_team, agent, who):
    person = agent
    if who == "outside_supervisor":
        person = AgentFactory(username="chefe", role="supervisor", teams=[other_team])
    client.force_login(person)

    response = client.post(
        f"/settings/teams/{team.pk}/",
        {"assignment_mode": "round_robin", "capacity": "1"},
    )

    assert response.status_code in (403, 404)
    team = Team.objects.get(pk=team.pk)
    assert (team.assignment_mode, team.capacity) == (AssignmentMode.MANUAL, 20)


def test_assign_automatically_on_the_ticket_page(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    page = client.get(f"/tickets/{ticket.pk}/")
    response = client.post(f"/tickets/{ticket.pk}/assign/automatically/", follow=True)

    assert 'id="assign-automatically"' in page.content.decode()
    assert "The ticket was assigned automatically." in response.content.decode()
    assert "Assigned to Ana Silva, who speaks Portuguese." not in response.content.decode()
    assert "Assigned to Ana Silva, the least busy available agent of Billing." in (
        response.content.decode()
    )
