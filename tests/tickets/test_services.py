import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from attenda.core.models import AuditEntry
from attenda.customers.services import IdentityClaim
from attenda.tickets.messages import Inbound
from attenda.tickets.models import Channel, EntryKind, Status, Ticket, TimelineEntry
from attenda.tickets.services import add_note, assign, receive, reply, set_status, transfer
from tests.agents.factories import AgentFactory
from tests.tickets.factories import outgoing_mailbox, received_ticket

pytestmark = pytest.mark.django_db


def test_a_first_message_opens_a_ticket_for_a_new_customer(team):
    ticket = received_ticket(team=team)

    assert ticket.status == Status.NEW
    assert ticket.customer.name == "Maria Santos"
    assert ticket.customer_name == "Maria Santos"
    assert list(ticket.customer.identities.values_list("value", flat=True)) == ["maria@example.com"]
    assert [entry.kind for entry in ticket.timeline.all()] == [EntryKind.MESSAGE]


def test_a_message_quoting_its_ticket_number_threads_into_it(team):
    ticket = received_ticket(team=team)

    second = received_ticket(
        email="MARIA@example.com", ticket_number=ticket.pk, body="Alguma novidade?"
    )

    assert second.pk == ticket.pk
    assert ticket.timeline.count() == 2


def test_a_stranger_quoting_a_ticket_number_gets_a_ticket_of_their_own(team):
    ticket = received_ticket(team=team)

    other = received_ticket(email="intruder@example.net", ticket_number=ticket.pk)

    assert other.pk != ticket.pk
    assert ticket.timeline.count() == 1


def test_the_same_message_twice_is_stored_once(team):
    inbound = Inbound(
        channel=Channel.EMAIL,
        claims=[IdentityClaim("email", "maria@example.com")],
        body="Olá",
        external_id="<abc@example.com>",
    )

    first = receive(inbound)
    again = receive(inbound)

    assert again.duplicate
    assert again.entry.pk == first.entry.pk
    assert TimelineEntry.objects.count() == 1


def test_a_reply_to_a_solved_ticket_reopens_it(team, agent):
    ticket = received_ticket(team=team)
    set_status(ticket=ticket, status=Status.SOLVED, actor=agent)

    received_ticket(ticket_number=ticket.pk, body="Continua errada.")

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_replying_records_the_first_response_and_waits_on_the_customer(team, agent):
    outgoing_mailbox()
    ticket = received_ticket(team=team)

    reply(ticket=ticket, agent=agent, body="Vamos corrigir a fatura.")

    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CUSTOMER
    assert ticket.first_response_at is not None
    assert AuditEntry.objects.filter(
        action="ticket.replied", object_id=str(ticket.pk), actor=agent
    ).exists()


def test_an_agent_outside_the_team_cannot_reply_and_nothing_changes(team, outsider):
    ticket = received_ticket(team=team)

    with pytest.raises(PermissionDenied):
        reply(ticket=ticket, agent=outsider, body="Hello")

    assert ticket.timeline.count() == 1
    assert not AuditEntry.objects.filter(action="ticket.replied").exists()


def test_a_transfer_without_a_note_is_refused(team, agent, colleague):
    ticket = received_ticket(team=team)

    with pytest.raises(ValidationError) as refused:
        transfer(ticket=ticket, actor=agent, to_agent=colleague, note="  ")

    assert "note" in refused.value.message_dict
    ticket.refresh_from_db()
    assert ticket.owner is None
    assert ticket.handoff_count == 0


def test_a_transfer_pins_the_note_for_the_receiver_and_mails_them(
    team, agent, colleague, run_tasks, django_capture_on_commit_callbacks
):
    ticket = received_ticket(team=team)

    with django_capture_on_commit_callbacks(execute=True):
        entry = transfer(
            ticket=ticket, actor=agent, to_agent=colleague, note="Cliente quer fatura corrigida."
        )
    run_tasks()

    ticket.refresh_from_db()
    assert ticket.owner == colleague
    assert ticket.handoff_count == 1
    assert ticket.pinned_handoff == entry
    assert [message.to for message in mail.outbox] == [[colleague.email]]
    assert "Cliente quer fatura corrigida." in mail.outbox[0].body


def test_an_agent_cannot_assign_a_colleague_but_a_supervisor_can(
    team, agent, colleague, supervisor
):
    ticket = received_ticket(team=team)

    with pytest.raises(PermissionDenied):
        assign(ticket=ticket, owner=colleague, actor=agent)
    assert Ticket.objects.get(pk=ticket.pk).owner is None

    assign(ticket=ticket, owner=colleague, actor=supervisor)
    assert Ticket.objects.get(pk=ticket.pk).owner == colleague


def test_a_note_is_kept_on_the_timeline(team, agent):
    ticket = received_ticket(team=team)

    add_note(ticket=ticket, agent=agent, body="Verificar com a faturação.")

    assert ticket.timeline.filter(kind=EntryKind.NOTE).get().body == "Verificar com a faturação."


def test_a_token_is_once_per_agent_ticket_and_kind(team, agent, colleague):
    """A repeated token is the same form sent again only from the same agent on the same ticket;
    anyone else's entry with it is written."""
    outgoing_mailbox()
    ticket = received_ticket(team=team)
    other = received_ticket(team=team, external_id="<other@example.com>")

    first = add_note(ticket=ticket, agent=agent, body="Nota", once="a1")
    again = add_note(ticket=ticket, agent=agent, body="Nota", once="a1")
    add_note(ticket=ticket, agent=colleague, body="Nota", once="a1")
    add_note(ticket=other, agent=agent, body="Nota", once="a1")
    answer = reply(ticket=ticket, agent=agent, body="Olá", once="a1")
    answer_again = reply(ticket=ticket, agent=agent, body="Olá", once="a1")

    assert again == first
    assert answer_again == answer
    assert ticket.timeline.filter(kind=EntryKind.NOTE).count() == 2
    assert ticket.timeline.filter(kind=EntryKind.REPLY).count() == 1
    assert other.timeline.filter(kind=EntryKind.NOTE).count() == 1


def test_the_database_refuses_a_second_copy_of_one_channel_message(team):
    ticket = received_ticket(team=team, external_id="<once@example.com>")

    with pytest.raises(IntegrityError), transaction.atomic():
        TimelineEntry.objects.create(
            ticket=ticket,
            kind=EntryKind.MESSAGE,
            channel=Channel.EMAIL,
            external_id="<once@example.com>",
        )

    assert ticket.timeline.count() == 1


def test_the_handoff_mail_speaks_the_receivers_language(
    team, agent, run_tasks, django_capture_on_commit_callbacks
):
    receiver = AgentFactory(username="joana", language="pt", teams=[team])
    ticket = received_ticket(team=team)

    with django_capture_on_commit_callbacks(execute=True):
        transfer(ticket=ticket, actor=agent, to_agent=receiver, note="Fatura duplicada.")
    run_tasks()

    assert mail.outbox[0].subject == f"O ticket #{ticket.pk} foi-lhe transferido"
