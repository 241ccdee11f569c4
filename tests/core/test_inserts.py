from django.forms.models import model_to_dict

from attenda.core.inserts import insert, update
from attenda.tickets.models import Status, Ticket, TimelineEntry
from tests.customers.factories import CustomerFactory


def _row(model, pk: int) -> dict:
    return model.objects.filter(pk=pk).values().get()


def test_a_row_written_by_insert_is_the_row_save_writes(db):
    customer = CustomerFactory()
    made = {"customer": customer, "customer_name": "Maria", "subject": "Fatura", "channel": "email"}
    saved = Ticket(**made)
    saved.save()
    inserted = insert(Ticket(**made, created_at=saved.created_at))

    assert inserted.pk != saved.pk
    assert inserted.is_open is True  # the generated column, read back as save() reads it
    assert not inserted._state.adding
    written, expected = _row(Ticket, inserted.pk), _row(Ticket, saved.pk)
    for moment in ("id", "updated_at", "waiting_since"):
        written.pop(moment), expected.pop(moment)
    assert written == expected
    assert model_to_dict(Ticket.objects.get(pk=inserted.pk))["status"] == Status.NEW


def test_insert_keeps_what_fields_prepare(db):
    customer = CustomerFactory()
    ticket = insert(Ticket(customer=customer, customer_name="Maria", subject="S", channel="email"))
    entry = insert(
        TimelineEntry(
            ticket=ticket, author_customer=customer, body="Olá", data={"to": ["a@b.pt"], "n": 1}
        )
    )

    assert TimelineEntry.objects.get(pk=entry.pk).data == {"to": ["a@b.pt"], "n": 1}
    assert TimelineEntry.objects.get(pk=entry.pk).created_at == entry.created_at


def test_a_row_written_by_update_is_the_row_save_writes(db):
    customer = CustomerFactory()
    made = {"customer": customer, "customer_name": "Maria", "subject": "Fatura", "channel": "email"}
    saved, updated = insert(Ticket(**made)), insert(Ticket(**made))
    for ticket in (saved, updated):
        ticket.subject = "Fatura de outubro"
        ticket.status = Status.OPEN
    saved.save()
    update(updated)

    written, expected = _row(Ticket, updated.pk), _row(Ticket, saved.pk)
    for moment in ("id", "created_at", "updated_at", "waiting_since"):
        written.pop(moment), expected.pop(moment)
    assert written == expected
    assert written["subject"] == "Fatura de outubro"
