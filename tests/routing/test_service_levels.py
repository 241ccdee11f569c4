"""Tickets get the deadlines of the service-level policy their conditions choose, counted on their
team's business calendar, kept as things happen to them: answers meet them, waiting on the
customer pauses them, and changes retime them."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from attenda.routing.service_levels import choose_policy
from attenda.tickets.models import Channel, Kind, Priority, Status
from attenda.tickets.services import change_details, reply, set_status, transfer
from tests.agents.factories import TeamFactory
from tests.customers.factories import CustomerFactory
from tests.routing.factories import (
    CustomerTierFactory,
    ServiceLevelPolicyFactory,
    TeamCalendarFactory,
)
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db

LISBON = ZoneInfo("Europe/Lisbon")


def lisbon(*args) -> datetime:
    return datetime(*args, tzinfo=LISBON)


def received_at(moment: datetime, **fields):
    with time_machine.travel(moment, tick=False):
        return received_ticket(**fields)


def test_a_ticket_received_on_friday_afternoon_is_due_on_monday_in_business_hours(team):
    TeamCalendarFactory(team=team)
    ServiceLevelPolicyFactory(first_response_minutes=4 * 60)

    ticket = received_at(lisbon(2026, 3, 6, 16, 0), team=team)

    # 2 hours on Friday (16-18), 2 on Monday (9-11).
    assert ticket.first_response_due == lisbon(2026, 3, 9, 11, 0)
    assert ticket.due_at == ticket.first_response_due
    # 75 % of four hours: 3 hours, the third one on Monday at 9-10.
    assert ticket.warn_at == lisbon(2026, 3, 9, 10, 0)
    assert ticket.escalate_at == ticket.first_response_due


def test_a_portuguese_holiday_is_skipped(team):
    TeamCalendarFactory(team=team)
    ServiceLevelPolicyFactory(first_response_minutes=60)

    # 24 April 2026 is a Friday; 25 April (Freedom Day) a Saturday; 1 May (Labour Day) a Friday.
    ticket = received_at(lisbon(2026, 4, 30, 17, 30), team=team)

    assert ticket.first_response_due == lisbon(2026, 5, 4, 9, 30)


@pytest.mark.parametrize(
    ("country", "zone", "received", "due"),
    [
        # Spain, Epiphany (Tue 6 Jan 2026), Madrid time.
        ("ES", "Europe/Madrid", (2026, 1, 5, 17, 0), (2026, 1, 7, 10, 0)),
        # Romania, 1 and 2 January, across the year end.
        ("RO", "Europe/Bucharest", (2025, 12, 31, 17, 0), (2026, 1, 5, 10, 0)),
        # Romania, Orthodox Good Friday to Easter Monday (10-13 April 2026).
        ("RO", "Europe/Bucharest", (2026, 4, 9, 17, 0), (2026, 4, 14, 10, 0)),
        # Poland, Constitution Day on Sunday 3 May 2026, Labour Day on Friday 1 May.
        ("PL", "Europe/Warsaw", (2026, 4, 30, 17, 0), (2026, 5, 4, 10, 0)),
    ],
)
def test_each_countrys_holidays_close_the_team(team, country, zone, received, due):
    TeamCalendarFactory(
        team=team, country=country, time_zone=zone, week=[[["09:00", "18:00"]]] * 5 + [[], []]
    )
    ServiceLevelPolicyFactory(first_response_minutes=2 * 60)
    here = ZoneInfo(zone)

    ticket = received_at(datetime(*received, tzinfo=here), team=team)

    assert ticket.first_response_due == datetime(*due, tzinfo=here)


def test_a_deadline_across_the_autumn_clock_change_counts_real_hours(team):
    TeamCalendarFactory(team=team, week=[[["00:00", "24:00"]]] * 7, country="")
    ServiceLevelPolicyFactory(first_response_minutes=3 * 60)

    # Lisbon falls back from 02:00 to 01:00 on 25 October 2026: the night has an extra hour.
    ticket = received_at(lisbon(2026, 10, 25, 0, 30), team=team)

    assert ticket.first_response_due == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)


def test_a_deadline_across_a_month_end_and_weekend(team):
    TeamCalendarFactory(team=team)
    ServiceLevelPolicyFactory(resolution_minutes=3 * 8 * 60)

    ticket = received_at(lisbon(2026, 7, 30, 12, 0), team=team)

    # Thu 30 Jul 12:00 → 5 h Thu, 8 h Fri 31, 8 h Mon 3 Aug, 3 h Tue 4 Aug (9-12).
    assert ticket.resolution_due == lisbon(2026, 8, 4, 12, 0)


def test_a_team_without_a_calendar_counts_calendar_time(team):
    ServiceLevelPolicyFactory(first_response_minutes=4 * 60)

    ticket = received_at(lisbon(2026, 3, 7, 22, 0), team=team)

    assert ticket.first_response_due == lisbon(2026, 3, 8, 2, 0)


def test_without_a_matching_policy_a_ticket_has_no_service_level(team):
    ServiceLevelPolicyFactory(kind=Kind.ORDER)

    ticket = received_at(lisbon(2026, 3, 2, 10, 0), team=team)

    assert ticket.service_level is None
    assert (ticket.first_response_due, ticket.due_at, ticket.warn_at) == (None, None, None)


def test_the_first_policy_in_order_whose_conditions_all_match_wins(team):
    customer = CustomerFactory()
    CustomerTierFactory(customer=customer, tier="premium")
    ServiceLevelPolicyFactory(name="Orders", position=1, kind=Kind.ORDER)
    premium_phone = ServiceLevelPolicyFactory(
        name="Premium by phone", position=2, tier="premium", channel=Channel.PHONE
    )
    premium = ServiceLevelPolicyFactory(name="Premium", position=3, tier="premium")
    ServiceLevelPolicyFactory(name="Everyone", position=4)

    ticket = received_at(lisbon(2026, 3, 2, 10, 0), team=team, customer_id=customer.pk)

    assert ticket.service_level == premium
    ticket.channel = Channel.PHONE
    assert choose_policy(ticket) == premium_phone


def test_a_reply_meets_the_first_response_and_waiting_on_the_customer_pauses_resolution(
    team, agent
):
    TeamCalendarFactory(team=team)
    ServiceLevelPolicyFactory(first_response_minutes=60, resolution_minutes=8 * 60)
    ticket = received_at(lisbon(2026, 3, 2, 9, 0), team=team)

    with time_machine.travel(lisbon(2026, 3, 2, 12, 0), tick=False):
        reply(ticket=ticket, agent=agent, body="Estamos a ver.")
    ticket.refresh_from_db()

    assert ticket.status == Status.WAITING_ON_CUSTOMER
    assert ticket.first_response_due is None
    assert ticket.resolution_due is None
    assert ticket.due_at is None
    assert ticket.service_clock["resolution"]["spent"] == 3 * 3600


def test_when_the_customer_answers_the_clock_resumes_with_the_time_left(team, agent):
    TeamCalendarFactory(team=team)
    ServiceLevelPolicyFactory(first_response_minutes=60, resolution_minutes=8 * 60)
    ticket = received_at(lisbon(2026, 3, 2, 9, 0), team=team)
    with time_machine.travel(lisbon(2026, 3, 2, 12, 0), tick=False):
        reply(ticket=ticket, agent=agent, body="Pode enviar a fatura?")

    # A week later, on Monday at 16:00: five business hours were left.
    ticket = received_at(lisbon(2026, 3, 9, 16, 0), team=team, ticket_number=ticket.pk)

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.resolution_due == lisbon(2026, 3, 10, 12, 0)
    assert ticket.next_response_due == lisbon(2026, 3, 10, 16, 0)
    assert ticket.due_at == ticket.resolution_due


def test_solving_stops_the_clocks_and_reopening_starts_resolution_again(team, agent):
    ServiceLevelPolicyFactory(first_response_minutes=60, resolution_minutes=24 * 60)
    ticket = received_at(lisbon(2026, 3, 2, 9, 0), team=team)

    with time_machine.travel(lisbon(2026, 3, 2, 10, 0), tick=False):
        set_status(ticket=ticket, status=Status.SOLVED, actor=agent)
    ticket.refresh_from_db()
    assert (ticket.due_at, ticket.warn_at, ticket.escalate_at) == (None, None, None)

    with time_machine.travel(lisbon(2026, 3, 3, 10, 0), tick=False):
        set_status(ticket=ticket, status=Status.OPEN, actor=agent)
    ticket.refresh_from_db()
    assert ticket.resolution_due == lisbon(2026, 3, 4, 10, 0)


def test_a_higher_priority_chooses_a_stricter_policy_and_retimes_the_clock(team, agent):
    ServiceLevelPolicyFactory(position=1, priority=Priority.URGENT, first_response_minutes=30)
    ServiceLevelPolicyFactory(position=2, first_response_minutes=8 * 60)
    ticket = received_at(lisbon(2026, 3, 2, 9, 0), team=team)
    assert ticket.first_response_due == lisbon(2026, 3, 2, 17, 0)

    with time_machine.travel(lisbon(2026, 3, 2, 9, 10), tick=False):
        change_details(ticket=ticket, actor=agent, priority=Priority.URGENT)

    ticket.refresh_from_db()
    assert ticket.first_response_due == lisbon(2026, 3, 2, 9, 30)


def test_a_transfer_counts_the_deadline_on_the_new_teams_calendar(team, agent):
    night_team = TeamFactory(name="Night")
    TeamCalendarFactory(team=team)
    TeamCalendarFactory(team=night_team, week=[[["00:00", "24:00"]]] * 7)
    ServiceLevelPolicyFactory(first_response_minutes=4 * 60)
    ticket = received_at(lisbon(2026, 3, 6, 17, 0), team=team)
    assert ticket.first_response_due == lisbon(2026, 3, 9, 12, 0)

    with time_machine.travel(lisbon(2026, 3, 6, 17, 30), tick=False):
        transfer(ticket=ticket, actor=agent, note="Urgente, à noite.", to_team=night_team)

    ticket.refresh_from_db()
    assert ticket.first_response_due == lisbon(2026, 3, 6, 21, 0)


def test_a_legal_deadline_is_the_nearest_due_and_never_pauses(team, agent):
    ServiceLevelPolicyFactory(first_response_minutes=None, resolution_minutes=30 * 24 * 60)
    customer = CustomerFactory(country="PL", language="pl")
    ticket = received_at(
        datetime(2025, 12, 10, 10, tzinfo=UTC),
        team=team,
        customer_id=customer.pk,
        kind=Kind.COMPLAINT,
        channel=Channel.PHONE,
    )

    # Told by phone that the desk waits for their papers: a reply by phone cannot be sent.
    with time_machine.travel(datetime(2025, 12, 10, 10, 30, tzinfo=UTC), tick=False):
        set_status(ticket=ticket, status=Status.WAITING_ON_CUSTOMER, actor=agent)
    ticket.refresh_from_db()

    assert ticket.resolution_due is None
    assert ticket.due_at == ticket.legal_deadline
    assert ticket.due_at.astimezone(ZoneInfo("Europe/Warsaw")).date().isoformat() == "2025-12-29"
    assert ticket.warn_at == ticket.legal_deadline - timedelta(days=3)


def test_a_deadline_across_the_spring_clock_change_counts_real_hours(team):
    TeamCalendarFactory(team=team, week=[[["00:00", "24:00"]]] * 7, country="")
    ServiceLevelPolicyFactory(first_response_minutes=3 * 60)

    # Lisbon springs forward from 01:00 to 02:00 on 29 March 2026: the night loses an hour.
    ticket = received_at(lisbon(2026, 3, 29, 0, 30), team=team)

    assert ticket.first_response_due == lisbon(2026, 3, 29, 4, 30)
