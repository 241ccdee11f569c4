"""The escalation sweep acts on each warning and breach once, at its moment: the owner is warned,
then the policy's escalation runs (supervisors told, priority raised, ticket reassigned); before a
legal deadline supervisors are told, and once it passes the ticket shows the consequence."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from attenda.core.models import AuditEntry
from attenda.core.periodic import SCHEDULE, enqueue_due
from attenda.routing.services import sweep
from attenda.tickets.models import Channel, EntryKind, Kind, Priority
from attenda.tickets.services import assign, reply
from tests.customers.factories import CustomerFactory, IdentityFactory
from tests.routing.factories import ServiceLevelPolicyFactory, TeamCalendarFactory
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db

LISBON = ZoneInfo("Europe/Lisbon")
WARSAW = ZoneInfo("Europe/Warsaw")


def lisbon(*args) -> datetime:
    return datetime(*args, tzinfo=LISBON)


def escalations(ticket) -> list[dict]:
    return [
        entry.data["escalation"]
        for entry in ticket.timeline.filter(kind=EntryKind.EVENT).order_by("id")
        if "escalation" in entry.data
    ]


@pytest.fixture
def sweep_at(django_capture_on_commit_callbacks):
    """Sweeps at a moment; the notifications it queues on commit are queued."""

    def at(moment: datetime) -> int:
        with (
            time_machine.travel(moment, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return sweep()

    return at


@pytest.fixture
def friday_ticket(team, agent, supervisor):
    """Received on Friday 6 March 2026 at 16:00 in Lisbon; first response due Monday 11:00, the
    warning at 10:00 (75 % of four business hours)."""
    TeamCalendarFactory(team=team)
    ServiceLevelPolicyFactory(
        first_response_minutes=4 * 60,
        resolution_minutes=None,
        raise_priority=True,
        reassign="team_queue",
    )
    with time_machine.travel(lisbon(2026, 3, 6, 16, 0), tick=False):
        ticket = received_ticket(team=team)
        assign(ticket=ticket, owner=agent, actor=agent)
    return ticket


def test_nothing_fires_over_the_weekend(friday_ticket, sweep_at):
    assert sweep_at(lisbon(2026, 3, 9, 9, 59)) == 0
    assert escalations(friday_ticket) == []


def test_the_owner_is_warned_once_at_the_set_share(friday_ticket, agent, run_tasks, sweep_at):
    assert sweep_at(lisbon(2026, 3, 9, 10, 0)) == 1
    assert sweep_at(lisbon(2026, 3, 9, 10, 30)) == 0
    run_tasks()

    assert [(e["target"], e["event"]) for e in escalations(friday_ticket)] == [
        ("first_response", "warning")
    ]
    assert [message.to for message in mail.outbox] == [[agent.email]]
    assert "Most of the time for the first response is used." in mail.outbox[0].body


def test_on_breach_the_policy_escalates_once(friday_ticket, agent, supervisor, run_tasks, sweep_at):
    sweep_at(lisbon(2026, 3, 9, 10, 0))

    assert sweep_at(lisbon(2026, 3, 9, 11, 0)) == 1
    assert sweep_at(lisbon(2026, 3, 9, 12, 0)) == 0
    run_tasks()

    friday_ticket.refresh_from_db()
    assert friday_ticket.priority == Priority.HIGH
    assert friday_ticket.owner is None
    assert (friday_ticket.warn_at, friday_ticket.escalate_at) == (None, None)
    assert friday_ticket.due_at == lisbon(2026, 3, 9, 11, 0)
    breach = escalations(friday_ticket)[-1]
    assert breach["event"] == "breach"
    assert breach["priority"] == {"from": 2, "to": 3}
    assert breach["owner"] == {"from": agent.pk, "to": None}
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [agent.email, agent.email, supervisor.email]
    )
    assert AuditEntry.objects.filter(action="ticket.escalated").count() == 2


def test_a_sweep_that_was_late_fires_only_the_breach(friday_ticket, sweep_at):
    sweep_at(lisbon(2026, 3, 10, 9, 0))

    assert [e["event"] for e in escalations(friday_ticket)] == ["breach"]


def test_an_answer_in_time_leaves_nothing_to_escalate(friday_ticket, agent, sweep_at):
    with time_machine.travel(lisbon(2026, 3, 9, 9, 30), tick=False):
        reply(ticket=friday_ticket, agent=agent, body="Já vimos.")

    assert sweep_at(lisbon(2026, 3, 10, 9, 0)) == 0
    assert escalations(friday_ticket) == []


def test_the_sweep_is_scheduled_every_minute_on_the_task_queue(run_tasks, friday_ticket):
    next_runs: dict = {}
    with time_machine.travel(lisbon(2026, 3, 9, 11, 0), tick=False):
        assert enqueue_due(next_runs, now=lisbon(2026, 3, 9, 11, 0)) == list(SCHEDULE)
        # Half a minute on, only the search indexer, the reading of waiting chat lines and mail
        # and the requeue of dead workers' tasks (every 10 seconds) are due again, not the sweep.
        assert enqueue_due(next_runs, now=lisbon(2026, 3, 9, 11, 0, 30)) == [
            "attenda.tickets.tasks.index_pending_text",
            "attenda.tickets.tasks.read_waiting_arrivals",
            "attenda.channels.email.tasks.read_waiting_mail",
            "attenda.core.workers.requeue_abandoned",
        ]
        assert run_tasks() >= 1

    assert [e["event"] for e in escalations(friday_ticket)] == ["breach"]


def polish_complaint(team, *, channel=Channel.EMAIL):
    customer = CustomerFactory(country="PL", language="pl")
    IdentityFactory(customer=customer)  # the address an answer in writing goes to
    with time_machine.travel(datetime(2025, 12, 10, 10, tzinfo=UTC), tick=False):
        return received_ticket(
            team=team, customer_id=customer.pk, kind=Kind.COMPLAINT, channel=channel
        )


def test_supervisors_are_told_three_days_before_a_polish_legal_deadline(
    team, supervisor, run_tasks, sweep_at
):
    ticket = polish_complaint(team)

    assert sweep_at(datetime(2025, 12, 26, 22, 59, tzinfo=UTC)) == 0
    assert sweep_at(datetime(2025, 12, 26, 23, 0, tzinfo=UTC)) == 1
    run_tasks()

    assert escalations(ticket)[0]["target"] == "legal"
    assert [message.to for message in mail.outbox] == [[supervisor.email]]


def test_a_polish_complaint_unanswered_by_its_deadline_is_deemed_accepted(
    team, supervisor, sweep_at
):
    ticket = polish_complaint(team)
    end = datetime(2025, 12, 29, 23, 59, 59, 999999, tzinfo=WARSAW)

    sweep_at(end - timedelta(seconds=1))
    ticket.refresh_from_db()
    assert not ticket.deemed_accepted

    sweep_at(end + timedelta(seconds=1))
    ticket.refresh_from_db()
    assert ticket.deemed_accepted
    assert ticket.legal_missed_at == end
    assert ticket.priority == Priority.URGENT
    breach = escalations(ticket)[-1]
    assert breach["follow_up"] is True
    assert breach["consequence"] == "deemed_accepted"


def test_an_answer_by_phone_does_not_meet_the_polish_deadline_but_one_by_email_does(
    team, agent, sweep_at
):
    by_phone = polish_complaint(team, channel=Channel.PHONE)
    by_email = polish_complaint(team)
    with time_machine.travel(datetime(2025, 12, 11, 10, tzinfo=UTC), tick=False):
        reply(ticket=by_phone, agent=agent, body="Rozmawialiśmy przez telefon.")
        reply(ticket=by_email, agent=agent, body="Uznajemy reklamację.")

    sweep_at(datetime(2025, 12, 30, 12, tzinfo=UTC))

    by_phone.refresh_from_db()
    by_email.refresh_from_db()
    assert by_phone.deemed_accepted
    assert not by_email.deemed_accepted
    assert escalations(by_email) == []


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Across the autumn clock change (Sunday 25 October 2026).
        (lisbon(2026, 10, 23, 16, 0), lisbon(2026, 10, 26, 11, 0)),
        # Across a month end, and All Saints' Day on the Sunday.
        (lisbon(2026, 10, 30, 16, 0), lisbon(2026, 11, 2, 11, 0)),
        # Across Christmas: 25 December 2026 is a Friday.
        (lisbon(2026, 12, 24, 17, 0), lisbon(2026, 12, 28, 12, 0)),
    ],
)
def test_a_breach_fires_at_its_business_hour_and_not_a_minute_before(
    team, supervisor, received, due, sweep_at
):
    TeamCalendarFactory(team=team)
    ServiceLevelPolicyFactory(first_response_minutes=4 * 60, resolution_minutes=None)
    with time_machine.travel(received, tick=False):
        ticket = received_ticket(team=team)

    sweep_at(due - timedelta(minutes=1))
    assert [e["event"] for e in escalations(ticket)] == ["warning"]

    sweep_at(due)
    sweep_at(due + timedelta(hours=5))
    assert [e["event"] for e in escalations(ticket)] == ["warning", "breach"]
