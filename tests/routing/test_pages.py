"""The settings pages for business hours and service levels, and what the inbox and the ticket page
show of deadlines: admins and supervisors edit what they may, everyone else changes nothing."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from attenda.core.models import AuditEntry
from attenda.routing.models import ServiceLevelPolicy, TeamCalendar
from attenda.routing.services import sweep
from attenda.tickets.models import Kind
from attenda.tickets.services import assign
from tests.customers.factories import CustomerFactory
from tests.routing.factories import ServiceLevelPolicyFactory, TeamCalendarFactory
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db

WEEK = {
    "time_zone": "Europe/Madrid",
    "country": "es",
    "subdivision": "md",
    "closed_days": "2026-12-24, 2026-12-31",
    "day_0": "08:00-14:00, 15:00-17:30",
    "day_1": "08:00-14:00",
    "day_2": "08:00-14:00",
    "day_3": "08:00-14:00",
    "day_4": "08:00-15:00",
    "day_5": "",
    "day_6": "",
}


def test_a_supervisor_sets_the_business_hours_of_their_team(client, team, supervisor):
    client.force_login(supervisor)

    response = client.post(f"/settings/calendars/{team.pk}/", WEEK)

    assert response.status_code == 302
    calendar = TeamCalendar.objects.get(team=team)
    assert calendar.week[0] == [["08:00", "14:00"], ["15:00", "17:30"]]
    assert (calendar.country, calendar.subdivision) == ("ES", "MD")
    assert calendar.closed_days == ["2026-12-24", "2026-12-31"]
    business = calendar.business_calendar()
    assert business.is_working_day(date(2026, 12, 23))
    assert not business.is_working_day(date(2026, 12, 24))
    assert not business.is_working_day(date(2026, 10, 12))  # Fiesta Nacional, a Monday
    page = client.get("/settings/calendars/").content.decode()
    assert "Monday: 08:00-14:00, 15:00-17:30" in page


def test_overlapping_shifts_are_refused_with_the_reason(client, team, supervisor):
    client.force_login(supervisor)

    response = client.post(
        f"/settings/calendars/{team.pk}/", {**WEEK, "day_1": "09:00-13:00, 12:00-18:00"}
    )

    assert response.status_code == 422
    assert "The shifts of one day must not overlap." in response.content.decode()
    assert not TeamCalendar.objects.exists()


def test_an_unknown_holiday_region_is_refused(client, team, admin_agent):
    client.force_login(admin_agent)

    response = client.post(f"/settings/calendars/{team.pk}/", {**WEEK, "subdivision": "XX"})

    assert response.status_code == 422
    assert not TeamCalendar.objects.exists()


def test_a_supervisor_cannot_change_another_teams_hours(client, other_team, supervisor):
    TeamCalendarFactory(team=other_team)
    client.force_login(supervisor)

    edited = client.post(f"/settings/calendars/{other_team.pk}/", WEEK)
    removed = client.post(f"/settings/calendars/{other_team.pk}/remove/")

    assert (edited.status_code, removed.status_code) == (403, 403)
    assert TeamCalendar.objects.get(team=other_team).time_zone == "Europe/Lisbon"
    assert not AuditEntry.objects.filter(action__startswith="team.calendar").exists()


def test_agents_see_no_routing_settings(client, team, agent):
    client.force_login(agent)

    assert client.get("/settings/calendars/").status_code == 403
    assert client.get("/settings/service-levels/").status_code == 403
    assert client.post(f"/settings/calendars/{team.pk}/", WEEK).status_code == 403
    assert not TeamCalendar.objects.exists()


def test_an_admin_creates_a_policy_and_supervisors_only_read_them(client, admin_agent, supervisor):
    client.force_login(admin_agent)
    response = client.post(
        "/settings/service-levels/new/",
        {
            "name": "Complaints",
            "position": 10,
            "is_active": "on",
            "kind": Kind.COMPLAINT,
            "first_response_minutes": 120,
            "resolution_minutes": 2400,
            "business_time": "on",
            "warn_percent": 80,
            "notify_supervisors": "on",
            "reassign": "",
        },
    )
    assert response.status_code == 302
    policy = ServiceLevelPolicy.objects.get()
    assert (policy.kind, policy.priority, policy.warn_percent) == (Kind.COMPLAINT, None, 80)

    client.force_login(supervisor)
    listing = client.get("/settings/service-levels/").content.decode()
    denied = client.post(f"/settings/service-levels/{policy.pk}/", {"name": "Changed"})
    deleted = client.post(f"/settings/service-levels/{policy.pk}/delete/")

    assert "Complaints" in listing
    assert "Ustawa o prawach konsumenta, art. 7a" in listing
    assert (denied.status_code, deleted.status_code) == (403, 403)
    policy.refresh_from_db()
    assert policy.name == "Complaints"


def test_a_policy_that_reassigns_to_nobody_is_refused(client, admin_agent):
    client.force_login(admin_agent)

    response = client.post(
        "/settings/service-levels/new/",
        {"name": "X", "position": 1, "warn_percent": 75, "reassign": "agent"},
    )

    assert response.status_code == 422
    assert "Choose the agent to reassign to." in response.content.decode()
    assert not ServiceLevelPolicy.objects.exists()


def time_left_cells(page: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", cell)
        for cell in re.findall(
            r'<td class="due"[^>]*><span class="time-left[^"]*">.*?</span></td>', page
        )
    ]


def test_the_inbox_sorts_by_the_nearest_deadline_and_says_what_is_overdue(client, team, agent):
    ServiceLevelPolicyFactory(kind=Kind.QUESTION, first_response_minutes=60, business_time=False)
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        late = received_ticket(team=team, email="late@example.com", subject="Late")
    with time_machine.travel(start + timedelta(minutes=50), tick=False):
        soon = received_ticket(team=team, email="soon@example.com", subject="Soon")
    polish = CustomerFactory(country="PL")
    with time_machine.travel(start - timedelta(days=12), tick=False):
        legal = received_ticket(team=team, customer_id=polish.pk, kind=Kind.COMPLAINT)
    client.force_login(agent)

    with time_machine.travel(start + timedelta(minutes=90), tick=False):
        page = client.get("/", {"view": "open", "sort": "deadline"}).content.decode()

    numbers = re.findall(r'<span class="number">#(\d+)</span>', page)
    assert numbers == [str(late.pk), str(soon.pk), str(legal.pk)]
    assert time_left_cells(page) == [
        "Overdue by 30\xa0minutes",
        "20\xa0minutes left",
        "Legal deadline in 2\xa0days, 12\xa0hours",
    ]


def test_the_inbox_names_the_legal_consequence_once_the_deadline_passed(client, team, agent):
    polish = CustomerFactory(country="PL")
    with time_machine.travel(datetime(2025, 12, 10, 10, tzinfo=UTC), tick=False):
        ticket = received_ticket(team=team, customer_id=polish.pk, kind=Kind.COMPLAINT)
        assign(ticket=ticket, owner=agent, actor=agent)
    client.force_login(agent)

    with time_machine.travel(datetime(2025, 12, 30, 9, tzinfo=UTC), tick=False):
        sweep()
        inbox = client.get("/").content.decode()
        page = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert time_left_cells(inbox) == ["Deemed accepted: the customer&#x27;s demand must be met"]
    assert "The legal deadline passed without an answer on a durable medium." in page


def test_the_ticket_page_shows_each_service_level_due(client, team, agent):
    ServiceLevelPolicyFactory(
        first_response_minutes=60, resolution_minutes=600, business_time=False
    )
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        ticket = received_ticket(team=team)
        client.force_login(agent)
        page = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "<dt>First response due</dt>" in page
    assert "1\xa0hour left" in page
    assert "<dt>Resolution due</dt>" in page
