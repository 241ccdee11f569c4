"""The wait a customer is told: the unanswered queue ahead of them over the team's recent pace of
first answers per agent, times the agents available now."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import translation

from attenda.agents.models import AgentStatus
from attenda.channels.email.inbound import take_mail
from attenda.routing.waiting import describe_wait, estimate, expected_first_response
from attenda.tickets.models import EntryKind, Ticket
from attenda.tickets.services import assign, reply
from tests.agents.factories import AgentFactory
from tests.channels.email.mail import raw_mail
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def answered_earlier(team, agent, count: int, *, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        for number in range(count):
            ticket = received_ticket(team=team, email=f"answered{number}@example.com")
            assign(ticket=ticket, owner=agent, actor=agent)
            reply(ticket=ticket, agent=agent, body="Resolvido.")


def test_the_wait_is_the_queue_over_the_recent_pace_of_the_available_agents(team, agent, colleague):
    # 8 first answers by one agent in the 4-hour window: 2 per agent-hour; 2 agents available.
    answered_earlier(team, agent, 8, at=NOW - timedelta(hours=1))
    with time_machine.travel(NOW - timedelta(minutes=30), tick=False):
        for number in range(5):
            received_ticket(team=team, email=f"waiting{number}@example.com")

    with time_machine.travel(NOW, tick=False):
        found = estimate(team)

    # (5 ahead + 1) / (2 × 2) hours = 90 minutes.
    assert (found.ahead, found.answered, found.answerers, found.available) == (5, 8, 1, 2)
    assert found.wait == timedelta(minutes=90)


def test_a_ticket_counts_only_the_tickets_received_before_it(team, agent):
    answered_earlier(team, agent, 4, at=NOW - timedelta(hours=2))
    with time_machine.travel(NOW - timedelta(minutes=10), tick=False):
        received_ticket(team=team, email="first@example.com")
    with time_machine.travel(NOW, tick=False):
        mine = received_ticket(team=team, email="second@example.com")
        received = Ticket.objects.get(pk=mine.pk)

        # 1 per agent-hour, one agent, one ticket ahead: two hours.
        assert expected_first_response(team, ahead_of=received) == timedelta(hours=2)


def test_answers_older_than_the_window_and_away_agents_do_not_count(team, agent, colleague):
    answered_earlier(team, agent, 6, at=NOW - timedelta(hours=5))

    with time_machine.travel(NOW, tick=False):
        assert expected_first_response(team) is None

    answered_earlier(team, agent, 2, at=NOW - timedelta(hours=1))
    for person in (agent, colleague):
        person.status = AgentStatus.AWAY
        person.save()
    with time_machine.travel(NOW, tick=False):
        assert expected_first_response(team) is None


@pytest.mark.parametrize(
    ("wait", "language", "said"),
    [
        (timedelta(minutes=1), "en", "about 1 minute"),
        (timedelta(minutes=40, seconds=10), "en", "about 41 minutes"),
        (timedelta(minutes=90), "pt", "cerca de 2 horas"),
        (timedelta(hours=50), "pl", "około 3 dni"),
    ],
)
def test_customers_read_a_rounded_wait_in_their_language(wait, language, said):
    with translation.override(language):
        assert describe_wait(wait) == said


def test_the_acknowledgement_mail_tells_the_expected_wait(
    mailbox, team, agent, run_tasks, django_capture_on_commit_callbacks
):
    answered_earlier(team, agent, 4, at=NOW - timedelta(hours=2))

    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            take_mail(mailbox, raw_mail(), source="api")
        run_tasks()

    ticket = Ticket.objects.latest("pk")
    acknowledgement = ticket.timeline.get(kind=EntryKind.ACKNOWLEDGEMENT)
    assert "Contamos responder-lhe dentro de cerca de 1 hora." in acknowledgement.body


def test_without_a_basis_the_acknowledgement_promises_no_time(
    mailbox, team, run_tasks, django_capture_on_commit_callbacks
):
    AgentFactory(username="only", teams=[team])

    with django_capture_on_commit_callbacks(execute=True):
        take_mail(mailbox, raw_mail(), source="api")
    run_tasks()

    acknowledgement = Ticket.objects.get().timeline.get(kind=EntryKind.ACKNOWLEDGEMENT)
    assert "Responderemos assim que possível." in acknowledgement.body
