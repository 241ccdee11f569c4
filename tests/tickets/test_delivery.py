"""A reply either reaches the customer, by a way the composer shows before it is written, or is kept
as not sent with the reason; it carries files and copies; a logged call belongs to whoever took it;
a team hand-over tells whoever the team's assignment makes responsible."""

from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from attenda.agents.models import AssignmentMode
from attenda.channels.email.inbound import take_mail
from attenda.customers.services import IdentityClaim
from attenda.tickets.messages import Inbound
from attenda.tickets.models import Attachment, Channel, Delivery, EntryKind, Status, Ticket
from attenda.tickets.services import receive, reply, transfer
from tests.agents.factories import AgentFactory, TeamFactory
from tests.api.client import client_for
from tests.channels.email.mail import raw_mail
from tests.tickets.factories import outgoing_mailbox, received_ticket

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def phoned_in(team, *, channel=Channel.PHONE) -> Ticket:
    """A customer known by a phone number only: no email address to answer to."""
    return receive(
        Inbound(
            channel=channel,
            claims=[IdentityClaim(kind="phone", value="+351912345678")],
            sender_name="Rui Lopes",
            subject="Sem rede",
            body="Estou sem rede desde ontem.",
            language="pt",
            team_id=team.pk,
        )
    ).ticket


def test_the_composer_says_to_whom_and_from_which_mailbox_an_email_reply_goes(client, team, agent):
    outgoing_mailbox()
    ticket = received_ticket(team=team)
    client.force_login(agent)

    page = text(client.get(f"/tickets/{ticket.pk}/"))

    assert "To maria@example.com from support@attenda.example by Email" in page


def test_a_web_form_ticket_is_answered_by_email_when_the_customer_has_an_address(
    client, team, agent
):
    outgoing_mailbox()
    ticket = received_ticket(team=team, channel=Channel.WEB)
    client.force_login(agent)

    page = text(client.get(f"/tickets/{ticket.pk}/"))
    response = client.post(
        f"/tickets/{ticket.pk}/reply/",
        {
            "reply-body": "Já corrigimos.",
            "reply-status": "waiting_on_customer",
            "reply-channel": "email",
        },
    )

    assert "Attenda cannot send replies by Web form." in page
    assert "The reply goes this way instead:" in page
    assert "To maria@example.com from support@attenda.example by Email" in page
    assert response.status_code == 302
    entry = ticket.timeline.get(kind=EntryKind.REPLY)
    assert (entry.channel, entry.delivery, entry.data["to"]) == (
        Channel.EMAIL,
        Delivery.QUEUED,
        "maria@example.com",
    )
    assert Ticket.objects.get(pk=ticket.pk).status == Status.WAITING_ON_CUSTOMER


def test_a_reply_nothing_can_deliver_is_kept_as_not_sent_and_the_ticket_does_not_wait(
    client, team, agent
):
    ticket = phoned_in(team)
    client.force_login(agent)

    page = text(client.get(f"/tickets/{ticket.pk}/"))
    response = client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"reply-body": "Vamos ver a rede.", "reply-status": "waiting_on_customer"},
        follow=True,
    )

    assert "It cannot be sent: no way reaches the customer from here." in page
    assert f'href="/contacts/new/?customer={ticket.customer_id}">Log a call instead</a>' in page
    assert "Your reply was not sent: Attenda cannot send replies by Phone." in text(response)
    entry = ticket.timeline.get(kind=EntryKind.REPLY)
    assert (entry.delivery, entry.delivery_note) == (
        Delivery.FAILED,
        "Attenda cannot send replies by Phone.",
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_response_at) == (Status.NEW, None)
    assert not ticket.timeline.filter(kind=EntryKind.STATUS_CHANGE).exists()


def test_the_api_reply_reports_a_reply_it_could_not_send(agent, team):
    ticket = phoned_in(team, channel=Channel.WEB)

    response = client_for(agent).post(f"/tickets/{ticket.pk}/replies", {"body": "Olá"})

    assert response.status_code == 201
    assert response.json()["delivery"] == {
        "state": "failed",
        "channel": "web",
        "address": None,
        "sender": None,
        "cc": [],
        "reason": "Attenda cannot send replies by Web form.",
    }
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_a_reply_the_mail_server_never_took_opens_the_ticket_again(
    mailbox, agent, smtp_server, run_tasks, settings, django_capture_on_commit_callbacks
):
    settings.TASK_MAX_ATTEMPTS = 1
    ticket = take_mail(mailbox, raw_mail(), source="api").mail.entry.ticket
    smtp_server.stop()
    with django_capture_on_commit_callbacks(execute=True):
        entry = reply(ticket=ticket, agent=agent, body="A fatura foi corrigida.")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.WAITING_ON_CUSTOMER

    run_tasks()

    entry.refresh_from_db()
    ticket.refresh_from_db()
    assert entry.delivery == Delivery.FAILED
    assert ticket.status == Status.OPEN
    assert ticket.timeline.filter(
        kind=EntryKind.STATUS_CHANGE, body="The reply did not reach the customer."
    ).exists()


def test_files_and_copies_leave_with_an_email_reply_and_show_on_the_timeline(
    client, mailbox, agent, smtp_server, run_tasks, django_capture_on_commit_callbacks
):
    ticket = take_mail(mailbox, raw_mail(), source="api").mail.entry.ticket
    client.force_login(agent)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/tickets/{ticket.pk}/reply/",
            {
                "reply-body": "Segue a fatura corrigida.",
                "reply-status": "waiting_on_customer",
                "reply-cc": "Contabilidade@Example.com, pai@example.com",
                "reply-files": [
                    SimpleUploadedFile("fatura.pdf", b"%PDF-1.4 fatura", "application/pdf")
                ],
            },
        )
    run_tasks()

    _sender, recipients, sent = smtp_server.inbox.messages[0]
    message = message_from_bytes(sent, policy=policy.default)
    assert sorted(recipients) == [
        "contabilidade@example.com",
        "maria@example.com",
        "pai@example.com",
    ]
    assert message["Cc"] == "contabilidade@example.com, pai@example.com"
    [part] = list(message.iter_attachments())
    assert (part.get_filename(), part.get_content()) == ("fatura.pdf", b"%PDF-1.4 fatura")
    page = text(client.get(f"/tickets/{ticket.pk}/"))
    assert "Cc: contabilidade@example.com, pai@example.com" in page
    assert ">fatura.pdf</a>" in page


def test_a_wrong_copy_address_or_a_file_over_the_limit_is_refused_and_nothing_is_written(
    client, team, agent, settings
):
    settings.ATTACHMENT_MAX_BYTES = 10
    outgoing_mailbox()
    ticket = received_ticket(team=team)
    client.force_login(agent)

    wrong_cc = client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"reply-body": "Olá", "reply-status": "open", "reply-cc": "pai@"},
    )
    too_large = client.post(
        f"/tickets/{ticket.pk}/notes/",
        {"note-body": "Foto", "note-files": [SimpleUploadedFile("foto.jpg", b"x" * 11)]},
    )

    assert wrong_cc.status_code == too_large.status_code == 422
    assert "pai@ is not an email address." in text(wrong_cc)
    assert "foto.jpg is larger than 10\xa0bytes." in text(too_large)
    assert not ticket.timeline.exclude(kind=EntryKind.MESSAGE).exists()


def test_a_note_keeps_its_files(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    client.post(
        f"/tickets/{ticket.pk}/notes/",
        {
            "note-body": "Contrato assinado.",
            "note-files": [SimpleUploadedFile("contrato.pdf", b"%PDF contrato", "application/pdf")],
        },
    )

    note = ticket.timeline.get(kind=EntryKind.NOTE)
    attachment = Attachment.objects.get(entry=note)
    assert (attachment.filename, attachment.blob.content.read()) == (
        "contrato.pdf",
        b"%PDF contrato",
    )


def test_the_api_reply_takes_files_and_copies(agent, team):
    outgoing_mailbox()
    ticket = received_ticket(team=team)

    response = client_for(agent).post(
        f"/tickets/{ticket.pk}/replies",
        {
            "body": "Segue a fatura.",
            "cc": ["pai@example.com"],
            "attachments": [{"filename": "fatura.pdf", "content_base64": "JVBERi0xLjQ="}],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body["delivery"]["cc"] == ["pai@example.com"]
    assert body["delivery"]["state"] == "queued"
    assert body["attachments"] == [
        {"filename": "fatura.pdf", "content_type": "application/octet-stream", "size": 8}
    ]


def test_a_call_solved_while_logging_it_is_the_loggers_and_solved(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    client.post(
        "/contacts/new/",
        {
            "customer": ticket.customer_id,
            "channel": "phone",
            "ticket": "",
            "subject": "Código do router",
            "body": "Dei-lhe o código; ficou a funcionar.",
            "team": str(team.pk),
            "solved": "on",
        },
    )

    logged = Ticket.objects.exclude(pk=ticket.pk).get()
    assert (logged.owner, logged.status) == (agent, Status.SOLVED)


def test_a_hand_over_to_a_round_robin_team_tells_only_the_agent_it_chose(
    agent, run_tasks, django_capture_on_commit_callbacks
):
    helpdesk = TeamFactory(name="Helpdesk", assignment_mode=AssignmentMode.ROUND_ROBIN)
    members = [
        AgentFactory(username="ines", teams=[helpdesk], languages_spoken=["pt"]),
        AgentFactory(username="piotr", teams=[helpdesk], languages_spoken=["pt"]),
    ]
    ticket = received_ticket(team=agent.teams.get())

    with django_capture_on_commit_callbacks(execute=True):
        transfer(ticket=ticket, actor=agent, to_team=helpdesk, note="Router avariado.")
    run_tasks()

    ticket.refresh_from_db()
    assert ticket.owner in members
    assert [message.to for message in mail.outbox] == [[ticket.owner.email]]


def test_a_hand_over_to_a_team_that_assigns_by_hand_tells_its_supervisors(
    agent, run_tasks, django_capture_on_commit_callbacks
):
    billing = TeamFactory(name="Faturação", assignment_mode=AssignmentMode.MANUAL)
    lead = AgentFactory(username="marta", role="supervisor", teams=[billing])
    AgentFactory(username="joao", teams=[billing])
    ticket = received_ticket(team=agent.teams.get())

    with django_capture_on_commit_callbacks(execute=True):
        transfer(ticket=ticket, actor=agent, to_team=billing, note="Fatura duplicada.")
    run_tasks()

    assert [message.to for message in mail.outbox] == [[lead.email]]
    assert mail.outbox[0].subject == f"Ticket #{ticket.pk} was handed to your team"
