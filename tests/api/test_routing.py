"""Routing over the API: supervisors read policies, calendars and statutory rules; admins add
rules, which then give new complaints their deadline; agents are refused and nothing changes."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from attenda.routing.models import StatutoryRule
from tests.api.client import client_for
from tests.customers.factories import CustomerFactory
from tests.routing.factories import ServiceLevelPolicyFactory, TeamCalendarFactory
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db

CZECH_RULE = {
    "country": "cz",
    "kinds": ["complaint"],
    "days": 30,
    "count": "calendar",
    "end_moves_off": [],
    "consequence": "late_answer_breach",
    "source": "Zákon o ochraně spotřebitele § 19",
    "valid_from": "2025-01-01",
    "time_zone": "Europe/Prague",
}


def test_a_supervisor_reads_the_policies_in_order(supervisor_api):
    later = ServiceLevelPolicyFactory(name="Everyone", position=9)
    first = ServiceLevelPolicyFactory(name="Urgent", position=1, priority=4)

    response = supervisor_api.get("/routing/service-levels")

    assert response.status_code == 200
    assert [policy["id"] for policy in response.json()] == [first.pk, later.pk]
    assert response.json()[0]["priority"] == 4


def test_an_agent_may_not_read_routing_settings(api):
    ServiceLevelPolicyFactory()

    assert api.get("/routing/service-levels").status_code == 403
    assert api.get("/routing/statutory-rules").status_code == 403


def test_a_calendar_is_read_by_who_manages_the_team(supervisor_api, outsider_api, team):
    TeamCalendarFactory(team=team)

    mine = supervisor_api.get(f"/routing/calendars/{team.pk}")
    theirs = outsider_api.get(f"/routing/calendars/{team.pk}")

    assert mine.status_code == 200
    assert mine.json()["week"][0] == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert theirs.status_code == 404
    assert theirs.json()["code"] == "not_found"


def test_an_admin_adds_a_rule_that_new_complaints_then_get(admin_agent, team):
    response = client_for(admin_agent).post("/routing/statutory-rules", CZECH_RULE)

    assert response.status_code == 201
    assert response.json()["country"] == "CZ"
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=UTC), tick=False):
        ticket = received_ticket(
            team=team, customer_id=CustomerFactory(country="CZ").pk, kind="complaint"
        )
    local = ticket.legal_deadline.astimezone(ZoneInfo("Europe/Prague"))
    assert local.date().isoformat() == "2026-04-01"


def test_the_shipped_rules_are_listed_first(supervisor_api):
    rules = supervisor_api.get("/routing/statutory-rules").json()

    assert rules[0]["country"] == "PL"
    assert all(rule["shipped"] for rule in rules)


def test_a_supervisor_cannot_add_a_rule(supervisor_api):
    response = supervisor_api.post("/routing/statutory-rules", CZECH_RULE)

    assert response.status_code == 403
    assert not StatutoryRule.objects.exists()


def test_a_rule_with_an_unknown_time_zone_is_refused(admin_agent):
    response = client_for(admin_agent).post(
        "/routing/statutory-rules", {**CZECH_RULE, "time_zone": "Europe/Atlantis"}
    )

    assert response.status_code == 422
    assert "time_zone" in response.json()["fields"]
    assert not StatutoryRule.objects.exists()


def test_a_ticket_says_its_deadlines(api, team):
    ServiceLevelPolicyFactory(
        first_response_minutes=60, resolution_minutes=None, business_time=False
    )
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        ticket = received_ticket(team=team)

    body = api.get(f"/tickets/{ticket.pk}").json()

    assert body["first_response_due"] == "2026-03-02T10:00:00Z"
    assert body["due_at"] == "2026-03-02T10:00:00Z"
    assert body["resolution_due"] is None
    assert body["deemed_accepted"] is False
