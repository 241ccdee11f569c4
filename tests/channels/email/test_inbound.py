"""Mail into tickets through take_mail(): kept whole, threaded, acknowledged once, never twice."""

import math
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from django.db import connection
from django_tasks_db.models import DBTaskResult

from attenda.channels.email import inbound
from attenda.channels.email.addresses import reply_address
from attenda.channels.email.inbound import FLOOD_LIMIT, take_mail
from attenda.channels.email.models import InboundMail, MailState, OutboundMail, SetAsideReason
from attenda.channels.email.outbound import ACKNOWLEDGEMENTS_PER_ADDRESS, acknowledge_later
from attenda.channels.email.tasks import read_waiting_mail
from attenda.core.periodic import SCHEDULE
from attenda.core.tasks import run_with_retries
from attenda.customers.models import Identity
from attenda.tickets import search, services, turns
from attenda.tickets.models import Blob, Delivery, EntryKind, Kind, Participant, Status, Ticket
from attenda.tickets.services import confirm_copies, reply, set_status
from tests.channels.email.mail import raw_mail, real_mail
from tests.customers.factories import CustomerFactory, IdentityFactory

pytestmark = pytest.mark.django_db

READ_WAITING_MAIL = "attenda.channels.email.tasks.read_waiting_mail"
# Reading three waiting reports about an unknown address in one batch, and each more one.
READ_THREE_REPORTS = 17
REPORT_WRITTEN = 4  # its savepoint, UPDATE, report's lookup, release


def test_a_new_mail_opens_a_ticket_in_the_mailbox_team_and_is_acknowledged(
    mailbox, smtp_server, run_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        taken = take_mail(mailbox, raw_mail(), source="api")
    assert not Ticket.objects.get().timeline.filter(kind=EntryKind.ACKNOWLEDGEMENT).exists()
    with django_capture_on_commit_callbacks(execute=True):
        run_tasks()  # the acknowledgement, written by the worker once the mail is taken

    ticket = Ticket.objects.get()
    assert taken.mail.state == MailState.TAKEN
    assert taken.mail.entry.ticket == ticket
    assert ticket.team == mailbox.team
    assert ticket.subject == "A minha fatura está errada"
    assert ticket.customer.name == "Maria Santos"
    assert taken.mail.entry.body.startswith("Bom dia,")
    assert taken.mail.raw.size > 0
    acknowledgement = ticket.timeline.get(kind=EntryKind.ACKNOWLEDGEMENT)
    assert f"#{ticket.number}" in acknowledgement.body
    assert "Recebemos a sua mensagem" in acknowledgement.body  # the mailbox's language, pt
    run_tasks()
    acknowledgement.refresh_from_db()
    assert acknowledgement.delivery == Delivery.SENT
    sender, recipients, sent = smtp_server.inbox.messages[0]
    assert recipients == ["maria@example.com"]
    assert b"Auto-Submitted: auto-replied" in sent
    assert f"[#{ticket.number}]".encode() in sent


def test_the_same_message_twice_is_taken_once(mailbox):
    raw = raw_mail(message_id="<once@example.com>")

    first = take_mail(mailbox, raw, source="imap")
    second = take_mail(mailbox, raw, source="smtp")

    assert not first.duplicate
    assert second.duplicate
    assert second.mail == first.mail
    assert Ticket.objects.count() == 1
    assert InboundMail.objects.count() == 1


def test_a_reply_threads_by_its_references_and_by_a_signed_reply_address(mailbox, agent):
    first = take_mail(mailbox, raw_mail(message_id="<m1@example.com>"), source="api")
    ticket = first.mail.entry.ticket
    by_references = raw_mail(
        subject="Re: A minha fatura está errada",
        message_id="<m2@example.com>",
        headers={"In-Reply-To": "<m1@example.com>", "References": "<m1@example.com>"},
    )
    by_address = raw_mail(
        subject="another subject altogether",
        to=reply_address(mailbox.address, ticket.number),
        message_id="<m3@example.com>",
    )

    take_mail(mailbox, by_references, source="api")
    take_mail(mailbox, by_address, source="api")

    assert Ticket.objects.count() == 1
    assert ticket.timeline.filter(kind=EntryKind.MESSAGE).count() == 3


def test_a_forged_reply_address_or_a_strangers_quoted_number_opens_no_door(mailbox):
    ticket = take_mail(mailbox, raw_mail(), source="api").mail.entry.ticket
    forged = reply_address(mailbox.address, ticket.number).replace("+", "+9")
    stranger = raw_mail(
        sender="Eve <eve@evil.example>",
        subject=f"Re: [#{ticket.number}] give me the thread",
        to=forged,
    )

    take_mail(mailbox, stranger, source="api")

    assert Ticket.objects.count() == 2
    assert not ticket.timeline.filter(author_customer__name="Eve").exists()


def test_the_quoted_history_folds_away_and_is_kept(mailbox):
    raw = raw_mail(
        body=(
            "Já paguei, obrigado.\n\n"
            "Em 3 de novembro de 2026, Attenda Support <support@attenda.test> escreveu:\n"
            "> Pode confirmar o pagamento?\n"
        )
    )

    entry = take_mail(mailbox, raw, source="api").mail.entry

    assert entry.body == "Já paguei, obrigado."
    assert "Pode confirmar o pagamento?" in entry.data["quoted"]


def test_our_own_mail_coming_back_is_not_acknowledged(
    mailbox, run_tasks, django_capture_on_commit_callbacks
):
    raw = raw_mail(headers={"X-Loop": mailbox.address}, subject="Re: Ticket #1")

    with django_capture_on_commit_callbacks(execute=True):
        entry = take_mail(mailbox, raw, source="api").mail.entry
    run_tasks()

    assert entry.data["automatic"] == "x-loop"
    assert not entry.ticket.timeline.filter(kind=EntryKind.ACKNOWLEDGEMENT).exists()


def test_automatic_mail_is_not_acknowledged(mailbox, run_tasks, django_capture_on_commit_callbacks):
    raw = raw_mail(headers={"Auto-Submitted": "auto-replied"}, subject="Out of office")

    with django_capture_on_commit_callbacks(execute=True):
        entry = take_mail(mailbox, raw, source="api").mail.entry
    run_tasks()

    assert entry.data["automatic"] == "auto-submitted"
    assert not entry.ticket.timeline.filter(kind=EntryKind.ACKNOWLEDGEMENT).exists()


def test_a_sender_flooding_the_mailbox_is_held_without_losing_mail(mailbox):
    for number in range(FLOOD_LIMIT + 3):
        take_mail(mailbox, raw_mail(subject=f"Message {number}"), source="api")

    held = InboundMail.objects.filter(state=MailState.HELD)
    assert held.count() == 3
    assert all(mail.raw.size > 0 for mail in held)
    assert InboundMail.objects.count() == FLOOD_LIMIT + 3
    assert Ticket.objects.count() == FLOOD_LIMIT


def test_copied_people_an_agent_confirms_are_copied_on_replies(
    mailbox, agent, smtp_server, run_tasks, django_capture_on_commit_callbacks, settings
):
    settings.MAIL_AUTHSERV_ID = "mx.attenda.test"
    raw = raw_mail(
        headers={
            "Cc": "João Santos <joao@example.com>, support@attenda.test",
            "Authentication-Results": "mx.attenda.test; dmarc=pass header.from=example.com",
        }
    )
    ticket = take_mail(mailbox, raw, source="api").mail.entry.ticket
    proposal = ticket.timeline.get(data__has_key="proposed_copies")
    confirm_copies(
        ticket=ticket, agent=agent, proposal_id=proposal.pk, addresses=["joao@example.com"]
    )

    with django_capture_on_commit_callbacks(execute=True):
        entry = reply(ticket=ticket, agent=agent, body="Já corrigimos a fatura.")
    run_tasks()

    assert list(Participant.objects.values_list("address", flat=True)) == ["joao@example.com"]
    entry.refresh_from_db()
    assert entry.delivery == Delivery.SENT
    _sender, recipients, sent = smtp_server.inbox.messages[-1]
    assert sorted(recipients) == ["joao@example.com", "maria@example.com"]
    message = message_from_bytes(sent, policy=policy.default)
    assert message["In-Reply-To"] == f"<{ticket.timeline.first().external_id}>"
    assert message["From"].addresses[0].display_name == "Ana Silva (Attenda Support)"
    assert message["From"].addresses[0].addr_spec == "support@attenda.test"
    assert message["Reply-To"] == reply_address(mailbox.address, ticket.number)


def test_a_participants_reply_threads_into_the_ticket(mailbox, agent, settings):
    settings.MAIL_AUTHSERV_ID = "mx.attenda.test"
    raw = raw_mail(
        headers={
            "Cc": "joao@example.com",
            "Authentication-Results": "mx.attenda.test; dmarc=pass header.from=example.com",
        },
        message_id="<first@example.com>",
    )
    ticket = take_mail(mailbox, raw, source="api").mail.entry.ticket
    proposal = ticket.timeline.get(data__has_key="proposed_copies")
    confirm_copies(
        ticket=ticket, agent=agent, proposal_id=proposal.pk, addresses=["joao@example.com"]
    )
    answer = raw_mail(
        sender="João <joao@example.com>",
        headers={"In-Reply-To": "<first@example.com>"},
        subject="Re: A minha fatura está errada",
    )

    take_mail(mailbox, answer, source="api")

    assert Ticket.objects.count() == 1
    assert ticket.timeline.filter(kind=EntryKind.MESSAGE).count() == 2


def test_an_unverified_reply_cannot_add_people_to_a_ticket(mailbox):
    ticket = take_mail(mailbox, raw_mail(message_id="<a@example.com>"), source="api")
    forged = raw_mail(
        headers={"Cc": "attacker@evil.example", "In-Reply-To": "<a@example.com>"},
        subject="Re: A minha fatura está errada",
    )

    take_mail(mailbox, forged, source="api")

    assert not Participant.objects.exists()
    assert ticket.mail.entry.ticket.timeline.filter(body__contains="attacker@evil.example").exists()


def test_a_hard_bounce_marks_the_reply_and_the_address(mailbox, agent, client):
    ticket = take_mail(mailbox, raw_mail(), source="api").mail.entry.ticket
    entry = reply(ticket=ticket, agent=agent, body="Já corrigimos a fatura.")
    outbound = OutboundMail.objects.get(entry=entry)
    bounce = (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: support@attenda.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce1@mx.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        "Final-Recipient: rfc822; maria@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{outbound.message_id}>\r\nTo: maria@example.com\r\n"
        "--b--\r\n"
    ).encode()

    taken = take_mail(mailbox, bounce, source="api")
    read_waiting_mail()

    taken.mail.refresh_from_db()
    assert taken.mail.state == MailState.BOUNCE
    entry.refresh_from_db()
    assert entry.delivery == Delivery.BOUNCED
    identity = Identity.objects.get(value="maria@example.com")
    assert identity.undeliverable_since is not None
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert (
        'maria@example.com <span class="badge warning" title="5.1.1 userunknown">Mail to it bounces</span>'
        in page
    )
    assert ticket.timeline.filter(kind=EntryKind.EVENT, body__contains="bounced for good").exists()
    assert Ticket.objects.count() == 1


def test_unreadable_mail_still_reaches_a_person_with_its_source(mailbox):
    taken = take_mail(mailbox, b"\x00\xff garbage without any header \xfe", source="api")
    read_waiting_mail()

    taken.mail.refresh_from_db()
    entry = taken.mail.entry
    assert entry.ticket.customer.identities.get().value == "unknown-sender@attenda.invalid"
    assert entry.raw.size > 0


def test_a_message_is_kept_once_for_its_mail_and_its_timeline_entry(mailbox):
    taken = take_mail(mailbox, raw_mail(message_id="<once@example.com>"), source="api")

    assert taken.mail.entry.raw_id == taken.mail.raw_id
    assert Blob.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_message_s_bytes_are_written_to_their_file_before_its_transaction(mailbox, monkeypatch):
    # On SQLite every other writer waits for the transaction that takes a message.
    writes_in_transaction = []
    write_file = services._write_blob_file

    def recording(digest, content):
        writes_in_transaction.append(connection.in_atomic_block)
        return write_file(digest, content)

    monkeypatch.setattr(services, "_write_blob_file", recording)

    raw = raw_mail(message_id="<ahead@example.com>")

    taken = take_mail(mailbox, raw, source="api")

    assert writes_in_transaction == [False]
    assert taken.mail.raw.content.read() == raw


def test_mail_to_a_closed_ticket_opens_a_new_one(mailbox, agent):
    ticket = take_mail(mailbox, raw_mail(message_id="<c1@example.com>"), source="api")
    ticket = ticket.mail.entry.ticket
    set_status(ticket=ticket, status=Status.CLOSED, actor=agent)

    take_mail(mailbox, raw_mail(headers={"In-Reply-To": "<c1@example.com>"}), source="api")

    assert Ticket.objects.count() == 2


def test_mail_that_fails_to_be_handled_is_kept_in_the_unprocessable_store(mailbox, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("a bug in Attenda")

    monkeypatch.setattr("attenda.channels.email.inbound.ticket_entry", fail)
    raw = raw_mail()

    taken = take_mail(mailbox, raw, source="imap")

    assert taken.mail.state == MailState.UNPROCESSABLE
    assert taken.mail.set_aside_reason == SetAsideReason.FAILED
    assert "a bug in Attenda" in taken.mail.problems[0]
    assert taken.mail.raw.content.read() == raw
    assert not Ticket.objects.exists()


def test_mail_that_looks_like_a_report_waits_for_the_worker_then_reaches_its_ticket(
    mailbox, run_tasks
):
    raw = raw_mail(subject="Problem: the delivery of my router failed")

    taken = take_mail(mailbox, raw, source="smtp", envelope_recipients=["support@attenda.test"])

    assert taken.mail.state == MailState.READING
    assert taken.mail.entry is None
    assert taken.mail.raw.content.read() == raw
    read_waiting_mail()
    run_tasks()
    taken.mail.refresh_from_db()
    assert taken.mail.state == MailState.TAKEN
    ticket = taken.mail.entry.ticket
    assert ticket.subject == "Problem: the delivery of my router failed"
    assert ticket.timeline.filter(kind=EntryKind.ACKNOWLEDGEMENT).count() == 1


def _with_photo(raw: bytes, size: int) -> bytes:
    """``raw`` with a photo of ``size`` bytes attached, as a customer's program sends one."""
    message = message_from_bytes(raw, policy=policy.default)
    photo = bytes(range(256)) * (size // 256)
    message.add_attachment(photo, maintype="image", subtype="jpeg", filename="contador.jpg")
    return message.as_bytes()


def test_a_large_customer_mail_is_read_by_the_worker_then_reaches_its_ticket_with_its_photo(
    mailbox, run_tasks
):
    raw = _with_photo(raw_mail(message_id="<photo@example.com>"), 300_000)

    taken = take_mail(mailbox, raw, source="smtp", envelope_recipients=["support@attenda.test"])

    assert taken.mail.state == MailState.READING
    assert taken.mail.entry is None
    assert taken.mail.sender == "maria@example.com"
    assert taken.mail.subject == "A minha fatura está errada"
    assert taken.mail.raw.content.read() == raw
    read_waiting_mail()
    run_tasks()
    taken.mail.refresh_from_db()
    assert taken.mail.state == MailState.TAKEN
    assert taken.mail.envelope_recipients == ["support@attenda.test"]
    entry = taken.mail.entry
    assert entry.body.startswith("Bom dia,")
    photo = entry.attachments.get()
    assert (photo.filename, photo.content_type) == ("contador.jpg", "image/jpeg")
    assert photo.blob.size == 300_000 // 256 * 256
    assert entry.ticket.timeline.filter(kind=EntryKind.ACKNOWLEDGEMENT).count() == 1
    # Delivered again (by IMAP too, with a trace header of its own), it is the same message.
    again = take_mail(mailbox, b"Received: from mx2.example.com\n" + raw, source="imap")
    assert again.duplicate
    assert again.mail == taken.mail


def test_a_small_customer_mail_is_still_read_as_it_is_taken(mailbox):
    raw = raw_mail()

    taken = take_mail(mailbox, raw, source="smtp")

    assert not inbound.costly_to_read(raw)
    assert taken.mail.state == MailState.TAKEN
    assert taken.mail.entry.ticket.subject == "A minha fatura está errada"


def test_a_mail_is_read_before_the_transaction_that_writes_it(mailbox, monkeypatch):
    """Its reply apart from the quoted text, why it is automatic and its sender's authentication are
    read before the transaction, as it is taken and as the worker reads it: on SQLite the write
    lock is held from the transaction's start, and a long mail's reply alone held it 8 ms."""
    outside = len(connection.atomic_blocks)
    depths = []
    split_reply = inbound.split_reply

    def recording(text, **kwargs):
        depths.append(len(connection.atomic_blocks))
        return split_reply(text, **kwargs)

    monkeypatch.setattr(inbound, "split_reply", recording)
    taken = take_mail(mailbox, raw_mail(), source="smtp")
    costly = raw_mail(message_id="<long@example.com>")
    kept = take_mail(mailbox, costly + b"a" * inbound.COSTLY_BYTES, source="smtp")
    assert kept.mail.state == MailState.READING
    read_waiting_mail()

    assert taken.mail.state == MailState.TAKEN
    assert InboundMail.objects.get(pk=kept.mail.pk).state == MailState.TAKEN
    assert depths == [outside, outside]


def _padded_to_size(limit: int) -> bytes:
    raw = raw_mail()
    return raw + b"a" * (limit - len(raw))


def _padded_head(limit: int) -> bytes:
    head, blank, body = raw_mail().partition(b"\n\n")
    padding = b"\nX-Relay: " + b"x" * (limit - len(head) - len(b"\nX-Relay: "))
    return head + padding + blank + body


def _padded_with_tags(limit: int) -> bytes:
    raw = raw_mail()
    return raw + b"<" * (limit - raw.count(b"<"))


@pytest.mark.parametrize(
    ("padded", "limit"),
    [
        (_padded_to_size, inbound.COSTLY_BYTES),
        (_padded_head, inbound.COSTLY_HEADER_BYTES),
        (_padded_with_tags, inbound.COSTLY_TAGS),
    ],
)
def test_mail_just_over_a_costly_limit_waits_for_the_worker_and_mail_at_it_is_read_at_once(
    mailbox, padded, limit
):
    at_limit, over_limit = padded(limit), padded(limit + 1)

    kept = take_mail(mailbox, over_limit, source="smtp").mail
    read = take_mail(mailbox, at_limit, source="smtp").mail

    assert not inbound.costly_to_read(at_limit)
    assert inbound.costly_to_read(over_limit)
    assert read.state == MailState.TAKEN
    assert kept.state == MailState.READING
    read_waiting_mail()
    kept.refresh_from_db()
    assert kept.state == MailState.TAKEN


def test_a_costly_mail_reusing_a_message_id_is_read_at_once_and_says_so(mailbox):
    take_mail(mailbox, raw_mail(message_id="<reused@example.com>"), source="smtp")
    raw = _with_photo(raw_mail(message_id="<reused@example.com>", body="Outra fatura."), 300_000)

    taken = take_mail(mailbox, raw, source="smtp")

    assert taken.mail.state == MailState.TAKEN
    assert "its Message-ID was taken already" in taken.mail.problems[-1]
    assert taken.mail.entry.attachments.count() == 1


def test_a_report_whose_queued_reading_was_lost_is_read_by_the_scheduled_run(mailbox, run_tasks):
    """The mail waits in its own state, committed with it: a process that stopped before its
    reading was queued, or a worker killed while reading, loses nothing."""
    raw = (
        b"From: MAILER-DAEMON@mx.example.com\r\nTo: support@attenda.test\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <lost@mx.example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"--b--\r\n"
    )
    taken = take_mail(mailbox, raw, source="smtp")
    DBTaskResult.objects.all().delete()

    run_with_retries.enqueue(READ_WAITING_MAIL, [], {}, 1)
    run_tasks()

    assert SCHEDULE[READ_WAITING_MAIL] <= timedelta(seconds=10)
    taken.mail.refresh_from_db()
    assert taken.mail.state == MailState.BOUNCE
    assert not Ticket.objects.exists()


def test_mail_the_worker_fails_to_read_is_kept_in_the_unprocessable_store(mailbox, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("a bug in Attenda")

    monkeypatch.setattr("attenda.channels.email.inbound.read_bounce", fail)
    raw = raw_mail(sender="MAILER-DAEMON@mx.example.com", subject="Delivery failure")
    taken = take_mail(mailbox, raw, source="imap")

    read_waiting_mail()

    taken.mail.refresh_from_db()
    assert taken.mail.state == MailState.UNPROCESSABLE
    assert taken.mail.set_aside_reason == SetAsideReason.FAILED
    assert "a bug in Attenda" in taken.mail.problems[-1]
    assert taken.mail.raw.content.read() == raw


def test_kept_mail_that_moved_on_while_the_worker_read_it_is_left_as_it_is(mailbox, monkeypatch):
    """Another worker, or a person, took the mail between the worker's reading of it and its turn
    at the write lock: the worker writes nothing over it."""
    moved = take_mail(mailbox, _report_about("gone@example.com", 1), source="smtp").mail
    kept = take_mail(mailbox, _report_about("away@example.com", 2), source="smtp").mail
    read_kept = inbound._read_kept

    def read_then_moved_on(mail, **kwargs):
        reading = read_kept(mail, **kwargs)
        InboundMail.objects.filter(pk=moved.pk).update(state=MailState.UNPROCESSABLE)
        return reading

    monkeypatch.setattr(inbound, "_read_kept", read_then_moved_on)

    read_waiting_mail()

    moved.refresh_from_db()
    kept.refresh_from_db()
    assert (moved.state, kept.state) == (MailState.UNPROCESSABLE, MailState.BOUNCE)


def _report_about(address: str, number: int) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: support@attenda.test\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <r{number}@mx.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b--\r\n"
    ).encode()


def test_a_waiting_report_of_returned_mail_is_read_from_its_head_and_the_report(
    mailbox, monkeypatch
):
    """Its row needs only what the head says: the whole message is not parsed a second time."""
    raw = _report_about("gone@example.com", 1).replace(
        b"From: MAILER-DAEMON@mx.example.com\r\n", b""
    )
    taken = take_mail(mailbox, raw, source="smtp")
    assert taken.mail.state == MailState.READING

    def parse_whole(raw):
        raise AssertionError("parsed whole")

    monkeypatch.setattr(inbound, "parse_message", parse_whole)
    read_waiting_mail()

    taken.mail.refresh_from_db()
    assert taken.mail.state == MailState.BOUNCE
    assert taken.mail.subject == "Undelivered Mail Returned to Sender"
    assert taken.mail.problems == ["the message has no readable From address"]


def test_waiting_mail_is_read_in_batches_of_one_transaction_each(
    mailbox, django_assert_num_queries, monkeypatch
):
    """Reading and writing ten more waiting reports costs each one's own statements only: the
    batch's SELECT of the waiting mail, its transaction and its check of their states are shared."""
    monkeypatch.setattr(turns, "TURN_SECONDS", 60)  # however slow the machine
    for number in range(3):
        take_mail(mailbox, _report_about("gone@example.com", number), source="smtp")
    with django_assert_num_queries(READ_THREE_REPORTS):
        inbound.read_waiting(seconds=60)
    for number in range(3, 13):
        take_mail(mailbox, _report_about("gone@example.com", number), source="smtp")

    with django_assert_num_queries(READ_THREE_REPORTS + 7 * REPORT_WRITTEN):
        inbound.read_waiting(seconds=60)

    assert set(InboundMail.objects.values_list("state", flat=True)) == {MailState.BOUNCE}


def test_a_batch_interrupted_leaves_its_mail_waiting_to_be_read_once_later(
    mailbox, run_tasks, monkeypatch
):
    """A worker stopped in the middle of a batch's transaction has written none of it: its mails
    still wait, and the next reading puts each on one ticket of its own, acknowledged once."""
    monkeypatch.setattr(turns, "TURN_SECONDS", 60)  # all three in one transaction
    for number in range(3):
        raw = raw_mail(
            subject="Problem: the delivery failed", message_id=f"<cut{number}@example.com>"
        )
        take_mail(mailbox, raw, source="smtp")
    tickets_made = []

    def stop_at_the_second_ticket(execute, sql, params, many, context):
        if sql.startswith(f'INSERT INTO "{Ticket._meta.db_table}"'):
            tickets_made.append(sql)
            if len(tickets_made) == 2:
                raise SystemExit("the worker was stopped")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(stop_at_the_second_ticket), pytest.raises(SystemExit):
        read_waiting_mail()

    assert set(InboundMail.objects.values_list("state", flat=True)) == {MailState.READING}
    assert not Ticket.objects.exists()
    read_waiting_mail()
    run_tasks()
    assert set(InboundMail.objects.values_list("state", flat=True)) == {MailState.TAKEN}
    assert Ticket.objects.count() == 3
    for ticket in Ticket.objects.all():
        assert ticket.timeline.filter(kind=EntryKind.MESSAGE).count() == 1
        assert ticket.timeline.filter(kind=EntryKind.ACKNOWLEDGEMENT).count() == 1


MAIL001 = ("zammad", "test-data-mail", "mail001.box")
MAIL002 = ("zammad", "test-data-mail", "mail002.box")


def test_a_different_message_reusing_a_taken_message_id_is_taken_as_new_mail(mailbox):
    first = take_mail(mailbox, real_mail(*MAIL001), source="imap").mail
    taken_id = first.message_id
    other = real_mail(*MAIL002, headers={b"Message-Id": f"<{taken_id}>".encode()})

    second = take_mail(mailbox, other, source="imap")

    assert not second.duplicate
    assert second.mail != first
    entry = second.mail.entry
    assert entry.author_customer.identities.get().value == "martin@example.com"
    assert entry.ticket.subject == "aaäöüßad asd"
    assert "Message-ID" in entry.ticket.timeline.filter(kind=EntryKind.EVENT).last().body
    assert any("taken already by another message" in problem for problem in second.mail.problems)
    # Delivered again, the second message is recognised as itself.
    assert take_mail(mailbox, other, source="smtp").mail == second.mail
    assert InboundMail.objects.count() == 2


def test_a_true_repeat_under_the_same_message_id_changes_nothing(mailbox):
    raw = real_mail(*MAIL001)
    first = take_mail(mailbox, raw, source="imap").mail
    # The same message as another way in delivered it: a trace header more, CRLF line ends.
    redelivered = b"Received: from mx2.example.com by attenda.test\r\n" + raw.replace(
        b"\n", b"\r\n"
    )

    same_bytes = take_mail(mailbox, raw, source="smtp")
    same_content = take_mail(mailbox, redelivered, source="smtp")

    assert same_bytes.duplicate and same_bytes.mail == first
    assert same_content.duplicate and same_content.mail == first
    assert InboundMail.objects.count() == 1
    assert Ticket.objects.get().timeline.filter(kind=EntryKind.MESSAGE).count() == 1


@pytest.mark.parametrize(
    ("path", "sender", "identity"),
    [
        (MAIL001, b"Jan Kowalski <jan.kowalski@firma_intern.pl>", "jan.kowalski@firma_intern.pl"),
        (MAIL001, "José Silva <josé@example.pt>".encode(), "josé@example.pt"),
        (
            ("ruby-mail-gem", "spec", "fixtures", "emails", "rfc6532", "utf8_headers.eml"),
            None,
            "jdöe@mächine.example",
        ),
    ],
)
def test_a_real_address_strict_validation_refuses_is_the_customers_identity(
    mailbox, path, sender, identity
):
    headers = {b"From": sender} if sender else {}
    first = take_mail(mailbox, real_mail(*path, headers=headers), source="imap").mail
    ticket = first.entry.ticket
    answer = real_mail(
        *MAIL002,
        headers={
            **({b"From": sender} if sender else {b"From": "<jdöe@mächine.example>".encode()}),
            b"In-Reply-To": f"<{first.message_id}>".encode(),
        },
    )

    second = take_mail(mailbox, answer, source="imap").mail

    assert ticket.customer.identities.get().value == identity
    assert second.entry.ticket == ticket
    assert Ticket.objects.count() == 1


def test_control_characters_of_malformed_encoded_words_reach_no_subject_or_name(mailbox):
    # ISO-2022-JP labelled us-ascii, as some Japanese mailers write it: its escapes are ESC bytes.
    raw = real_mail(
        *MAIL002,
        headers={
            b"Subject": b"=?us-ascii?B?GyRCJUYlOSVIGyhC?= =?utf-8?Q?fatura=0Coutubro=85?=",
            b"From": b"=?utf-8?Q?Martin=1B[31m_Edenhofer=07?= <martin@example.com>",
        },
    )

    ticket = take_mail(mailbox, raw, source="imap").mail.entry.ticket

    shown = [ticket.subject, ticket.customer_name, ticket.customer.name]
    assert not [text for text in shown if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text)]
    assert ticket.subject == "$B%F%9%H (Bfatura outubro…"
    assert ticket.customer.name == "Martin [31m Edenhofer"


def test_one_address_gets_a_few_acknowledgements_a_day_however_many_tickets_it_opens(
    mailbox, run_tasks, django_capture_on_commit_callbacks
):
    def take(raw: bytes) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            take_mail(mailbox, raw, source="api")
        run_tasks()

    with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=UTC), tick=False) as traveller:
        for number in range(ACKNOWLEDGEMENTS_PER_ADDRESS + 2):
            take(raw_mail(subject=f"Pedido {number}"))
        acknowledged = OutboundMail.objects.filter(entry__kind=EntryKind.ACKNOWLEDGEMENT)
        assert acknowledged.count() == ACKNOWLEDGEMENTS_PER_ADDRESS
        assert Ticket.objects.count() == ACKNOWLEDGEMENTS_PER_ADDRESS + 2
        last = Ticket.objects.order_by("pk").last()
        assert last.timeline.filter(body__startswith="No acknowledgement was sent").exists()

        take(raw_mail(sender="rita@example.com"))
        traveller.shift(timedelta(hours=24, seconds=1))
        take(raw_mail(subject="Outro pedido"))

    assert [mail.to for mail in acknowledged.order_by("pk")][-2:] == [
        ["rita@example.com"],
        ["maria@example.com"],
    ]


def test_a_polish_complaint_by_mail_opens_as_a_complaint_with_its_legal_deadline(mailbox):
    IdentityFactory(customer=CustomerFactory(country="PL", language="pl"), value="anna@example.pl")
    raw = raw_mail(
        sender="Anna Nowak <anna@example.pl>",
        subject="Odkurzacz",
        body="Dzień dobry,\n\nskładam reklamację odkurzacza zakupionego u Państwa w październiku. "
        "Żądam nieodpłatnej naprawy.\n\nZ poważaniem\nAnna Nowak",
    )

    ticket = take_mail(mailbox, raw, source="api").mail.entry.ticket

    ticket.refresh_from_db()
    assert ticket.kind == Kind.COMPLAINT
    assert ticket.legal_consequence == "deemed_accepted"
    assert ticket.legal_deadline is not None


def test_the_acknowledgement_is_written_once_however_often_its_task_runs(
    mailbox, run_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = take_mail(mailbox, raw_mail(), source="api").mail.entry.ticket
    acknowledge_later(ticket.pk, mailbox.pk, "maria@example.com")  # as a retry would, first
    run_tasks()

    assert ticket.timeline.filter(kind=EntryKind.ACKNOWLEDGEMENT).count() == 1
    assert OutboundMail.objects.filter(ticket=ticket).count() == 1


# A new mail from a known customer, taken whole: the mail's own (its bytes kept, the flood check,
# the mail, what the mailboxes are called, the entry it became), receive()'s (see
# tests/tickets/test_query_counts.py, and the duplicate check of its Message-ID) and the one task
# that acknowledges it on the worker. Was 34 while the acknowledgement was written in the intake's
# transaction (its entry and mail, the address's recent acknowledgements, the team's expected wait),
# 27 while identify() had a savepoint of its own, and 25 while new bytes were looked up before they
# were kept. The search indexer, queued at most once a second by each process, counts as queued:
# whether it is queued again depends on the clock.
TAKE_MAIL_QUERIES = 24


def test_taking_a_new_mail_runs_a_fixed_number_of_queries(
    mailbox, django_assert_num_queries, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(search.INDEXER, "queued_until", math.inf)
    with django_capture_on_commit_callbacks(execute=True):
        take_mail(mailbox, raw_mail(message_id="<first@example.com>"), source="api")

    with (
        django_assert_num_queries(TAKE_MAIL_QUERIES),
        django_capture_on_commit_callbacks(execute=True),
    ):
        take_mail(
            mailbox,
            raw_mail(subject="Outra fatura", message_id="<second@example.com>"),
            source="api",
        )

    assert Ticket.objects.count() == 2
