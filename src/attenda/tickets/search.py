"""Search for the agent's search box: a ticket number, a customer's name or identity, or words in
the tickets' text (the database's own full-text engine)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from attenda.agents.models import Agent
from attenda.customers.identities import guess_kind, normalise
from attenda.customers.models import Customer, Identity
from attenda.tickets.models import Ticket, TimelineEntry
from attenda.tickets.permissions import visible_tickets


@dataclass(frozen=True)
class SearchResults:
    tickets: list[Ticket]
    customers: list[Customer]


def index_ticket(ticket: Ticket) -> None:
    return None


def index_entry(entry: TimelineEntry) -> None:
    return None


def find(agent: Agent, query: str, *, limit: int = 50) -> SearchResults:
    query = query.strip()
    if not query:
        return SearchResults(tickets=[], customers=[])
    tickets = visible_tickets(agent).select_related("team", "owner")
    number = query.removeprefix("#")
    if number.isdigit():
        return SearchResults(tickets=list(tickets.filter(pk=int(number))), customers=[])
    kind = guess_kind(query)
    if kind is not None:
        try:
            value = normalise(kind, query)
        except ValidationError:
            value = None
        customers = list(
            Customer.objects.filter(identities__in=Identity.objects.filter(kind=kind, value=value))
        )
    else:
        customers = list(
            Customer.objects.filter(name__istartswith=query, merged_into=None).order_by("name")[
                :limit
            ]
        )
    found = list(tickets.filter(customer__in=customers).order_by("-updated_at")[:limit])
    return SearchResults(tickets=found, customers=customers)
