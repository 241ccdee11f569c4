"""What other apps do with a customer's message as ``receive()`` puts it on the timeline. An app
registers its reader when Attenda starts (triage does, in its AppConfig.ready); tickets know
nothing of what is read, so no import runs from tickets to the apps that read its messages, and
they act on the ticket through the tickets' own services."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from attenda.customers.models import Customer
from attenda.tickets.models import Ticket, TimelineEntry

Reader = Callable[..., object]

_READERS: list[Reader] = []
_PREPARERS: list[Callable[[], object]] = []
_AHEAD: dict[Reader, Callable[..., object]] = {}


def register(
    reader: Reader,
    *,
    prepare: Callable[[], object] | None = None,
    read_ahead: Callable[..., object] | None = None,
) -> None:
    """``reader(entry=, ticket=, opened=)`` runs inside receive()'s transaction; it must keep the
    message received whatever goes wrong in it. ``prepare()`` loads what the reader needs (models,
    detectors) ahead of the first message; ``arrivals.prepare()`` calls it.
    ``read_ahead(kind=, text=, subject=, customer=, language=)`` reads the message before
    receive() writes it and returns what it found (with a ``language``, "" when unknown) or None;
    that language goes into the ticket and the entry as they are written, and the reader gets
    the result as ``ahead=`` instead of reading the message again."""
    if reader not in _READERS:
        _READERS.append(reader)
    if prepare is not None and prepare not in _PREPARERS:
        _PREPARERS.append(prepare)
    if read_ahead is not None:
        _AHEAD[reader] = read_ahead


@dataclass(frozen=True)
class Ahead:
    """What the readers found in a message before receive() wrote it."""

    language: str = ""
    found: dict[Reader, object] = field(default_factory=dict)


def read_ahead(*, kind: str, text: str, subject: str, customer: Customer, language: str) -> Ahead:
    """``subject`` is the new ticket's, "" for a message on an existing one. The first language
    a reader finds is the message's."""
    found, first_language = {}, ""
    for reader, ahead in _AHEAD.items():
        result = ahead(kind=kind, text=text, subject=subject, customer=customer, language=language)
        if result is not None:
            found[reader] = result
            first_language = first_language or result.language
    return Ahead(language=first_language, found=found)


def prepare() -> None:
    """Called by the processes that take messages in (web processes, the worker, the mail fetcher,
    the mail receiver) as they start: loading the language models took the first message 6-19 s on a busy machine, and the
    messages queued behind it waited as long."""
    for preparer in _PREPARERS:
        preparer()


def arrived(
    *,
    entry: TimelineEntry,
    ticket: Ticket,
    opened: bool,
    later: bool = False,
    ahead: Ahead | None = None,
) -> None:
    """``later``: the readers read the message on the worker once it is committed (a line of a
    chat under way, which the agent is waiting for), instead of in receive()'s transaction.
    ``ahead``: what ``read_ahead()`` found in it."""
    if later:
        from attenda.tickets.tasks import read_arrival  # tasks.py imports this module.

        read_arrival.enqueue_with_commit(entry.pk)
        return
    found = ahead.found if ahead is not None else {}
    for reader in _READERS:
        if reader in found:
            reader(entry=entry, ticket=ticket, opened=opened, ahead=found[reader])
        else:
            reader(entry=entry, ticket=ticket, opened=opened)


@transaction.atomic
def read_now(entry_id: int) -> None:
    """The readers on a message received earlier, its ticket locked as receive() held it."""
    entry = TimelineEntry.objects.select_related("author_customer").get(pk=entry_id)
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=entry.ticket_id)
    entry.ticket = ticket
    for reader in _READERS:
        reader(entry=entry, ticket=ticket, opened=False)
