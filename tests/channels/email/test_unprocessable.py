"""Mail that cannot be put on a ticket — Attenda failed on it, it costs more than its budget, its
sender is unclear — is kept byte for byte in the unprocessable store, without holding up the mail
behind it; admins list, read, download and reprocess it there."""

import time

import pytest

from attenda.channels.email import budget
from attenda.channels.email.inbound import take_mail
from attenda.channels.email.models import InboundMail, MailState, OutboundMail, SetAsideReason
from attenda.channels.email.tasks import read_waiting_mail
from attenda.core.models import AuditEntry
from attenda.tickets.models import EntryKind, Ticket
from tests.channels.email.mail import real_mail

pytestmark = pytest.mark.django_db

MAIL001 = ("zammad", "test-data-mail", "mail001.box")
MAIL002 = ("zammad", "test-data-mail", "mail002.box")


def _with_attachments(count: int) -> bytes:
    """A real customer's message (its headers as sent) carrying ``count`` small attachments."""
    head, _, body = real_mail(*MAIL002).partition(b"\n\n")
    head = b"\n".join(
        line for line in head.split(b"\n") if not line.lower().startswith((b"content-", b"\t"))
    )
    parts = b"".join(
        b"--frontier\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n"
        b'Content-Disposition: attachment; filename="fatura-%d.pdf"\n\nJVBERi0xLjQK\n' % number
        for number in range(count)
    )
    return (
        head + b"\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=frontier\n\n"
        b"--frontier\nContent-Type: text/plain\n\n" + body + b"\n" + parts + b"--frontier--\n"
    )


def _taken_with_cpu_time(mailbox, raw: bytes):
    """The message as taken and read (these are costly to read: the worker reads them, under the
    same budget), and the most CPU time either cost this thread: within the budget, whether it was
    taken or set aside."""
    started = time.thread_time()
    mail = take_mail(mailbox, raw, source="imap").mail
    taking = time.thread_time() - started
    started = time.thread_time()
    read_waiting_mail()
    reading = time.thread_time() - started
    mail.refresh_from_db()
    return mail, max(taking, reading)


def test_ten_thousand_attachments_are_set_aside_byte_for_byte_and_the_next_mail_is_taken(mailbox):
    raw = _with_attachments(10_000)

    aside, cpu = _taken_with_cpu_time(mailbox, raw)
    after = take_mail(mailbox, real_mail(*MAIL001), source="imap").mail

    assert aside.state == MailState.UNPROCESSABLE
    assert aside.set_aside_reason == SetAsideReason.OVER_BUDGET
    assert f"more than {budget.MAX_PARTS} MIME parts" in aside.problems[-1]
    assert aside.raw.content.read() == raw
    assert cpu < budget.CPU_SECONDS
    assert after.state == MailState.TAKEN
    assert Ticket.objects.count() == 1
    # Delivered again (IMAP fetching it after a crash), it is the same message, kept once.
    assert take_mail(mailbox, raw, source="imap").duplicate
    assert InboundMail.objects.count() == 2


def test_a_message_with_a_few_attachments_is_taken(mailbox):
    mail = take_mail(mailbox, _with_attachments(20), source="imap").mail

    assert mail.state == MailState.TAKEN
    assert mail.entry.attachments.count() == 20


def test_a_one_megabyte_references_header_is_taken_within_the_budget_and_threads(mailbox):
    first = take_mail(mailbox, real_mail(*MAIL001), source="imap").mail
    older = b"\n ".join(b"<%d.thread@lists.example.com>" % number for number in range(35_000))
    references = older + b"\n <" + first.message_id.encode() + b">"
    assert len(references) > 1024 * 1024

    # The customer answers; people the first mail only copied are not participants until an
    # agent confirms them.
    answer, cpu = _taken_with_cpu_time(
        mailbox,
        real_mail(
            *MAIL002, headers={b"References": references, b"From": b"<John.Smith@example.com>"}
        ),
    )

    assert answer.state == MailState.TAKEN
    assert answer.entry.ticket == first.entry.ticket
    assert cpu < budget.CPU_SECONDS


def test_html_nested_a_hundred_thousand_deep_is_set_aside_before_the_sanitiser_reads_it(mailbox):
    head = real_mail(*MAIL002).partition(b"\n\n")[0]
    head = b"\n".join(
        line for line in head.split(b"\n") if not line.startswith((b"Content-", b"\t"))
    )
    html = b"<div>" * 100_000 + b"Fatura errada" + b"</div>" * 100_000
    raw = head + b"\nContent-Type: text/html; charset=utf-8\n\n" + html

    mail, cpu = _taken_with_cpu_time(mailbox, raw)

    assert mail.state == MailState.UNPROCESSABLE
    assert "levels of HTML nesting" in mail.problems[-1]
    assert mail.raw.content.read() == raw
    assert cpu < budget.CPU_SECONDS


def test_a_message_costing_more_cpu_time_than_its_budget_is_set_aside(mailbox, monkeypatch):
    monkeypatch.setattr(budget, "CPU_SECONDS", 0.0)
    raw = real_mail(*MAIL001)

    mail = take_mail(mailbox, raw, source="smtp").mail

    assert mail.state == MailState.UNPROCESSABLE
    assert mail.set_aside_reason == SetAsideReason.OVER_BUDGET
    assert "CPU time" in mail.problems[0]
    assert mail.raw.content.read() == raw
    assert not Ticket.objects.exists()
    assert AuditEntry.objects.filter(action="mail.set_aside", object_id=str(mail.pk)).exists()


def test_a_header_block_over_its_size_is_set_aside_within_the_budget(mailbox):
    head, _, body = real_mail(*MAIL002).partition(b"\n\n")
    padding = b"".join(b"X-Relay-%d: %s\n" % (number, b"x" * 990) for number in range(4_300))
    raw = padding + head + b"\n\n" + body
    assert len(padding) > budget.MAX_HEADER_BYTES

    mail, cpu = _taken_with_cpu_time(mailbox, raw)

    assert mail.state == MailState.UNPROCESSABLE
    assert mail.set_aside_reason == SetAsideReason.OVER_BUDGET
    assert "bytes of headers" in mail.problems[0]
    assert mail.raw.content.read() == raw
    assert cpu < budget.CPU_SECONDS


def test_large_headers_within_their_size_are_taken_within_the_budget(mailbox):
    head, _, body = real_mail(*MAIL002).partition(b"\n\n")
    padding = b"".join(b"X-Relay-%d: %s\n" % (number, b"x" * 990) for number in range(3_000))
    raw = padding + head + b"\n\n" + body

    mail, cpu = _taken_with_cpu_time(mailbox, raw)

    assert mail.state == MailState.TAKEN
    assert cpu < budget.CPU_SECONDS


def test_more_addresses_than_the_budget_allows_are_set_aside_within_it(mailbox):
    head, _, body = real_mail(*MAIL002).partition(b"\n\n")
    copied = b",".join(b"p%d@e.pt" % number for number in range(budget.MAX_ADDRESSES + 1))
    raw = head + b"\nCc: " + copied + b"\n\n" + body

    mail, cpu = _taken_with_cpu_time(mailbox, raw)

    assert mail.state == MailState.UNPROCESSABLE
    assert f"more than {budget.MAX_ADDRESSES:,} addresses" in mail.problems[-1]
    assert cpu < budget.CPU_SECONDS


@pytest.mark.parametrize(
    "sender",
    [
        b"alice@example.org)<bob@evil.example>",
        b"=?utf-8?q?alice=40example=2Eorg?=@evil.example",
        b"=?utf-8?q?alice@example.org?= <bob@evil.example>",
        b"Alice <alice@example.org>, Bob <bob@evil.example>",
    ],
)
def test_mail_from_an_unclear_sender_is_held_for_a_person_and_not_acknowledged(
    mailbox, smtp_server, run_tasks, django_capture_on_commit_callbacks, sender
):
    with django_capture_on_commit_callbacks(execute=True):
        mail = take_mail(
            mailbox, real_mail(*MAIL002, headers={b"From": sender}), source="smtp"
        ).mail
    run_tasks()

    assert mail.state == MailState.UNPROCESSABLE
    assert mail.set_aside_reason == SetAsideReason.UNCLEAR_SENDER
    assert not Ticket.objects.exists()
    assert not OutboundMail.objects.exists()
    assert smtp_server.inbox.messages == []


def test_zammads_mail_with_an_encoded_word_in_the_address_is_held(mailbox):
    raw = real_mail("zammad", "upstream-newer", "mail117.box")

    mail = take_mail(mailbox, raw, source="imap").mail

    assert mail.set_aside_reason == SetAsideReason.UNCLEAR_SENDER
    assert "encoded word" in mail.problems[-1]


# --- the admins' pages -------------------------------------------------------------------------


def test_only_admins_see_the_unprocessable_store(client, agent, mailbox):
    mail = take_mail(
        mailbox, real_mail(*MAIL002, headers={b"From": b"a@x.org)<b@y.org>"}), source="api"
    ).mail
    client.force_login(agent)

    for url in (
        "/settings/mail/unprocessable/",
        f"/settings/mail/{mail.pk}/",
        f"/settings/mail/{mail.pk}/raw/",
    ):
        assert client.get(url).status_code == 403
    assert client.post(f"/settings/mail/{mail.pk}/reprocess/").status_code == 403


def test_an_admin_lists_the_store_page_by_page(client, admin_agent, mailbox):
    client.force_login(admin_agent)
    assert "No unprocessable mail" in client.get("/settings/mail/unprocessable/").content.decode()
    for number in range(51):
        raw = real_mail(
            *MAIL002,
            headers={b"From": b"a@x.org)<b@y.org>", b"Message-Id": b"<held-%d@y.org>" % number},
        )
        take_mail(mailbox, raw, source="api")

    first = client.get("/settings/mail/unprocessable/")
    page = first.content.decode()
    assert page.count("Its sender is unclear") == 50
    assert 'rel="next"' in page
    following = client.get(f"/settings/mail/unprocessable/?cursor={first.context['next_cursor']}")
    assert following.content.decode().count("Its sender is unclear") == 1
    assert (
        "1 message could not be processed"
        not in client.get("/settings/mailboxes/").content.decode()
    )
    assert "More than 50 messages" in client.get("/settings/mailboxes/").content.decode()


def test_an_admin_reads_a_kept_message_as_text_and_downloads_it_exactly(
    client, admin_agent, mailbox
):
    raw = (
        real_mail(
            *MAIL002,
            headers={b"From": b"a@x.org)<b@y.org>", b"Subject": b"<script>alert(1)</script>"},
        )
        + b"<img src=x onerror=alert(2)>\n"
    )
    mail = take_mail(mailbox, raw, source="api").mail
    client.force_login(admin_agent)

    page = client.get(f"/settings/mail/{mail.pk}/").content.decode()
    download = client.get(f"/settings/mail/{mail.pk}/raw/")

    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "Its sender is unclear" in page
    assert download.content == raw
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"] == f'attachment; filename="mail-{mail.pk}.eml"'


def test_reprocessing_mail_attenda_failed_on_puts_it_on_a_ticket_and_is_audited(
    client, admin_agent, mailbox, monkeypatch
):
    def fail(*args, **kwargs):
        raise RuntimeError("a bug in Attenda")

    monkeypatch.setattr("attenda.channels.email.inbound.ticket_entry", fail)
    mail = take_mail(mailbox, real_mail(*MAIL001), source="imap").mail
    client.force_login(admin_agent)

    again = client.post(f"/settings/mail/{mail.pk}/reprocess/", follow=True)
    assert "still could not be processed" in again.content.decode()
    monkeypatch.undo()
    done = client.post(f"/settings/mail/{mail.pk}/reprocess/", follow=True)

    mail.refresh_from_db()
    ticket = mail.entry.ticket
    assert mail.state == MailState.TAKEN
    assert done.redirect_chain[-1][0] == f"/tickets/{ticket.number}/"
    assert f"now on ticket #{ticket.number}" in done.content.decode()
    assert ticket.customer.identities.get().value == "john.smith@example.com"
    audit = AuditEntry.objects.filter(action="mail.reprocessed", object_id=str(mail.pk))
    assert [(entry.actor, entry.data["state"]) for entry in audit.order_by("id")] == [
        (admin_agent, "unprocessable"),
        (admin_agent, "taken"),
    ]


def test_an_admin_chooses_the_sender_of_an_unclear_mail_and_nobody_is_acknowledged(
    client, admin_agent, mailbox, smtp_server, run_tasks, django_capture_on_commit_callbacks
):
    raw = real_mail(*MAIL002, headers={b"From": b"alice@example.org)<bob@evil.example>"})
    mail = take_mail(mailbox, raw, source="smtp").mail
    client.force_login(admin_agent)
    page = client.get(f"/settings/mail/{mail.pk}/").content.decode()
    assert '<option value="alice@example.org">' in page
    assert '<option value="bob@evil.example">' in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/settings/mail/{mail.pk}/reprocess/", {"sender": "alice@example.org"})
    run_tasks()

    mail.refresh_from_db()
    assert mail.state == MailState.TAKEN
    assert mail.entry.ticket.customer.identities.get().value == "alice@example.org"
    assert not mail.entry.ticket.timeline.filter(kind=EntryKind.ACKNOWLEDGEMENT).exists()
    assert smtp_server.inbox.messages == []


def test_admins_list_the_store_over_the_api(mailbox, admin_agent, agent):
    from tests.api.client import client_for

    raw = real_mail(*MAIL002, headers={b"From": b"a@x.org)<b@y.org>"})
    mail = take_mail(mailbox, raw, source="api").mail

    listed = client_for(admin_agent).get("/unprocessable-mail", limit=10)
    refused = client_for(agent).get("/unprocessable-mail")

    assert listed.status_code == 200
    assert listed.json()["items"] == [
        {
            "id": mail.pk,
            "mailbox": "support@attenda.test",
            "received_at": listed.json()["items"][0]["received_at"],
            "source": "api",
            "sender": "b@y.org",
            "subject": "aaäöüßad asd",
            "reason": "sender",
            "problems": mail.problems,
            "size": len(raw),
        }
    ]
    assert listed.json()["next_cursor"] is None
    assert refused.status_code == 403
