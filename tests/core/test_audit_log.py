import pytest

from attenda.tickets.services import add_note
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


def test_an_admin_reads_who_changed_a_ticket(client, admin_agent, agent, team):
    ticket = received_ticket(team=team)
    add_note(ticket=ticket, agent=agent, body="Ligar amanhã.")
    client.force_login(admin_agent)

    response = client.get(
        "/admin/audit/", {"object_type": "tickets.ticket", "object_id": ticket.pk}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "ticket.noted" in page
    assert "Ana Silva" in page


def test_the_audit_log_pages_by_cursor_without_repeating_an_entry(client, admin_agent, agent, team):
    ticket = received_ticket(team=team)
    for number in range(60):
        add_note(ticket=ticket, agent=agent, body=f"Nota {number}")
    client.force_login(admin_agent)

    first = client.get("/admin/audit/", {"object_type": "tickets.ticket"})
    second = client.get(f"/admin/audit/?{first.context['next_query']}")

    first_ids = [entry.pk for entry in first.context["entries"]]
    second_ids = [entry.pk for entry in second.context["entries"]]
    assert (len(first_ids), len(second_ids)) == (50, 11)
    assert not set(first_ids) & set(second_ids)


def test_an_agent_cannot_read_the_audit_log(client, agent):
    client.force_login(agent)

    assert client.get("/admin/audit/").status_code == 403
