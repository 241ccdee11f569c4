"""What other apps do with a customer's message as ``receive()`` puts it on the timeline. An app
registers its reader when Attenda starts (triage does, in its AppConfig.ready); tickets know
nothing of what is read, so no import runs from tickets to the apps that read its messages, and
they act on the ticket through the tickets' own services."""

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction

from attenda.core.tasks import BatchTask
from attenda.customers import identities
from attenda.customers.models import Customer, IdentityKind
from attenda.tickets.models import PendingArrival, Ticket, TimelineEntry
from attenda.tickets.turns import write_in_turns

Reader = Callable[..., object]

# Messages read later (``arrived(later=True)``) wait this long after a commit, so that the lines
# of the chats under way meanwhile share one task of the worker (and one transaction per batch)
# instead of a task each: a task is three turns at SQLite's one write lock (claimed, run, marked
# done), which every chat line waited behind. Each web process queues at most one a second; the
# scheduler runs the same task every few seconds for what a stopped process left waiting.
READER = BatchTask("attenda.tickets.tasks.read_waiting_arrivals", delay=1.0)
# Messages read ahead per run of read_waiting (their readers then write in turns of a few ms).
READ_BATCH = 50

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
    # Django's email validator compiles its domain pattern when it first checks an address: 38 ms
    # of the first message that names a customer by address.
    identities.normalise(IdentityKind.EMAIL, "someone@example.com")


def prepare_and_set_aside() -> None:
    """``prepare()``, then what the process loaded (Django, the models, the readers' detectors:
    235,000 objects, which live as long as it does) set aside from the garbage collector, whose
    full collections scanned it all: 134 ms of CPU in whichever message one fell on, one in
    2,000. For the mail fetcher and receiver and the worker; a web process loads its pages after
    ``prepare()`` and sets everything aside itself (asgi.py)."""
    prepare()
    gc.collect()
    gc.freeze()


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
        PendingArrival.objects.create(entry=entry)
        READER.after_commit()
        return
    found = ahead.found if ahead is not None else {}
    for reader in _READERS:
        if reader in found:
            reader(entry=entry, ticket=ticket, opened=opened, ahead=found[reader])
        else:
            reader(entry=entry, ticket=ticket, opened=opened)


def read_waiting(*, batch: int = READ_BATCH) -> int:
    """The readers on the oldest messages waiting to be read, at most ``batch``, in transactions of
    a few milliseconds each (turns.write_in_turns) that also take them off the queue; returns how
    many. What the readers find is read before those (``read_ahead``), so that SQLite's one write
    lock is held only for their writes, and a chat line waits for a few of them at most. Several
    workers may run it at once: on PostgreSQL each takes rows the others have not locked, on
    SQLite they take turns and a row another took meanwhile is left to it."""
    waiting = list(PendingArrival.objects.order_by("pk").values_list("pk", "entry_id")[:batch])
    if not waiting:
        return 0
    entries = TimelineEntry.objects.select_related("author_customer").in_bulk(
        [entry_id for _pk, entry_id in waiting]
    )
    found = {entry.pk: _read_ahead_of(entry) for entry in entries.values() if entry.author_customer}
    rows = [(pk, entries.get(entry_id), None) for pk, entry_id in waiting]
    return write_in_turns(
        rows,
        take=_take_waiting,
        write=lambda row: _read_taken(row, found),
        done=lambda read: PendingArrival.objects.filter(pk__in=[row[0] for row in read]).delete(),
    )


# A waiting message: its row in the queue, its entry, and its ticket once locked.
_Waiting = tuple[int, TimelineEntry | None, Ticket | None]


def _take_waiting(rows: list[_Waiting]) -> list[_Waiting]:
    """The rows still waiting, with their tickets locked (in id order, as every lock of several
    rows is, so that two workers never wait for each other)."""
    queued = PendingArrival.objects.filter(pk__in=[pk for pk, _entry, _ticket in rows])
    if connection.features.has_select_for_update_skip_locked:
        queued = queued.select_for_update(skip_locked=True)
    taken = set(queued.values_list("pk", flat=True))
    entries = [(pk, entry) for pk, entry, _ticket in rows if pk in taken]
    tickets = {
        ticket.pk: ticket
        for ticket in Ticket.objects.select_for_update(of=("self",))
        .filter(pk__in={entry.ticket_id for _pk, entry in entries if entry is not None})
        .order_by("pk")
    }
    return [
        (pk, entry, tickets.get(entry.ticket_id) if entry is not None else None)
        for pk, entry in entries
    ]


def _read_taken(row: _Waiting, found: dict[int, Ahead]) -> None:
    _pk, entry, ticket = row
    if entry is None or ticket is None:
        return
    entry.ticket = ticket
    arrived(entry=entry, ticket=ticket, opened=False, ahead=found.get(entry.pk))


def _read_ahead_of(entry: TimelineEntry) -> Ahead:
    return read_ahead(
        kind=entry.kind,
        text=entry.body,
        subject="",
        customer=entry.author_customer,
        language=entry.language,
    )


def read_all_waiting(*, seconds: float | None = None) -> int:
    """Runs read_waiting until no message waits (or ``seconds`` have passed); returns how many it
    read."""
    started = time.monotonic()
    read = 0
    while done := read_waiting():
        read += done
        if seconds is not None and time.monotonic() - started > seconds:
            break
    return read


@transaction.atomic
def read_now(entry_id: int) -> None:
    """The readers on a message received earlier, its ticket locked as receive() held it (the task
    of a message queued by an earlier version of Attenda, one task a message)."""
    entry = TimelineEntry.objects.select_related("author_customer").get(pk=entry_id)
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=entry.ticket_id)
    entry.ticket = ticket
    for reader in _READERS:
        reader(entry=entry, ticket=ticket, opened=False)
