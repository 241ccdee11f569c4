"""What other apps do with a customer's message as ``receive()`` puts it on the timeline. An app
registers its reader when Attenda starts (triage does, in its AppConfig.ready); tickets know
nothing of what is read, so no import runs from tickets to the apps that read its messages, and
they act on the ticket through the tickets' own services."""

from collections.abc import Callable

from django.db import transaction

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
    """Called by the processes that take messages in (web processes, the worker, the mail fetcher,
    the mail receiver) as they start: loading the language models took the first message 6-19 s on a busy machine, and the
    messages queued behind it waited as long."""
    for preparer in _PREPARERS:
        preparer()


def arrived(*, entry: TimelineEntry, ticket: Ticket, opened: bool, later: bool = False) -> None:
    """``later``: the readers read the message on the worker once it is committed (a line of a
    chat under way, which the agent is waiting for), instead of in receive()'s transaction."""
    if later:
        from attenda.tickets.tasks import read_arrival  # tasks.py imports this module.

        read_arrival.enqueue_on_commit(entry.pk)
        return
    for reader in _READERS:
        reader(entry=entry, ticket=ticket, opened=opened)


@transaction.atomic
def read_now(entry_id: int) -> None:
    """The readers on a message received earlier, its ticket locked as receive() held it."""
    entry = TimelineEntry.objects.select_related("author_customer").get(pk=entry_id)
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=entry.ticket_id)
    entry.ticket = ticket
    for reader in _READERS:
        reader(entry=entry, ticket=ticket, opened=False)
