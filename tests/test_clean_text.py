"""Pages speak to people: codes appear as their labels, laws are cited as laws, and every field's
description is one the page really has."""

import re

import pytest

from attenda.routing.models import TeamCalendar
from attenda.tickets.services import add_note, assign
from tests.tickets.factories import outgoing_mailbox, received_ticket

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/preferences/",
    "/contacts/new/",
    "/customers/",
    "/settings/service-levels/",
    "/settings/service-levels/new/",
    "/settings/calendars/",
    "/settings/triage/",
    "/settings/teams/",
    "/settings/agents/",
    "/settings/agents/new/",
    "/settings/availability/",
    "/settings/mailboxes/new/",
    "/admin/audit/",
    "/api-tokens/",
    "/demo/outbox/",
]


def test_the_service_levels_page_names_countries_counts_and_laws_not_codes(client, admin_agent):
    client.force_login(admin_agent)

    page = client.get("/settings/service-levels/").content.decode()

    assert "Spain (money charged wrongly)" in page
    assert "15 calendar days, the first and last not counted" in page
    assert "Warranty claim" in page
    assert "Decreto-Lei 84/2021" in page
    for code in ("duties.md", "calendar_clear", "wrong_charge", "warranty_claim", "(ES)"):
        assert code not in page


def test_the_audit_log_names_records_and_shows_details_as_text(client, admin_agent, agent, team):
    ticket = received_ticket(team=team)
    assign(ticket=ticket, owner=agent, actor=agent)
    client.force_login(admin_agent)

    page = client.get("/admin/audit/").content.decode()

    assert f"Ticket {ticket.pk}</a>" in page
    assert f"owner: {agent.pk}" in page
    assert "tickets.ticket:" not in page
    assert "{&#x27;" not in page


def test_every_field_description_a_page_points_at_exists(client, admin_agent, team):
    admin_agent.teams.add(team)
    outgoing_mailbox()
    ticket = received_ticket(team=team)
    add_note(ticket=ticket, agent=admin_agent, body="Ver isto.")
    client.force_login(admin_agent)

    missing = {}
    for url in [*PAGES, f"/tickets/{ticket.pk}/", f"/contacts/new/?customer={ticket.customer_id}"]:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        ids = set(re.findall(r'\bid="([^"]+)"', page))
        for described in re.findall(r'aria-describedby="([^"]+)"', page):
            for id_ in described.split():
                if id_ not in ids:
                    missing.setdefault(url, []).append(id_)

    assert missing == {}


def test_preferences_and_business_hours_offer_the_same_time_zone_picker(client, admin_agent, team):
    admin_agent.time_zone = "America/Phoenix"
    admin_agent.save()
    client.force_login(admin_agent)

    preferences = client.get("/preferences/").content.decode()
    hours = client.get(f"/settings/calendars/{team.pk}/").content.decode()

    for page in (preferences, hours):
        assert '<optgroup label="Europe">' in page
        assert '<option value="Europe/Lisbon"' in page
        assert ">Lisbon</option>" in page
        assert "Type the first letters of a city to find it" in page
        assert "Africa/Abidjan" not in page
    assert '<option value="America/Phoenix" selected>Phoenix</option>' in preferences


def test_time_zones_are_named_by_their_city_in_the_agents_language(client, admin_agent, team):
    admin_agent.language = "pl"
    admin_agent.save()
    TeamCalendar.objects.create(team=team, time_zone="Europe/Warsaw", week=[[]] * 7)
    client.force_login(admin_agent)

    preferences = client.get("/preferences/").content.decode()
    calendars = client.get("/settings/calendars/").content.decode()

    assert '<option value="Europe/Madrid">Madryt</option>' in preferences
    assert '<option value="Europe/Warsaw">Warszawa</option>' in preferences
    assert "Europe/" not in re.sub(r'value="[^"]*"', "", calendars)
    assert "Warszawa" in calendars


def test_a_valid_zone_outside_the_common_ones_is_kept(client, agent):
    client.force_login(agent)

    client.post("/preferences/", {"language": "en", "time_zone": "America/Phoenix"})

    agent.refresh_from_db()
    assert agent.time_zone == "America/Phoenix"
