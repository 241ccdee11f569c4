"""What a signed-in customer may read: their own tickets, and of each only what was said to or by
them. Internal notes, assignments, transfers and system events never leave this module."""

from django.db.models import QuerySet

from attenda.customers.models import Customer
from attenda.tickets.models import Attachment, Delivery, EntryKind, Ticket, TimelineEntry
from attenda.tickets.queries import entries_of

CUSTOMER_VISIBLE = [
    EntryKind.MESSAGE,
    EntryKind.REPLY,
    EntryKind.CALL,
    EntryKind.VISIT,
    EntryKind.STATUS_CHANGE,
    EntryKind.ACKNOWLEDGEMENT,
]
TICKETS_SHOWN = 500


def customer_tickets(customer: Customer) -> QuerySet[Ticket]:
    """Every ticket of the customer's record from every channel, the latest activity first
    (ticket_customer_idx). A merged record's tickets moved to the survivor, which is the one
    signed in."""
    return Ticket.objects.filter(customer=customer).order_by("-updated_at", "-id")[:TICKETS_SHOWN]


def customer_ticket(customer: Customer, number: int) -> Ticket | None:
    """The customer's ticket with that number; None for anyone else's, exactly as for none."""
    return (
        Ticket.objects.select_related("team", "merged_into")
        .filter(pk=number, customer=customer)
        .first()
    )


def _visible(entries: QuerySet[TimelineEntry]) -> QuerySet[TimelineEntry]:
    return entries.filter(kind__in=CUSTOMER_VISIBLE).exclude(
        kind=EntryKind.REPLY, delivery=Delivery.FAILED
    )


def customer_timeline(ticket: Ticket) -> QuerySet[TimelineEntry]:
    """The ticket's customer-facing history, with that of the tickets merged into it
    (entry_ticket_idx per ticket, as on the agent's ticket page)."""
    return (
        _visible(entries_of(ticket))
        .select_related("author_agent")
        .prefetch_related("attachments__blob")
        .order_by("created_at", "id")
    )


def customer_attachment(customer: Customer, attachment_id: int) -> Attachment | None:
    """A file on a visible entry of one of the customer's tickets; None otherwise."""
    return (
        Attachment.objects.select_related("blob", "entry")
        .filter(
            pk=attachment_id,
            entry__ticket__customer=customer,
            entry__kind__in=CUSTOMER_VISIBLE,
        )
        .first()
    )


def customer_data(customer: Customer) -> dict:
    """Everything the portal shows about the customer, as data (GDPR art. 15 and 20): their record,
    their identities, and their tickets with the messages of each."""
    tickets = []
    for ticket in Ticket.objects.filter(customer=customer).order_by("created_at", "id"):
        entries = (
            _visible(ticket.timeline.all())
            .prefetch_related("attachments__blob")
            .order_by("created_at", "id")
        )
        tickets.append(
            {
                "number": ticket.number,
                "subject": ticket.subject,
                "kind": ticket.kind,
                "status": ticket.status,
                "channel": ticket.channel,
                "language": ticket.language,
                "created_at": ticket.created_at.isoformat(),
                "updated_at": ticket.updated_at.isoformat(),
                "solved_at": ticket.solved_at.isoformat() if ticket.solved_at else None,
                "legal_deadline": ticket.legal_deadline.isoformat()
                if ticket.legal_deadline
                else None,
                "merged_into": ticket.merged_into_id,
                "messages": [
                    {
                        "kind": entry.kind,
                        "from": "customer" if entry.author_customer_id else "company",
                        "channel": entry.channel,
                        "created_at": entry.created_at.isoformat(),
                        "text": "" if entry.kind == EntryKind.STATUS_CHANGE else entry.body,
                        "status": entry.data.get("to")
                        if entry.kind == EntryKind.STATUS_CHANGE
                        else None,
                        "attachments": [
                            {
                                "filename": attachment.filename,
                                "content_type": attachment.content_type,
                                "size": attachment.blob.size,
                                "sha256": attachment.blob.sha256,
                            }
                            for attachment in entry.attachments.all()
                        ],
                    }
                    for entry in entries
                ],
            }
        )
    return {
        "customer": {
            "id": customer.pk,
            "name": customer.name,
            "language": customer.language,
            "country": customer.country,
            "organization": customer.organization.name if customer.organization else None,
            "created_at": customer.created_at.isoformat(),
            "merged_records": list(customer.absorbed.values_list("id", flat=True)),
        },
        "identities": [
            {
                "kind": identity.kind,
                "value": identity.value,
                "since": identity.created_at.isoformat(),
            }
            for identity in customer.identities.order_by("created_at")
        ],
        "tickets": tickets,
    }
