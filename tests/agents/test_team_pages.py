import re
from urllib.parse import urlsplit

import pytest

from attenda.agents.models import Agent, Role, Team
from attenda.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_team(client, admin_agent):
    client.force_login(admin_agent)

    response = client.post("/settings/teams/", {"name": "Reclamações"})

    assert response.status_code == 302
    assert list(Team.objects.values_list("name", flat=True)) == ["Reclamações"]
    assert AuditEntry.objects.filter(action="team.created", actor=admin_agent).count() == 1


def test_a_supervisor_sees_only_their_teams_and_cannot_create_one(
    client, supervisor, team, other_team
):
    client.force_login(supervisor)

    page = client.get("/settings/teams/")
    refused = client.post("/settings/teams/", {"name": "Shadow team"})

    assert page.status_code == 200
    assert "Billing" in page.content.decode()
    assert "Technical" not in page.content.decode()
    assert refused.status_code == 403
    assert not Team.objects.filter(name="Shadow team").exists()


def test_an_agent_cannot_open_the_agent_list(client, agent):
    client.force_login(agent)

    assert client.get("/settings/agents/").status_code == 403


def test_an_admin_adds_an_agent_who_chooses_a_password_from_the_invitation_and_logs_in(
    client, admin_agent, team, mailoutbox, run_tasks, django_capture_on_commit_callbacks
):
    client.force_login(admin_agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/settings/agents/new/",
            {
                "username": "ioana",
                "full_name": "Ioana Popescu",
                "email": "ioana@attenda.test",
                "role": "agent",
                "teams": [team.pk],
                "languages_spoken": ["ro", "en"],
                "is_active": "on",
            },
        )
    run_tasks()

    assert response.status_code == 302
    ioana = Agent.objects.get(username="ioana")
    assert (ioana.get_full_name(), ioana.team_ids(), ioana.languages_spoken) == (
        "Ioana Popescu",
        [team.pk],
        ["ro", "en"],
    )
    assert not ioana.has_usable_password()
    [invitation] = mailoutbox
    assert invitation.to == ["ioana@attenda.test"]
    link = re.search(r"http://\S+/invitation/\S+/", invitation.body).group(0)
    client.logout()
    chosen = client.post(
        urlsplit(link).path,
        {"new_password": "Ceai-de-tei-2026", "new_password_again": "Ceai-de-tei-2026"},
    )
    assert chosen.status_code == 302
    logged_in = client.post("/login/", {"username": "ioana", "password": "Ceai-de-tei-2026"})
    assert logged_in.status_code == 302
    assert client.get("/").status_code == 200


def test_a_deactivated_agent_can_no_longer_use_their_session(client, admin_agent, agent, team):
    agent_client = client.__class__()
    agent_client.force_login(agent)
    client.force_login(admin_agent)

    client.post(
        f"/settings/agents/{agent.pk}/",
        {"full_name": "Ana Silva", "email": agent.email, "role": "agent", "teams": [team.pk]},
    )

    agent.refresh_from_db()
    assert agent.is_active is False
    assert agent_client.get("/").status_code == 302


def test_an_admin_cannot_remove_their_own_admin_rights(client, admin_agent):
    client.force_login(admin_agent)

    response = client.post(
        f"/settings/agents/{admin_agent.pk}/",
        {"full_name": "Admin", "email": "admin@attenda.test", "role": "agent", "is_active": "on"},
    )

    assert response.status_code == 200
    admin_agent.refresh_from_db()
    assert admin_agent.role == Role.ADMIN
