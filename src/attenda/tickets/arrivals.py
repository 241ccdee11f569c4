"""What other apps do with a customer's message as ``receive()`` puts it on the timeline. An app
registers its reader when Attenda starts (triage does, in its AppConfig.ready); tickets know
nothing of what is read, so no import runs from tickets to the apps that read its messages, and
they act on the ticket through the tickets' own services."""

from collections.abc import Callable

from attenda.tickets.models import Ticket, TimelineEntry

Reader = Callable[..., object]

_READERS: list[Reader] = []


def register(reader: Reader) -> None:
    """``reader(entry=, ticket=, opened=)`` runs inside receive()'s transaction; it must keep the
    message received whatever goes wrong in it."""
    if reader not in _READERS:
        _READERS.append(reader)


def arrived(*, entry: TimelineEntry, ticket: Ticket, opened: bool) -> None:
    for reader in _READERS:
        reader(entry=entry, ticket=ticket, opened=opened)
