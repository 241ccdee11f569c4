"""Triage over the API: how a ticket and its messages were read, accepting a suggestion, revealing
an abusive message (audited, as on the ticket page) and a customer's abuse flags. A ticket, message
or customer the agent may not see answers 404, exactly like one that does not exist."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from attenda.api.errors import refused_as_conflict
from attenda.api.schemas import ErrorOut, PathId, TicketOut
from attenda.customers.models import Customer
from attenda.tickets.models import Ticket, TimelineEntry
from attenda.tickets.permissions import can_view, visible_tickets
from attenda.triage import services, tone
from attenda.triage.models import CustomerFlag, EntryReading, SupervisorFlag, TicketTriage

router = Router(tags=["triage"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ReadingOut(Schema):
    entry_id: int
    language: str
    language_confidence: float
    kind: str
    kind_confidence: float
    team_id: int | None
    team_confidence: float
    anger: float
    negative_tone: float = Field(
        ge=0,
        le=1,
        description="The chance that the message is angry, calibrated on labelled messages held"
        " out from its fitting: 0.8 means about 8 in 10 messages so scored are angry.",
    )
    urgent: bool
    leaving: bool
    abusive: bool
    abuse: str = Field(description="insult, threat, or empty.")

    @staticmethod
    def resolve_negative_tone(reading) -> float:
        return tone.negative_tone(reading.anger)


class SuggestionOut(Schema):
    kind: str
    kind_confidence: float
    team_id: int | None
    team_confidence: float
    state: str = Field(description="pending, accepted, or applied (automatically).")


class TicketTriageOut(Schema):
    ticket: int
    language: str
    suggestion: SuggestionOut | None
    flagged_for_supervisor: str | None = Field(
        description="Why the ticket is flagged for a supervisor (leaving, abuse), or null."
    )
    readings: list[ReadingOut]


class RevealedOut(Schema):
    entry_id: int
    body: str


class CustomerFlagOut(Schema):
    ticket: int = Field(validation_alias="ticket_id")
    entry_id: int
    abuse: str
    raised_at: datetime
    lifted_at: datetime | None


def _ticket(agent, number: int) -> Ticket:
    """Raises Ticket.DoesNotExist (404) for a ticket the agent may not see."""
    return visible_tickets(agent).get(pk=number)


@router.get(
    "/tickets/{number}", response={200: TicketTriageOut, **ERRORS}, summary="Read a ticket's triage"
)
def ticket_triage(request: HttpRequest, number: PathId) -> dict:
    """The ticket's language and suggestion, its open flag, and how each of its customer's
    messages was read (without their text)."""
    ticket = _ticket(request.auth, number)
    suggestion = TicketTriage.objects.filter(ticket=ticket).first()
    flag = SupervisorFlag.objects.filter(ticket=ticket, cleared_at__isnull=True).first()
    readings = EntryReading.objects.filter(ticket=ticket).order_by("created_at", "entry_id")[:200]
    return {
        "ticket": ticket.pk,
        "language": ticket.language,
        "suggestion": suggestion,
        "flagged_for_supervisor": flag.reason if flag else None,
        "readings": list(readings),
    }


@router.get(
    "/entries/{entry_id}", response={200: ReadingOut, **ERRORS}, summary="Read a message's triage"
)
def entry_reading(request: HttpRequest, entry_id: PathId) -> EntryReading:
    reading = EntryReading.objects.select_related("ticket").get(pk=entry_id)
    if not can_view(request.auth, reading.ticket):
        raise EntryReading.DoesNotExist
    return reading


@router.post(
    "/tickets/{number}/accept",
    response={200: TicketOut, **ERRORS},
    summary="Accept a ticket's suggestion",
)
def accept(request: HttpRequest, number: PathId) -> Ticket:
    """The ticket takes the suggested kind, and the suggested team with a hand-off note. 409 when no
    suggestion is waiting."""
    ticket = _ticket(request.auth, number)
    with refused_as_conflict("no_suggestion"):
        ticket = services.accept_suggestion(ticket=ticket, agent=request.auth)
    return Ticket.objects.select_related("team", "owner").get(pk=ticket.pk)


@router.post(
    "/entries/{entry_id}/reveal",
    response={200: RevealedOut, **ERRORS},
    summary="Reveal an abusive message",
)
def reveal(request: HttpRequest, entry_id: PathId) -> dict:
    """The text of a message triage hid as abusive. Recorded in the audit trail, as on the page."""
    entry: TimelineEntry = services.reveal(entry_id=entry_id, agent=request.auth)
    return {"entry_id": entry.pk, "body": entry.body}


@router.get(
    "/customers/{customer_id}/flags",
    response={200: list[CustomerFlagOut], **ERRORS},
    summary="Read a customer's abuse flags",
)
def customer_flags(request: HttpRequest, customer_id: PathId) -> list[CustomerFlag]:
    """Newest first, lifted ones too: the history. Readable by every agent, like the customer."""
    customer = Customer.objects.get(pk=customer_id)
    return list(CustomerFlag.objects.filter(customer=customer).order_by("-raised_at")[:100])
