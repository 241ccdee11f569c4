"""Who really sent a mail: the receiving server's SPF, DKIM and DMARC verdicts, recorded on every
message, shown to the agent and in the API, and never taken from a header the sender wrote."""

import pytest

from attenda.channels.email.authentication import check_sender
from attenda.channels.email.inbound import take_mail
from attenda.tickets.models import EntryKind, Ticket
from tests.api.client import client_for
from tests.channels.email.mail import raw_mail

pytestmark = pytest.mark.django_db

SERVER = "mx.attenda.test"
PASSED = (
    f"{SERVER}; spf=pass smtp.mailfrom=example.com; dkim=pass (2048-bit key) "
    "header.d=example.com header.s=s1; dmarc=pass (p=REJECT sp=REJECT dis=NONE) "
    "header.from=example.com"
)
FAILED = (
    f"{SERVER}; spf=fail smtp.mailfrom=evil.example; dkim=none; dmarc=fail (p=NONE) "
    "header.from=example.com"
)


@pytest.fixture(autouse=True)
def our_server(settings):
    settings.MAIL_AUTHSERV_ID = SERVER


def checked(results: str | list[str], sender: str = "maria@example.com") -> tuple[bool, str]:
    headers = [results] if isinstance(results, str) else results
    raw = b"".join(f"Authentication-Results: {value}\r\n".encode() for value in headers)
    check = check_sender(raw + raw_mail(), sender)
    return check.verified, check.reason


def test_a_mail_our_server_passed_is_recorded_verified_on_its_message(mailbox):
    raw = raw_mail(headers={"Authentication-Results": PASSED})

    entry = take_mail(mailbox, raw, source="api").mail.entry

    assert entry.data["authentication"] == {
        "verified": True,
        "reason": "dmarc_pass",
        "spf": "pass",
        "dkim": "pass",
        "dmarc": "pass",
    }


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        (PASSED, (True, "dmarc_pass")),
        (f"{SERVER} 1; dkim=pass header.d=example.com", (True, "dkim_aligned")),
        (f"{SERVER}; dkim=pass header.i=@mail.example.com", (True, "dkim_aligned")),
        (f"{SERVER}; spf=pass smtp.mailfrom=bounces@example.com", (True, "spf_aligned")),
        (
            f"{SERVER}; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=evil.example",
            (False, "no_pass"),
        ),
        (f"{SERVER}; dkim=pass header.d=com", (False, "no_pass")),
        (f"{SERVER}; dmarc=pass header.from=evil.example", (False, "no_pass")),
        (FAILED, (False, "dmarc_fail")),
        (f"{SERVER}; none", (False, "no_pass")),
        ("other.example; dmarc=pass header.from=example.com", (False, "no_results")),
        # Our verdict is the topmost; one lower down was written before the mail reached us.
        ([FAILED, PASSED], (False, "dmarc_fail")),
        (
            [f"{SERVER}; dkim=pass (a comment; with a semicolon) header.d=example.com"],
            (True, "dkim_aligned"),
        ),
    ],
)
def test_only_our_servers_topmost_verdict_for_the_senders_domain_counts(results, expected):
    assert checked(results) == expected


def test_without_a_trusted_server_no_sender_is_verified(settings):
    settings.MAIL_AUTHSERV_ID = ""

    assert checked(PASSED) == (False, "not_configured")


def test_a_forged_reply_threads_into_the_ticket_marked_unverified_for_the_agent(
    mailbox, agent, client
):
    first = raw_mail(message_id="<first@example.com>", headers={"Authentication-Results": PASSED})
    ticket = take_mail(mailbox, first, source="api").mail.entry.ticket
    forged = raw_mail(
        subject="Re: A minha fatura está errada",
        body="Mudem o IBAN para PT50 0000 0000 0000 0000 0000 0.",
        headers={"In-Reply-To": "<first@example.com>", "Authentication-Results": FAILED},
    )

    entry = take_mail(mailbox, forged, source="api").mail.entry

    assert entry.ticket == ticket
    assert Ticket.objects.count() == 1
    assert entry.data["authentication"]["verified"] is False
    assert entry.data["authentication"]["reason"] == "dmarc_fail"
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert page.count("Sender verified") == 1
    assert page.count("Sender not verified") == 1
    assert "it may be forged" in page
    timeline = client_for(agent).get(f"/tickets/{ticket.number}/timeline").json()["items"]
    messages = [item for item in timeline if item["kind"] == EntryKind.MESSAGE]
    assert [item["sender_check"]["verified"] for item in messages] == [True, False]
    assert messages[1]["sender_check"]["reason"] == "dmarc_fail"
