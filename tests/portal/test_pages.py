"""What a signed-in customer sees and does: every ticket of theirs from every channel and only
theirs, the customer-facing history without internal notes, replies with files, solved, their data."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from attenda.customers.models import Customer
from attenda.customers.services import merge_customers
from attenda.tickets.messages import InboundFile
from attenda.tickets.models import Channel, EntryKind, Status, Ticket
from attenda.tickets.services import add_note, assign, merge_tickets, reply, transfer
from tests.portal.conftest import signed_in_as
from tests.tickets.factories import outgoing_mailbox, received_ticket

pytestmark = pytest.mark.django_db


def test_the_customer_sees_their_tickets_from_every_channel(maria, maria_ticket):
    web = received_ticket(
        email="maria@example.com", subject="Pedido pelo site", channel=Channel.WEB
    )
    received_ticket(email="joao@example.com", subject="Ticket do João")

    page = maria.get("/portal/").content.decode()

    assert f"#{maria_ticket.number} Fatura de outubro" in page
    assert f"#{web.number} Pedido pelo site" in page
    assert "Ticket do João" not in page


def test_another_customers_ticket_is_not_found_whatever_its_number(maria, maria_ticket):
    other = received_ticket(email="joao@example.com", subject="Ticket do João")
    numbers = [other.number, other.number + 1, 0, 999999]

    pages = [maria.get(f"/portal/tickets/{number}/").status_code for number in numbers]
    replies = [
        maria.post(f"/portal/tickets/{other.number}/reply/", {"body": "Olá"}).status_code,
        maria.post(f"/portal/tickets/{other.number}/solved/").status_code,
    ]

    assert pages == [404, 404, 404, 404]
    assert replies == [404, 404]
    assert other.timeline.count() == 1
    other.refresh_from_db()
    assert other.status == Status.NEW


def test_internal_notes_and_events_are_never_shown(maria, maria_ticket, team, agent, colleague):
    outgoing_mailbox()
    Ticket.objects.filter(pk=maria_ticket.pk).update(team=team)
    maria_ticket.refresh_from_db()
    assign(ticket=maria_ticket, owner=agent, actor=agent)
    reply(ticket=maria_ticket, agent=agent, body="Vamos verificar a sua fatura.")
    add_note(ticket=maria_ticket, agent=agent, body="SEGREDO: cliente difícil.")
    transfer(ticket=maria_ticket, actor=agent, to_agent=colleague, note="NOTA DE PASSAGEM")

    page = maria.get(f"/portal/tickets/{maria_ticket.number}/").content.decode()
    data = maria.get("/portal/my-data.json").content.decode()

    assert "Vamos verificar a sua fatura." in page
    assert "A minha fatura está errada." in page
    for secret in ("SEGREDO", "NOTA DE PASSAGEM"):
        assert secret not in page
        assert secret not in data


def test_a_reply_with_a_file_goes_through_receive_on_the_ticket(maria, maria_ticket):
    answer = maria.post(
        f"/portal/tickets/{maria_ticket.number}/reply/",
        {
            "body": "Junto a fatura.",
            "files": SimpleUploadedFile("fatura.pdf", b"%PDF-1.4", "application/pdf"),
        },
    )

    entry = maria_ticket.timeline.filter(kind=EntryKind.MESSAGE).latest("pk")
    assert answer.headers["Location"] == f"/portal/tickets/{maria_ticket.number}/"
    assert (entry.body, entry.channel, entry.author_customer_id) == (
        "Junto a fatura.",
        Channel.WEB,
        maria_ticket.customer_id,
    )
    assert [file.filename for file in entry.attachments.all()] == ["fatura.pdf"]
    page = maria.get(answer.headers["Location"]).content.decode()
    download = maria.get(f"/portal/attachments/{entry.attachments.get().pk}/")
    assert "fatura.pdf" in page
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert b"".join(download.streaming_content) == b"%PDF-1.4"


def test_a_file_over_the_limit_is_refused_before_anything_is_written(maria, maria_ticket, settings):
    settings.ATTACHMENT_MAX_BYTES = 4
    answer = maria.post(
        f"/portal/tickets/{maria_ticket.number}/reply/",
        {"body": "Olá", "files": SimpleUploadedFile("big.pdf", b"12345")},
    )

    assert answer.status_code == 422
    assert "big.pdf" in answer.content.decode()
    assert maria_ticket.timeline.count() == 1


def test_another_customers_attachment_is_not_found(maria, maria_ticket):
    other = received_ticket(
        email="joao@example.com",
        files=[InboundFile(filename="joao.pdf", content_type="application/pdf", content=b"x")],
    )
    attachment = other.timeline.get().attachments.get()

    assert maria.get(f"/portal/attachments/{attachment.pk}/").status_code == 404


def test_an_attachment_on_an_internal_note_is_not_found(maria, maria_ticket, team, agent):
    Ticket.objects.filter(pk=maria_ticket.pk).update(team=team)
    maria_ticket.refresh_from_db()
    note = add_note(
        ticket=maria_ticket,
        agent=agent,
        body="interno",
        files=[InboundFile(filename="interno.pdf", content_type="application/pdf", content=b"x")],
    )

    assert maria.get(f"/portal/attachments/{note.attachments.get().pk}/").status_code == 404


def test_the_customer_marks_a_ticket_solved_and_writing_again_reopens_it(maria, maria_ticket):
    maria.post(f"/portal/tickets/{maria_ticket.number}/solved/")
    maria_ticket.refresh_from_db()
    solved_status = maria_ticket.status
    entry = maria_ticket.timeline.get(kind=EntryKind.STATUS_CHANGE)

    maria.post(f"/portal/tickets/{maria_ticket.number}/reply/", {"body": "Afinal não."})
    maria_ticket.refresh_from_db()

    assert solved_status == Status.SOLVED
    assert entry.author_customer_id == maria_ticket.customer_id
    assert maria_ticket.status == Status.OPEN


def test_the_page_shows_the_statutory_deadline(maria, maria_ticket):
    Ticket.objects.filter(pk=maria_ticket.pk).update(
        kind="complaint", legal_deadline="2026-03-20T23:59:59Z"
    )

    page = maria.get(f"/portal/tickets/{maria_ticket.number}/").content.decode()

    assert "Legal deadline for our answer" in page or "Prazo legal" in page
    assert "2026" in page


def test_tickets_of_a_merged_record_are_all_shown(maria, maria_ticket, supervisor):
    second = received_ticket(email="maria.santos@work.example", subject="Contrato")
    merge_customers(
        survivor_customer=maria_ticket.customer, absorbed=second.customer, actor=supervisor
    )

    page = maria.get("/portal/").content.decode()
    via_other_address = signed_in_as("maria.santos@work.example").get("/portal/").content.decode()

    assert "Contrato" in page
    assert "Fatura de outubro" in via_other_address


def test_a_merged_tickets_history_shows_in_the_one_it_joined(maria, maria_ticket, team, supervisor):
    second = received_ticket(
        email="maria@example.com", subject="Outra vez", body="Segunda mensagem."
    )
    Ticket.objects.filter(pk__in=[maria_ticket.pk, second.pk]).update(team=team)
    maria_ticket.refresh_from_db()
    second.refresh_from_db()
    merge_tickets(target=maria_ticket, absorbed=second, actor=supervisor)

    page = maria.get(f"/portal/tickets/{maria_ticket.number}/").content.decode()
    maria.post(f"/portal/tickets/{second.number}/reply/", {"body": "Para o ticket certo."})

    assert "Segunda mensagem." in page
    assert maria_ticket.timeline.filter(body="Para o ticket certo.").exists()


def test_the_customer_downloads_their_data(maria, maria_ticket):
    answer = maria.get("/portal/my-data.json")

    data = json.loads(answer.content)
    assert answer.headers["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert data["customer"]["name"] == "Maria Santos"
    assert data["identities"] == [
        {"kind": "email", "value": "maria@example.com", "since": data["identities"][0]["since"]}
    ]
    assert data["tickets"][0]["number"] == maria_ticket.number
    assert data["tickets"][0]["messages"][0]["text"] == "A minha fatura está errada."


def test_the_portal_speaks_the_customers_language(maria, maria_ticket):
    Customer.objects.filter(pk=maria_ticket.customer_id).update(language="pl")

    page = maria.get("/portal/")

    assert '<html lang="pl">' in page.content.decode()
