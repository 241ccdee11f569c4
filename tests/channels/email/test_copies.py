"""People a mail copied: a forged sender never brings them in, a mail to thousands does not make
thousands of participants, and on a new ticket only those an agent confirms receive the replies."""

import time

import pytest

from attenda.channels.email import budget
from attenda.channels.email.inbound import RECIPIENTS_READ, take_mail
from attenda.channels.email.models import MailState
from attenda.channels.email.tasks import read_waiting_mail
from attenda.tickets.models import Delivery, EntryKind, Participant
from attenda.tickets.services import reply
from tests.channels.email.mail import raw_mail

pytestmark = pytest.mark.django_db

SERVER = "mx.attenda.test"
PASSED = f"{SERVER}; dkim=pass header.d=example.com; dmarc=pass header.from=example.com"
FAILED = f"{SERVER}; dkim=none; dmarc=fail header.from=example.com"


@pytest.fixture(autouse=True)
def our_server(settings):
    settings.MAIL_AUTHSERV_ID = SERVER


def sent_recipients(smtp_server) -> list[list[str]]:
    return [sorted(recipients) for _sender, recipients, _data in smtp_server.inbox.messages]


def test_a_forged_new_mail_never_makes_the_person_it_copies_a_participant(
    mailbox, agent, smtp_server, run_tasks, django_capture_on_commit_callbacks
):
    forged = raw_mail(
        body="Enviem o código que receberam para este endereço.",
        headers={"Cc": "Atacante <attacker@evil.example>", "Authentication-Results": FAILED},
    )
    ticket = take_mail(mailbox, forged, source="api").mail.entry.ticket

    with django_capture_on_commit_callbacks(execute=True):
        reply(ticket=ticket, agent=agent, body="Aqui está o código.")
    run_tasks()

    assert not Participant.objects.exists()
    assert ticket.timeline.filter(
        kind=EntryKind.EVENT, data__copies_not_added=["attacker@evil.example"]
    ).exists()
    assert not ticket.timeline.filter(data__has_key="proposed_copies").exists()
    assert sent_recipients(smtp_server) == [["maria@example.com"]]


def test_people_copied_on_a_new_mail_receive_replies_only_once_an_agent_confirms_them(
    mailbox, agent, client, smtp_server, run_tasks, django_capture_on_commit_callbacks
):
    raw = raw_mail(
        headers={
            "Cc": "João Santos <joao@example.com>, Rita <rita@example.com>",
            "Authentication-Results": PASSED,
        }
    )
    ticket = take_mail(mailbox, raw, source="api").mail.entry.ticket
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Who should receive the replies too?" in page
    assert 'value="joao@example.com"' in page
    with django_capture_on_commit_callbacks(execute=True):
        reply(ticket=ticket, agent=agent, body="Estamos a ver.")

    proposal = ticket.timeline.get(data__has_key="proposed_copies")
    client.post(
        f"/tickets/{ticket.number}/copies/",
        {"copies-proposal": proposal.pk, "copies-addresses": ["joao@example.com"]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply(ticket=ticket, agent=agent, body="Já corrigimos a fatura.")
    run_tasks()

    assert list(Participant.objects.values_list("address", flat=True)) == ["joao@example.com"]
    assert sent_recipients(smtp_server) == [
        ["maria@example.com"],
        ["joao@example.com", "maria@example.com"],
    ]
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Who should receive the replies too?" not in page


def test_a_proposal_is_decided_once_and_only_for_its_own_addresses(mailbox, agent, client):
    raw = raw_mail(headers={"Cc": "joao@example.com", "Authentication-Results": PASSED})
    ticket = take_mail(mailbox, raw, source="api").mail.entry.ticket
    proposal = ticket.timeline.get(data__has_key="proposed_copies")
    client.force_login(agent)

    client.post(
        f"/tickets/{ticket.number}/copies/",
        {"copies-proposal": proposal.pk, "copies-addresses": ["attacker@evil.example"]},
    )
    client.post(f"/tickets/{ticket.number}/copies/", {"copies-proposal": proposal.pk})
    client.post(
        f"/tickets/{ticket.number}/copies/",
        {"copies-proposal": proposal.pk, "copies-addresses": ["joao@example.com"]},
    )

    assert not Participant.objects.exists()
    decisions = ticket.timeline.filter(data__has_key="copies_decided")
    assert [entry.data["copies_decided"]["declined"] for entry in decisions] == [
        ["joao@example.com"]
    ]


def test_a_verified_reply_adds_the_few_people_it_copies(mailbox):
    first = raw_mail(message_id="<first@example.com>", headers={"Authentication-Results": PASSED})
    ticket = take_mail(mailbox, first, source="api").mail.entry.ticket
    answer = raw_mail(
        subject="Re: A minha fatura está errada",
        headers={
            "In-Reply-To": "<first@example.com>",
            "Cc": "joao@example.com",
            "Authentication-Results": PASSED,
        },
    )

    take_mail(mailbox, answer, source="api")

    assert list(ticket.participants.values_list("address", flat=True)) == ["joao@example.com"]


@pytest.mark.parametrize("count", [1_000, 100_000])
def test_a_mail_to_thousands_makes_no_participants_and_replies_go_to_the_customer_alone(
    count, mailbox, agent, smtp_server, run_tasks, django_capture_on_commit_callbacks
):
    # Written out by hand: the standard library takes minutes to fold 100,000 addresses.
    copied = ",\n ".join(f"person{number}@example.net" for number in range(count))
    head, blank, body = raw_mail(headers={"Authentication-Results": PASSED}).partition(b"\n\n")
    raw = head + f"\nCc: {copied}".encode() + blank + body
    started = time.thread_time()
    mail = take_mail(mailbox, raw, source="api").mail
    read_waiting_mail()  # a header block this long is read by the worker
    mail.refresh_from_db()
    assert mail.state == MailState.TAKEN
    assert time.thread_time() - started < budget.CPU_SECONDS
    message = mail.entry
    ticket = message.ticket

    with django_capture_on_commit_callbacks(execute=True):
        entry = reply(ticket=ticket, agent=agent, body="Recebemos a sua mensagem.")
    run_tasks()

    assert not Participant.objects.exists()
    assert len(message.data["cc"]) == RECIPIENTS_READ - 1  # the mailbox in To takes one place
    assert message.data["recipients_not_read"] == count + 1 - RECIPIENTS_READ
    proposal = ticket.timeline.get(data__has_key="proposed_copies")
    assert len(proposal.data["proposed_copies"]) == RECIPIENTS_READ - 1
    entry.refresh_from_db()
    assert entry.delivery == Delivery.SENT
    assert sent_recipients(smtp_server) == [["maria@example.com"]]
