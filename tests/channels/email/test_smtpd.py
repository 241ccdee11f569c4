"""Attenda's mail receiver, spoken to over a real socket: mail for a mailbox becomes a ticket, mail for
anyone else is refused at RCPT, and a message is acknowledged only once it is kept."""

import smtplib
import socket
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from django.db import connection

from attenda.channels.email import inbound
from attenda.channels.email.addresses import reply_address
from attenda.channels.email.models import InboundMail, Mailbox, MailState
from attenda.channels.email.smtpd import MAX_MESSAGE_BYTES, MAX_RECIPIENTS, mail_receiver
from attenda.tickets.models import Blob, Channel, EntryKind, Ticket, TimelineEntry

# The receiver answers on its own thread, so each test commits for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def connections_closed_after_each_message(monkeypatch):
    """The receiver's threads release their connections as a request does; with no connection age
    none stays open, so the test database can be emptied and dropped."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)


CUSTOMER = "maria.silva@cliente.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def support():
    return Mailbox.objects.create(address="support@attenda.example", name="Support")


@pytest.fixture
def sales():
    return Mailbox.objects.create(address="sales@attenda.example", name="Sales")


@pytest.fixture
def smtp_port():
    receiver = mail_receiver("127.0.0.1", free_port())
    receiver.start()
    yield receiver.port
    receiver.stop()


@pytest.fixture
def lmtp_port():
    receiver = mail_receiver("127.0.0.1", free_port(), lmtp=True)
    receiver.start()
    yield receiver.port
    receiver.stop()


def mail(
    *,
    to: str = "support@attenda.example",
    subject: str = "Refund for order 4411",
    message_id: str = "<refund-4411@cliente.example>",
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Maria Silva <{CUSTOMER}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Mon, 02 Jun 2025 10:00:00 +0000"
    message.set_content("I was charged twice for order 4411. Please refund one payment.")
    return message.as_bytes(policy=SMTP)


def send(port: int, recipients: list[str], raw: bytes) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail(CUSTOMER, recipients, raw)


def nothing_stored() -> bool:
    return not any(model.objects.exists() for model in (InboundMail, Ticket, TimelineEntry, Blob))


def test_mail_to_a_mailbox_becomes_a_ticket(support, smtp_port):
    refused = send(smtp_port, ["support@attenda.example"], mail())

    kept = InboundMail.objects.get()
    ticket = Ticket.objects.get()
    message = ticket.timeline.get(kind=EntryKind.MESSAGE)
    assert refused == {}
    assert (kept.mailbox, kept.source, kept.state, kept.sender, kept.message_id) == (
        support,
        "smtp",
        MailState.TAKEN,
        CUSTOMER,
        "refund-4411@cliente.example",
    )
    assert (ticket.subject, ticket.channel) == ("Refund for order 4411", Channel.EMAIL)
    assert message.body.startswith("I was charged twice for order 4411.")
    assert kept.raw.content.open().read() == mail()


def test_an_unknown_recipient_is_refused_at_rcpt_and_nothing_is_kept(support, smtp_port):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp_port, ["nobody@attenda.example"], mail(to="nobody@attenda.example"))

    assert refused.value.recipients == {
        "nobody@attenda.example": (550, b"5.1.1 <nobody@attenda.example>: no such mailbox here")
    }
    assert nothing_stored()


def test_an_inactive_mailbox_is_refused_like_an_unknown_one(support, smtp_port):
    support.is_active = False
    support.save()

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(smtp_port, ["support@attenda.example"], mail())

    assert nothing_stored()


def test_a_mail_for_a_mailbox_and_a_stranger_is_kept_for_the_mailbox_only(support, smtp_port):
    refused = send(smtp_port, ["nobody@attenda.example", "Support@Attenda.example"], mail())

    assert refused == {
        "nobody@attenda.example": (550, b"5.1.1 <nobody@attenda.example>: no such mailbox here")
    }
    assert InboundMail.objects.get().mailbox == support
    assert Ticket.objects.count() == 1


def test_the_same_message_delivered_twice_makes_one_ticket(support, smtp_port):
    first = send(smtp_port, ["support@attenda.example"], mail())
    second = send(smtp_port, ["support@attenda.example"], mail())

    assert first == second == {}
    assert InboundMail.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert TimelineEntry.objects.filter(kind=EntryKind.MESSAGE).count() == 1


def test_a_reply_to_a_signed_reply_address_reaches_the_mailbox_and_its_ticket(support, smtp_port):
    send(smtp_port, ["support@attenda.example"], mail())
    ticket = Ticket.objects.get()
    address = reply_address(support.address, ticket.number)

    refused = send(
        smtp_port,
        [address],
        mail(to=address, subject="Still waiting", message_id="<again-4411@cliente.example>"),
    )

    assert refused == {}
    assert list(InboundMail.objects.values_list("mailbox", flat=True)) == [support.pk] * 2
    assert Ticket.objects.get() == ticket
    assert ticket.timeline.filter(kind=EntryKind.MESSAGE).count() == 2


def test_a_failure_while_keeping_asks_the_sender_to_retry_and_keeps_nothing(
    support, smtp_port, monkeypatch
):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        # Storing fails both the usual way and in take_mail's last resort (a full disk).
        patch.setattr(inbound.services, "store_blob", fail)
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(smtp_port, ["support@attenda.example"], mail())
        nothing_left = nothing_stored()
    retried = send(smtp_port, ["support@attenda.example"], mail())

    assert (refused.value.smtp_code, refused.value.smtp_error) == (
        451,
        b"4.3.0 The message could not be kept now; try again later",
    )
    assert nothing_left
    assert retried == {}
    assert Ticket.objects.count() == 1


def test_lmtp_answers_once_per_recipient(support, sales, lmtp_port, monkeypatch):
    take_mail = inbound.take_mail

    def fail_for_sales(mailbox, raw, **details):
        if mailbox == sales:
            raise OSError("disk full")
        return take_mail(mailbox, raw, **details)

    monkeypatch.setattr("attenda.channels.email.smtpd.take_mail", fail_for_sales)

    with smtplib.LMTP("127.0.0.1", lmtp_port, timeout=10) as client:
        client.ehlo()
        client.mail(CUSTOMER)
        accepted = [
            client.rcpt("support@attenda.example")[0],
            client.rcpt("nobody@attenda.example")[0],
            client.rcpt("sales@attenda.example")[0],
        ]
        # smtplib reads one reply after DATA; LMTP sends one per accepted recipient.
        replies = [client.data(mail()), client.getreply()]

    assert accepted == [250, 550, 250]
    assert replies == [
        (250, b"2.0.0 <support@attenda.example> Message kept"),
        (451, b"4.3.0 The message could not be kept now; try again later"),
    ]
    assert InboundMail.objects.get().mailbox == support


def test_lmtp_delivers_to_every_mailbox(support, sales, lmtp_port):
    with smtplib.LMTP("127.0.0.1", lmtp_port, timeout=10) as client:
        client.ehlo()
        client.mail(CUSTOMER)
        client.rcpt("support@attenda.example")
        client.rcpt("sales@attenda.example")
        replies = [client.data(mail())[0], client.getreply()[0]]

    assert replies == [250, 250]
    assert set(InboundMail.objects.values_list("mailbox", flat=True)) == {support.pk, sales.pk}
    # The same Message-ID reaching two mailboxes is one customer message.
    assert Ticket.objects.count() == 1


def test_a_mail_server_is_told_the_size_limit_and_larger_mail_is_refused(support, smtp_port):
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.ehlo()
        advertised = client.esmtp_features["size"]
        too_large = client.mail(CUSTOMER, [f"SIZE={MAX_MESSAGE_BYTES + 1}"])

    assert int(advertised) == MAX_MESSAGE_BYTES
    assert too_large[0] == 552
    assert nothing_stored()


def test_more_recipients_than_the_limit_are_deferred(support, smtp_port):
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.ehlo()
        client.mail(CUSTOMER)
        codes = [client.rcpt("support@attenda.example")[0] for _ in range(MAX_RECIPIENTS + 1)]

    assert codes == [250] * MAX_RECIPIENTS + [452]
