import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

import attenda
from attenda.core import audit, audit_labels
from attenda.demo.loading import DEMO_LOADED
from attenda.tickets.models import Kind
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
    assert "Note added" in page
    assert "ticket.noted" not in page
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


def recorded_actions() -> set[str]:
    """Every action code Attenda's code records: the literal ``action=`` of each audit call; an
    action built from a link's purpose stands for each purpose."""
    actions = {DEMO_LOADED}
    for path in Path(attenda.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg != "action":
                    continue
                choices = (
                    [keyword.value.body, keyword.value.orelse]
                    if isinstance(keyword.value, ast.IfExp)
                    else [keyword.value]
                )
                for choice in choices:
                    if isinstance(choice, ast.Constant) and "." in str(choice.value):
                        actions.add(choice.value)
                    elif isinstance(choice, ast.JoinedStr):
                        prefix = choice.values[0].value
                        actions |= {
                            f"{prefix}{purpose}" for purpose in ("invitation", "password_reset")
                        }
    return actions


def test_every_action_attenda_records_has_a_label():
    assert recorded_actions() - set(audit_labels.ACTIONS) == set()


def test_the_log_reads_in_the_readers_language_with_labels_for_codes(
    client, admin_agent, agent, team
):
    ticket = received_ticket(team=team)
    audit.record(
        actor=agent,
        action="ticket.details_changed",
        target=ticket,
        kind={"from": Kind.QUESTION, "to": Kind.WARRANTY_CLAIM},
        opened=True,
    )
    admin_agent.language = "pt"
    admin_agent.save(update_fields=["language"])
    client.force_login(admin_agent)

    html = client.get("/admin/audit/").content.decode()
    # What a person reads: the text between the tags, not the links' and options' values.
    page = re.sub(r"<[^>]+>", " ", html)
    with translation.override("en"):
        english = audit_labels.details(
            "tickets.ticket", {"kind": {"from": "question", "to": "warranty_claim"}, "opened": True}
        )

    assert english == "kind: Question → Warranty claim; opened a ticket: yes"
    with translation.override("pl"):
        assert audit_labels.details("agents.agent", {"time_zone": "Europe/Warsaw"}) == (
            "strefa czasowa: Warszawa"
        )
    for code in ("ticket.details_changed", "warranty_claim", "tickets.ticket", "True"):
        assert code not in page
    assert "Garantia" in page or "garantia" in page
