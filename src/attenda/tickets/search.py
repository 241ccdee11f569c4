"""Full-text search over tickets with the database's own engine."""

from attenda.tickets.models import Ticket, TimelineEntry


def index_ticket(ticket: Ticket) -> None:
    return None


def index_entry(entry: TimelineEntry) -> None:
    return None
