"""What other apps do with a customer's message as ``receive()`` puts it on the timeline. An app
registers its reader when Attenda starts (triage does, in its AppConfig.ready); tickets know
nothing of what is read, so no import runs from tickets to the apps that read its messages, and
they act on the ticket through the tickets' own services."""

from collections.abc import Callable

from attenda.tickets.models import Ticket, TimelineEntry

Reader = Callable[..., object]

_READERS: list[Reader] = []
_PREPARERS: list[Callable[[], object]] = []


def register(reader: Reader, *, prepare: Callable[[], object] | None = None) -> None:
    """``reader(entry=, ticket=, opened=)`` runs inside receive()'s transaction; it must keep the
    message received whatever goes wrong in it. ``prepare()`` loads what the reader needs (models,
    detectors) ahead of the first message; ``arrivals.prepare()`` calls it."""
    if reader not in _READERS:
        _READERS.append(reader)
    if prepare is not None and prepare not in _PREPARERS:
        _PREPARERS.append(prepare)


def prepare() -> None:
    """Called by the processes that take messages in (the mail fetcher, the mail receiver) as they
    start: loading the language models took the first message 6-19 s on a busy machine, and the
    messages queued behind it waited as long."""
    for preparer in _PREPARERS:
        preparer()


def arrived(*, entry: TimelineEntry, ticket: Ticket, opened: bool) -> None:
    for reader in _READERS:
        reader(entry=entry, ticket=ticket, opened=opened)
