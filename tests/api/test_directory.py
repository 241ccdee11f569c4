"""The teams and agents an integrator picks transfer targets from."""

import pytest

from attenda.agents.services import set_availability
from tests.agents.factories import AgentFactory, TeamFactory
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


def test_every_team_is_listed_by_name_with_its_routing(api, team, other_team):
    team.languages = ["pt", "es"]
    team.skills = ["billing"]
    team.assignment_mode = "round_robin"
    team.save()

    response = api.get("/teams")

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": team.pk,
                "name": "Billing",
                "languages": ["pt", "es"],
                "skills": ["billing"],
                "assignment_mode": "round_robin",
            },
            {
                "id": other_team.pk,
                "name": "Technical",
                "languages": [],
                "skills": [],
                "assignment_mode": "manual",
            },
        ],
        "next_cursor": None,
    }


def test_teams_come_a_page_at_a_time(api, team, other_team):
    TeamFactory(name="Accounts")

    first = api.get("/teams", limit=2).json()
    second = api.get("/teams", limit=2, cursor=first["next_cursor"]).json()

    assert [item["name"] for item in first["items"]] == ["Accounts", "Billing"]
    assert [item["name"] for item in second["items"]] == ["Technical"]
    assert second["next_cursor"] is None


def test_agents_are_listed_with_their_teams_languages_and_status(api, agent, team, other_team):
    agent.languages_spoken = ["pt", "en"]
    agent.save()
    agent.teams.add(other_team)
    set_availability(
        agent=agent, actor=agent, status="away", absent_from=None, absent_until=None, backup=None
    )

    response = api.get("/agents")

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": agent.pk,
                "username": "ana",
                "name": "Ana Silva",
                "role": "agent",
                "active": True,
                "status": "away",
                "languages": ["pt", "en"],
                "skills": [],
                "teams": [
                    {"id": team.pk, "name": "Billing"},
                    {"id": other_team.pk, "name": "Technical"},
                ],
            }
        ],
        "next_cursor": None,
    }


def test_agents_are_filtered_by_team_and_by_whether_they_are_active(
    api, agent, colleague, outsider, team
):
    AgentFactory(username="bea", teams=[team], is_active=False)

    in_team = api.get("/agents", team=team.pk).json()["items"]
    active_in_team = api.get("/agents", team=team.pk, active="true").json()["items"]
    deactivated = api.get("/agents", active="false").json()["items"]

    assert [item["username"] for item in in_team] == ["ana", "bea", "bruno"]
    assert [item["username"] for item in active_in_team] == ["ana", "bruno"]
    assert [item["username"] for item in deactivated] == ["bea"]


def test_agents_come_a_page_at_a_time_whatever_the_filters(api, agent, colleague, supervisor, team):
    first = api.get("/agents", team=team.pk, limit=2).json()
    second = api.get("/agents", team=team.pk, limit=2, cursor=first["next_cursor"]).json()

    assert [item["username"] for item in first["items"]] == ["ana", "bruno"]
    assert [item["username"] for item in second["items"]] == ["sofia"]
    assert second["next_cursor"] is None


def test_a_listed_agent_and_team_are_what_a_transfer_takes(api, agent, outsider, other_team):
    ticket = received_ticket(team=agent.teams.get())
    [target] = api.get("/agents", team=other_team.pk).json()["items"]

    response = api.post(
        f"/tickets/{ticket.pk}/transfers",
        {"note": "Precisa de um técnico.", "to_agent": target["id"], "to_team": other_team.pk},
    )

    assert response.status_code == 201
    ticket.refresh_from_db()
    assert (ticket.owner_id, ticket.team_id) == (outsider.pk, other_team.pk)


def test_the_agent_list_costs_the_same_queries_for_one_agent_or_many(
    api, agent, team, django_assert_num_queries
):
    for number in range(5):
        AgentFactory(username=f"z{number}", teams=[team])

    # Two to authenticate the token, the page, and the teams of everyone on it.
    with django_assert_num_queries(4):
        response = api.get("/agents")

    assert len(response.json()["items"]) == 6
