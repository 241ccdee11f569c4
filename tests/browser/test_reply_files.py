"""In a real browser: an agent sees where the reply goes, attaches a file and copies someone, and the
timeline shows the reply on its way with both; a ticket nobody can be answered on says so."""

import re

import pytest
from playwright.sync_api import expect

from attenda.customers.services import IdentityClaim
from attenda.tickets.messages import Inbound
from attenda.tickets.models import Attachment, Delivery, EntryKind, TimelineEntry
from attenda.tickets.services import assign, receive
from tests.tickets.factories import outgoing_mailbox, received_ticket

pytestmark = pytest.mark.browser


def test_a_reply_with_a_file_and_a_copy_goes_out_by_email(page, log_in, agent, team, tmp_path):
    outgoing_mailbox()
    ticket = received_ticket(team=team)
    assign(ticket=ticket, owner=agent, actor=agent)
    invoice = tmp_path / "fatura.pdf"
    invoice.write_bytes(b"%PDF-1.4 fatura corrigida")
    log_in(agent)
    page.goto(f"/tickets/{ticket.number}/")

    expect(
        page.get_by_text("To maria@example.com from support@attenda.example by Email")
    ).to_be_visible()
    page.get_by_label("Reply to the customer").fill("Segue a fatura corrigida.")
    page.get_by_label("Copy to (Cc)").fill("contabilidade@example.com")
    page.get_by_label("Attach files to the reply").set_input_files(str(invoice))
    page.get_by_role("button", name="Send reply").click()

    expect(page.get_by_text("Your reply is on its way to maria@example.com.")).to_be_visible()
    expect(page.get_by_role("link", name="fatura.pdf")).to_be_visible()
    expect(page.get_by_text(re.compile("Cc: contabilidade@example.com"))).to_be_visible()
    reply = TimelineEntry.objects.get(ticket=ticket, kind=EntryKind.REPLY)
    assert (reply.delivery, reply.data["cc"]) == (Delivery.QUEUED, ["contabilidade@example.com"])
    assert Attachment.objects.get(entry=reply).blob.content.read() == b"%PDF-1.4 fatura corrigida"


def test_a_ticket_no_channel_can_answer_offers_to_log_a_call(page, log_in, agent, team):
    ticket = receive(
        Inbound(
            channel="phone",
            claims=[IdentityClaim(kind="phone", value="+351912345678")],
            sender_name="Rui Lopes",
            subject="Sem rede",
            body="Estou sem rede.",
            language="pt",
            team_id=team.pk,
        )
    ).ticket
    log_in(agent)
    page.goto(f"/tickets/{ticket.number}/")

    expect(
        page.get_by_text("It cannot be sent: no way reaches the customer from here.")
    ).to_be_visible()
    page.get_by_role("link", name="Log a call instead").click()

    expect(page).to_have_url(re.compile(rf"/contacts/new/\?customer={ticket.customer_id}$"))
