"""Replies leave through a real SMTP server; while it is down they wait, say so on the timeline, and
leave once it is back; a reply that never could leave says why."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import time_machine

from attenda.channels.email.inbound import take_mail
from attenda.channels.email.models import OutboundMail
from attenda.core.models import FailedTask
from attenda.tickets.models import Delivery
from attenda.tickets.services import reply
from tests.channels.email.mail import raw_mail

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def three_attempts(settings):
    settings.TASK_MAX_ATTEMPTS = 3
    settings.TASK_RETRY_BASE_SECONDS = 30


def test_a_reply_waits_while_the_mail_server_is_down_and_leaves_once_it_is_back(
    mailbox, agent, smtp_server, run_tasks, three_attempts, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False) as traveller:
        ticket = take_mail(mailbox, raw_mail(), source="api").mail.entry.ticket
        smtp_server.stop()
        with django_capture_on_commit_callbacks(execute=True):
            entry = reply(ticket=ticket, agent=agent, body="A fatura foi corrigida.")

        run_tasks()
        entry.refresh_from_db()
        assert entry.delivery == Delivery.QUEUED
        assert entry.delivery_note.startswith("Attempt 1 failed:")
        assert smtp_server.inbox.messages == []

        smtp_server.start()
        traveller.shift(timedelta(seconds=30))
        run_tasks()

    entry.refresh_from_db()
    assert entry.delivery == Delivery.SENT
    assert entry.delivery_note == ""
    assert OutboundMail.objects.get(entry=entry).attempts == 2
    _sender, recipients, sent = smtp_server.inbox.messages[0]
    assert recipients == ["maria@example.com"]
    assert (
        "A fatura foi corrigida."
        in message_from_bytes(sent, policy=policy.default).get_body(("plain",)).get_content()
    )


def test_a_reply_that_never_could_leave_says_why(
    mailbox, agent, smtp_server, run_tasks, three_attempts, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False) as traveller:
        ticket = take_mail(mailbox, raw_mail(), source="api").mail.entry.ticket
        smtp_server.stop()
        with django_capture_on_commit_callbacks(execute=True):
            entry = reply(ticket=ticket, agent=agent, body="A fatura foi corrigida.")
        for wait in (0, 30, 120):
            traveller.shift(timedelta(seconds=wait))
            run_tasks()

    entry.refresh_from_db()
    assert entry.delivery == Delivery.FAILED
    assert entry.delivery_note.startswith("The mail server did not take it:")
    assert FailedTask.objects.count() == 1


def test_a_reply_refused_for_good_shows_not_sent_at_once_with_the_servers_reason(
    mailbox, agent, smtp_server, run_tasks, django_capture_on_commit_callbacks
):
    ticket = take_mail(mailbox, raw_mail(), source="api").mail.entry.ticket
    run_tasks()  # the acknowledgement, queued with the mail
    smtp_server.inbox.recipient_answer = "550 5.1.1 <maria@example.com>: Recipient address rejected"
    with django_capture_on_commit_callbacks(execute=True):
        entry = reply(ticket=ticket, agent=agent, body="A fatura foi corrigida.")

    ran = run_tasks()

    entry.refresh_from_db()
    assert ran == 1
    assert entry.delivery == Delivery.FAILED
    assert entry.delivery_note == (
        "The mail server refused it for good: maria@example.com: 550 5.1.1 "
        "<maria@example.com>: Recipient address rejected"
    )
    assert OutboundMail.objects.get(entry=entry).attempts == 1
    assert FailedTask.objects.count() == 0
    assert smtp_server.inbox.messages == []


def test_a_reply_refused_for_now_is_tried_again(
    mailbox, agent, smtp_server, run_tasks, three_attempts, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False) as traveller:
        ticket = take_mail(mailbox, raw_mail(), source="api").mail.entry.ticket
        smtp_server.inbox.recipient_answer = "451 4.3.0 Try again later"
        with django_capture_on_commit_callbacks(execute=True):
            entry = reply(ticket=ticket, agent=agent, body="A fatura foi corrigida.")
        run_tasks()
        entry.refresh_from_db()
        assert entry.delivery == Delivery.QUEUED
        assert entry.delivery_note.startswith("Attempt 1 failed:")

        smtp_server.inbox.recipient_answer = None
        traveller.shift(timedelta(seconds=30))
        run_tasks()

    entry.refresh_from_db()
    assert entry.delivery == Delivery.SENT
    assert OutboundMail.objects.get(entry=entry).attempts == 2


def test_a_reply_is_sent_once_even_if_its_task_runs_again(
    mailbox, agent, smtp_server, run_tasks, django_capture_on_commit_callbacks
):
    from attenda.channels.email.outbound import send_outbound

    ticket = take_mail(mailbox, raw_mail(), source="api").mail.entry.ticket
    with django_capture_on_commit_callbacks(execute=True):
        entry = reply(ticket=ticket, agent=agent, body="Feito.")
    run_tasks()

    send_outbound(OutboundMail.objects.get(entry=entry).pk)

    assert len(smtp_server.inbox.messages) == 1


def test_a_reply_on_a_ticket_without_an_email_address_says_it_cannot_be_sent(agent, team):
    from tests.tickets.factories import received_ticket

    ticket = received_ticket(team=team, channel="email")
    entry = reply(ticket=ticket, agent=agent, body="Olá")

    entry.refresh_from_db()
    assert entry.delivery == Delivery.FAILED
    assert entry.delivery_note == "No mailbox to send from."
