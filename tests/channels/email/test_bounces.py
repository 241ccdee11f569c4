"""Reading bounces: who could not be reached, why, and whether to stop writing to them."""

import pytest

from attenda.channels.email.bounces import Bounce, BounceClass, read_bounce
from tests.corpus import corpus_path

POSTFIX_UNKNOWN_USER = b"""\
Return-Path: <>
From: MAILER-DAEMON@mx.attenda.example (Mail Delivery System)
To: support@attenda.example
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"

--B0UND
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.attenda.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<maria.silva@cliente.example>: host mx.cliente.example[192.0.2.7] said: 550 5.1.1
    <maria.silva@cliente.example>: Recipient address rejected: User unknown
    (in reply to RCPT TO command)

--B0UND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.attenda.example

Final-Recipient: rfc822; Maria.Silva@cliente.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.cliente.example
Diagnostic-Code: smtp; 550 5.1.1 <maria.silva@cliente.example>: Recipient address
    rejected: User unknown

--B0UND
Content-Type: text/rfc822-headers

From: Attenda Support <support@attenda.example>
To: maria.silva@cliente.example
Subject: [#1042] Your refund request
Message-ID: <ticket-1042.reply-3@attenda.example>

--B0UND--
"""

MAILBOX_FULL = b"""\
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.attenda.example>
To: support@attenda.example
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="x"

--x
Content-Type: text/plain

Delivery to jan.kowalski@poczta.example failed.

--x
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.attenda.example

Final-Recipient: rfc822; jan.kowalski@poczta.example
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full, quota exceeded

--x--
"""

DELAY_WARNING = b"""\
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.attenda.example>
To: support@attenda.example
Subject: Delivery Status Notification (Delay)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="x"

--x
Content-Type: text/plain

This is only a warning: delivery will be retried.

--x
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.attenda.example

Final-Recipient: rfc822; ana.popescu@client.example
Action: delayed
Status: 4.4.1
Diagnostic-Code: smtp; 421 4.4.1 Connection timed out

--x--
"""

EXIM_TEXT_BOUNCE = b"""\
Return-Path: <>
From: Mail Delivery System <Mailer-Daemon@mx.attenda.example>
To: support@attenda.example
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: pedro@cliente.example

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  pedro@cliente.example
    host mx.cliente.example [192.0.2.9]
    SMTP error from remote mail server after RCPT TO:<pedro@cliente.example>:
    550 5.1.1 No such user here

------ This is a copy of the message, including all the headers. ------

From: support@attenda.example
To: pedro@cliente.example
Subject: [#77] Delivery of your order
Message-ID: <ticket-77.reply-1@attenda.example>

Hello Pedro
"""

QMAIL_TEXT_BOUNCE = b"""\
Return-Path: <>
From: MAILER-DAEMON@mail.attenda.example
To: support@attenda.example
Subject: failure notice

Hi. This is the qmail-send program at mail.attenda.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<lucia@correo.example>:
192.0.2.20 does not like recipient.
Remote host said: 552 Mailbox over quota
Giving up on 192.0.2.20.

--- Below this line is a copy of the message.

From: support@attenda.example
To: lucia@correo.example
Subject: Your appointment
"""

COMPLAINT = b"""\
From: feedback@isp.example
To: abuse@attenda.example
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="fb"

--fb
Content-Type: text/plain

This is an email abuse report.

--fb
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/1.0
Version: 1
Original-Rcpt-To: Complainer@isp.example

--fb
Content-Type: message/rfc822

From: support@attenda.example
To: complainer@isp.example
Subject: Our new opening hours
Message-ID: <news-5@attenda.example>

Hello
--fb--
"""

PERSON_WRITING_ABOUT_A_FAILED_DELIVERY = b"""\
Return-Path: <joao@cliente.example>
From: Joao Santos <joao@cliente.example>
To: support@attenda.example
Subject: My parcel could not be delivered

Hello, your courier says the parcel could not be delivered and was returned to
sender. The tracking page says: delivery failed, recipient unknown. What now?
"""

OUT_OF_OFFICE = b"""\
Return-Path: <>
From: Ines Costa <ines@cliente.example>
To: support@attenda.example
Subject: Automatic reply: [#12] Your question
Auto-Submitted: auto-replied

I am out of the office until Monday and cannot answer, the message was not delivered to my phone.
"""

READ_RECEIPT = b"""\
From: Ana <ana@client.example>
To: support@attenda.example
Subject: Read: [#3] Invoice
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification; boundary="r"

--r
Content-Type: text/plain

Your message was read.

--r
Content-Type: message/disposition-notification

Final-Recipient: rfc822; ana@client.example
Disposition: manual-action/MDN-sent-manually; displayed

--r--
"""


CUSTOMER_FORWARDING_OUR_ANSWER = b"""\
From: Joao <joao@cliente.example>
To: support@attenda.example
Return-Path: <joao@cliente.example>
Subject: Fwd: my claim was rejected?
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/plain

You rejected my claim, your message is attached. The refund was not delivered either.

--m
Content-Type: message/rfc822

From: support@attenda.example
To: joao@cliente.example
Subject: [#9] Claim
Message-ID: <t9@attenda.example>

Your claim was rejected.
--m--
"""

CUSTOMER_FORWARDING_A_BOUNCE = b"""\
From: Joao <joao@cliente.example>
To: support@attenda.example
Subject: Fwd: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/plain

I wrote to your sales address and got this back: mail delivery failed.

--m
Content-Type: message/rfc822

Return-Path: <>
From: MAILER-DAEMON@mx.cliente.example
To: joao@cliente.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="x"

--x
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.cliente.example

Final-Recipient: rfc822; sales@attenda.example
Action: failed
Status: 5.1.1

--x--
--m--
"""


def _only(bounce: Bounce | None):
    assert bounce is not None
    assert len(bounce.recipients) == 1
    return bounce.recipients[0]


def test_unknown_user_in_a_delivery_status_report_is_a_hard_bounce():
    bounce = read_bounce(POSTFIX_UNKNOWN_USER)

    recipient = _only(bounce)
    assert recipient.address == "maria.silva@cliente.example"
    assert recipient.status == "5.1.1"
    assert recipient.reply_code == "550"
    assert recipient.reason == "userunknown"
    assert recipient.bounce_class == BounceClass.HARD
    assert "User unknown" in recipient.diagnostic
    assert bounce.original_message_id == "ticket-1042.reply-3@attenda.example"
    assert bounce.feedback_type == ""


def test_a_full_mailbox_is_a_soft_bounce_even_with_a_permanent_status():
    recipient = _only(read_bounce(MAILBOX_FULL))

    assert recipient.status == "5.2.2"
    assert recipient.reason == "mailboxfull"
    assert recipient.bounce_class == BounceClass.SOFT


def test_a_delay_warning_is_soft_and_temporary():
    recipient = _only(read_bounce(DELAY_WARNING))

    assert recipient.address == "ana.popescu@client.example"
    assert recipient.status == "4.4.1"
    assert recipient.reason == "expired"
    assert recipient.bounce_class == BounceClass.SOFT


def test_a_plain_text_exim_bounce_names_the_recipient_and_the_returned_message():
    bounce = read_bounce(EXIM_TEXT_BOUNCE)

    recipient = _only(bounce)
    assert recipient.address == "pedro@cliente.example"
    assert (recipient.status, recipient.reply_code) == ("5.1.1", "550")
    assert recipient.bounce_class == BounceClass.HARD
    assert bounce.original_message_id == "ticket-77.reply-1@attenda.example"


def test_a_plain_text_qmail_bounce_without_status_gets_an_inferred_one():
    recipient = _only(read_bounce(QMAIL_TEXT_BOUNCE))

    assert recipient.address == "lucia@correo.example"
    assert recipient.reply_code == "552"
    assert recipient.reason == "mailboxfull"
    # x.0.9NN is not an RFC 3463 status: it says the status was read from the words.
    assert recipient.status == "5.0.922"
    assert recipient.bounce_class == BounceClass.SOFT


def test_a_complaint_report_names_who_complained():
    bounce = read_bounce(COMPLAINT)

    recipient = _only(bounce)
    assert bounce.feedback_type == "abuse"
    assert recipient.address == "complainer@isp.example"
    assert recipient.reason == "feedback"
    assert recipient.bounce_class == BounceClass.SOFT
    assert bounce.original_message_id == "news-5@attenda.example"


@pytest.mark.parametrize(
    "mail",
    [
        PERSON_WRITING_ABOUT_A_FAILED_DELIVERY,
        OUT_OF_OFFICE,
        READ_RECEIPT,
        CUSTOMER_FORWARDING_OUR_ANSWER,
        CUSTOMER_FORWARDING_A_BOUNCE,
    ],
    ids=[
        "person about a parcel",
        "out of office",
        "read receipt",
        "customer forwards our answer",
        "customer forwards a bounce",
    ],
)
def test_mail_that_is_not_a_bounce_is_not_taken_for_one(mail):
    assert read_bounce(mail) is None


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00\xff\xfe garbage", b"Content-Type: multipart/report; boundary=\n\n--\n--"],
    ids=["empty", "binary", "broken multipart"],
)
def test_unreadable_mail_is_not_a_bounce_and_does_not_raise(raw):
    assert read_bounce(raw) is None


@pytest.mark.parametrize("line_end", [b"\r\n", b"\r"], ids=["CRLF", "CR"])
def test_line_endings_do_not_change_the_reading(line_end):
    for mail in (POSTFIX_UNKNOWN_USER, EXIM_TEXT_BOUNCE, QMAIL_TEXT_BOUNCE, COMPLAINT):
        assert read_bounce(mail.replace(b"\n", line_end)) == read_bounce(mail)


@pytest.mark.parametrize(
    ("path", "address", "status", "bounce_class"),
    [
        (
            "bounce/gmail-invalid-address.eml",
            "awfawfawfawfawfaw@someserverhere.com",
            "5.1.0",
            BounceClass.HARD,
        ),
        ("bounce/gmail-no-dns.eml", "user@example.comm", "5.0.912", BounceClass.HARD),
        ("bounce/mailbox-full.eml", "user@aol.com", "5.2.2", BounceClass.SOFT),
        ("bounce/no-mx.eml", "user@example.com", "4.4.4", BounceClass.SOFT),
        ("bounce/office365.eml", "noname@example.com", "5.1.10", BounceClass.HARD),
        (
            "bounce/zed.eml",
            "asdfasdfasdfasdfasdfasdfewrqertrtyrthsfgdfgadfqeadvxzvz@gmail.com",
            "5.1.1",
            BounceClass.HARD,
        ),
        ("bounce/delayed.eml", "foo@example.com", "4.0.0", BounceClass.SOFT),
        ("bounce/delayed-broken.eml", "demo@example.com", "4.2.2", BounceClass.SOFT),
        ("bounce/broken-mime.eml", "info@example.net", "5.0.947", BounceClass.SOFT),
    ],
)
def test_flanker_bounces_are_recognised(path, address, status, bounce_class):
    raw = corpus_path("email", "mailgun-flanker", "tests", "fixtures", "messages", path)

    recipient = _only(read_bounce(raw.read_bytes()))

    assert (recipient.address, recipient.status, recipient.bounce_class) == (
        address,
        status,
        bounce_class,
    )


@pytest.mark.parametrize(
    ("path", "address"),
    [("complaints/aol.eml", "redacted@aol.com"), ("complaints/yahoo.eml", "user@yahoo.com")],
)
def test_flanker_complaints_are_recognised(path, address):
    raw = corpus_path("email", "mailgun-flanker", "tests", "fixtures", "messages", path)

    bounce = read_bounce(raw.read_bytes())

    assert bounce is not None
    assert bounce.feedback_type == "abuse"
    assert [r.address for r in bounce.recipients] == [address]


def test_flanker_mails_that_are_not_bounces_are_left_alone():
    folder = corpus_path("email", "mailgun-flanker", "tests", "fixtures", "messages")
    taken = [
        path.name
        for path in sorted(folder.rglob("*.eml"))
        if path.parent.name not in ("bounce", "complaints") and read_bounce(path.read_bytes())
    ]
    assert taken == []


@pytest.mark.parametrize(
    ("project", "name", "addresses", "bounce_class"),
    [
        ("chatwoot", "bounced_gmail.eml", ["alex.jones@fictionalcorp.com"], BounceClass.HARD),
        ("chatwoot", "bounced_with_no_from.eml", ["noreply@example-service.com"], BounceClass.HARD),
        ("discourse", "bounced_email.eml", ["linux-admin@b-s-c.co.jp"], BounceClass.HARD),
        (
            "discourse",
            "bounced_email_multiple_status_codes.eml",
            ["linux-admin@b-s-c.co.jp", "foo@b-s-c.co.jp"],
            BounceClass.HARD,
        ),
        ("discourse", "hard_bounce_via_verp.eml", ["linux-admin@b-s-c.co.jp"], BounceClass.HARD),
    ],
)
def test_helpdesk_projects_bounce_fixtures_are_recognised(project, name, addresses, bounce_class):
    folder = (
        ("spec", "fixtures", "files") if project == "chatwoot" else ("spec", "fixtures", "emails")
    )
    raw = corpus_path("email", project, *folder, name)

    bounce = read_bounce(raw.read_bytes())

    assert bounce is not None
    assert [r.address for r in bounce.recipients] == addresses
    assert {r.bounce_class for r in bounce.recipients} == {bounce_class}


def test_gmail_bounce_links_back_to_the_message_that_bounced():
    raw = corpus_path("email", "chatwoot", "spec", "fixtures", "files", "bounced_gmail.eml")

    bounce = read_bounce(raw.read_bytes())

    assert bounce is not None
    assert bounce.original_message_id.startswith("conversation/93775311-9416-4428")


@pytest.mark.parametrize(
    ("project", "name"),
    [
        ("chatwoot", "only_text.eml"),
        ("chatwoot", "mail_with_quote.eml"),
        ("discourse", "auto_reply.eml"),
        ("discourse", "forwarded_email_1.eml"),
        ("discourse", "dutch.eml"),
    ],
)
def test_helpdesk_projects_ordinary_mail_is_not_a_bounce(project, name):
    folder = (
        ("spec", "fixtures", "files") if project == "chatwoot" else ("spec", "fixtures", "emails")
    )
    raw = corpus_path("email", project, *folder, name)

    assert read_bounce(raw.read_bytes()) is None


def _sisimai(name: str) -> bytes:
    return corpus_path("email", "sisimai-set-of-emails", "maildir", "bsd", name).read_bytes()


def test_the_returned_message_is_named_by_its_attached_copy():
    # The copy's Message-ID header is folded; the prose quotes it cut by quoted-printable.
    bounce = read_bounce(_sisimai("lhost-office365-09.eml"))

    assert bounce is not None
    assert bounce.original_message_id == (
        "SLXP216MB0381A2BCD997D05F53CDB50BA9220@SLXP216MB0381.KORP216.PROD.OUTLOOK.COM"
    )


def test_a_japanese_report_is_read_in_its_charset():
    recipient = _only(read_bounce(_sisimai("lhost-domino-02.eml")))

    assert recipient.address == "kijitora@example.co.jp"
    assert "Domino ディレクトリには見つかりません" in recipient.diagnostic
