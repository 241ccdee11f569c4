"""Every write to tickets and their timelines. Views, the API, channel adapters and tasks call these;
each checks permission, writes the timeline entry and the audit record itself, in one transaction,
and starts side effects only once it commits."""

import os
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from attenda.agents.models import Agent, Team
from attenda.core import audit, clock
from attenda.core.inserts import insert
from attenda.core.lookups import unique_or_none
from attenda.customers.models import Customer
from attenda.customers.services import identify, survivor
from attenda.routing import assignment, service_levels
from attenda.routing.deadlines import keep_longest, rule_for, statutory_deadline
from attenda.routing.queries import statutory_rules
from attenda.routing.service_levels import SERVICE_FIELDS
from attenda.tickets import arrivals, delivery, search
from attenda.tickets.messages import Inbound, InboundFile
from attenda.tickets.models import (
    OPEN_STATUSES,
    Activity,
    Attachment,
    Blob,
    Channel,
    Delivery,
    EntryKind,
    Kind,
    Participant,
    Presence,
    Priority,
    Status,
    Tag,
    Ticket,
    TimelineEntry,
)
from attenda.tickets.permissions import receives_handoff, require_assign, require_view
from attenda.tickets.tasks import notify_handoff

# Relations full_clean() would look up one query each; the services set them from real objects.
NOT_CLEANED = ["customer", "team", "owner", "pinned_handoff", "merged_into", "service_level"]


@dataclass(frozen=True)
class Received:
    ticket: Ticket
    entry: TimelineEntry
    opened: bool
    duplicate: bool = False


@dataclass(frozen=True)
class BlobFile:
    """Bytes written to their file ahead of the transaction that keeps their row (``store_blob``):
    the file's write is the costliest part of keeping them, and on SQLite every other writer waits
    for a transaction that holds the write lock. ``name`` is None when a file had that name
    already."""

    content: bytes
    digest: str
    name: str | None


def write_blob_file(content: bytes) -> BlobFile:
    digest = Blob.digest(content)
    return BlobFile(content, digest, _write_blob_file(digest, content))


def store_blob(content: bytes | BlobFile) -> Blob:
    """The content's Blob, stored once. Every message that comes in keeps its bytes here, almost
    always new ones, so its file is written first under the content's digest (before the caller's
    transaction, when it passes a ``write_blob_file``) and its row inserted in one written-out
    statement (building them cost Django more than running them); content kept already is found
    when its file is. Two writers of the same new content at once keep one row; the other's file is
    left unused."""
    written = content if isinstance(content, BlobFile) else write_blob_file(content)
    digest = written.digest
    blob = Blob(sha256=digest, size=len(written.content))
    if written.name is None:
        blob_found = _stored_blob(digest)
        if blob_found is not None:
            return blob_found
        # A file left by a write that was rolled back, or another writer's at this moment: the
        # storage chooses another name.
        blob.content.save(digest, ContentFile(written.content), save=False)
    else:
        blob.content.name = written.name
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_blob (sha256, size, content, created_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (sha256) DO NOTHING RETURNING id",
            [
                digest,
                blob.size,
                blob.content.name,
                connection.ops.adapt_datetimefield_value(blob.created_at),
            ],
        )
        inserted = cursor.fetchone()
    if inserted is None:
        return _stored_blob(digest)
    blob.pk = inserted[0]
    blob._state.adding = False
    return blob


def _write_blob_file(digest: str, content: bytes) -> str | None:
    """Writes the content to its file named by ``digest`` when files are kept on the local disk,
    as the storage would (its folder and permissions) without its search for a free name; returns
    the name, or None when a file has that name already (the content kept before, or a file to
    leave alone) or the storage is another."""
    field = Blob._meta.get_field("content")
    storage = field.storage
    if not isinstance(storage, FileSystemStorage):
        return None
    name = posixpath.join(field.upload_to, digest)
    path = storage.path(name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags, 0o666)
    except FileExistsError:
        return None
    except FileNotFoundError:  # the first file: the storage makes its folder
        return storage.save(name, ContentFile(content))
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        if storage.file_permissions_mode is not None:
            os.chmod(path, storage.file_permissions_mode)
    except BaseException:
        os.unlink(path)
        raise
    return name


def _stored_blob(digest: str) -> Blob | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, sha256, size, content FROM tickets_blob WHERE sha256 = %s", [digest]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    # created_at is left deferred: read if ever asked for.
    return Blob.from_db(connection.alias, ["id", "sha256", "size", "content"], row)


def _attach(entry: TimelineEntry, files: Iterable[InboundFile]) -> list[str]:
    """Stores the files; returns the names of those refused for their size, to say so on the timeline."""
    refused = []
    for inbound_file in files:
        if len(inbound_file.content) > settings.ATTACHMENT_MAX_BYTES:
            refused.append(inbound_file.filename)
            continue
        insert(
            Attachment(
                entry=entry,
                blob=store_blob(inbound_file.content),
                filename=inbound_file.filename[:255],
                content_type=inbound_file.content_type[:255],
            )
        )
    return refused


def _append(ticket: Ticket, **fields) -> TimelineEntry:
    entry = insert(TimelineEntry(ticket=ticket, **fields))
    if entry.body:
        search.queue_entry(entry)
    return entry


def _thread(inbound: Inbound, customer: Customer) -> Ticket | None:
    """The open matter this message continues, if any. Only tickets of this customer, or on which
    the sender takes part, qualify, so a quoted number or a forged reference cannot drop a message
    into a stranger's ticket."""
    if inbound.ticket_number is None and not inbound.references:
        return None  # most new mail: nothing to thread by, and the queries need not be built
    addresses = [claim.value.strip().lower() for claim in inbound.claims if claim.kind == "email"]
    taking_part = Participant.objects.filter(address__in=addresses).values("ticket_id")
    candidates = Ticket.objects.select_for_update(of=("self",)).filter(
        Q(customer=customer) | Q(pk__in=taking_part), merged_into=None
    )
    ticket = None
    if inbound.ticket_number is not None:
        ticket = unique_or_none(candidates.filter(pk=inbound.ticket_number))
    if ticket is None and inbound.references:
        referenced = (
            TimelineEntry.objects.filter(
                Q(ticket__customer=customer) | Q(ticket_id__in=taking_part),
                external_id__in=inbound.references[-50:],
            )
            .order_by("-created_at")
            .values_list("ticket_id", flat=True)
            .first()
        )
        if referenced is not None:
            ticket = unique_or_none(candidates.filter(pk=referenced))
    if ticket is not None and ticket.status == Status.CLOSED:
        return None
    return ticket


@transaction.atomic
def receive(
    inbound: Inbound, *, logged_by: Agent | None = None, owner: Agent | None = None
) -> Received:
    """The one way in: identify the customer, thread the message into its ticket or open one, and put
    it on the timeline. The same external id twice returns the first result instead of a copy.
    ``owner`` (the agent who logged a call) takes a new ticket of one of their teams when the team's
    assignment chose nobody (a team that assigns by hand, nobody available)."""
    if inbound.external_id:
        # Asked of every message and almost never found: written out, the entry read only if found.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM tickets_timelineentry WHERE external_id = %s AND channel = %s "
                "LIMIT 1",
                [inbound.external_id, inbound.channel],
            )
            found = cursor.fetchone()
        if found is not None:
            earlier = TimelineEntry.objects.select_related("ticket").get(pk=found[0])
            return Received(ticket=earlier.ticket, entry=earlier, opened=False, duplicate=True)
    if inbound.customer_id is not None:
        customer = survivor(Customer.objects.get(pk=inbound.customer_id))
    else:
        customer = identify(
            claims=inbound.claims,
            name=inbound.sender_name,
            language=inbound.language,
            actor=logged_by,
        )
    now = inbound.received_at or clock.now()
    ticket = _thread(inbound, customer)
    opened = ticket is None
    reopened = not opened and ticket.status == Status.SOLVED
    later = inbound.read_later and not opened
    subject = inbound.subject.strip() or _first_line(inbound.body) or _("(no subject)")
    # Read before anything is written, so the language found goes into the INSERTs.
    ahead = None
    if not later:
        ahead = arrivals.read_ahead(
            kind=inbound.entry_kind,
            text=inbound.body,
            subject=subject if opened else "",
            customer=customer,
            language=inbound.language,
        )
    language = (ahead.language if ahead else "") or inbound.language
    if ticket is None:
        ticket = Ticket(
            customer=customer,
            customer_name=customer.name,
            subject=subject,
            channel=inbound.channel,
            language=language or customer.language,
            team_id=inbound.team_id,
            created_at=now,
            waiting_since=now,
            updated_at=now,
            preview=message_preview(inbound.body),
        )
        if inbound.kind:
            ticket.kind = inbound.kind
        if inbound.priority:
            ticket.priority = inbound.priority
        hold_legal_deadline(ticket, customer)
        service_levels.start_clocks(ticket, now=now)
        ticket.full_clean(exclude=NOT_CLEANED)
        insert(ticket)
    else:
        previous = ticket.status
        if ticket.status not in (Status.NEW, Status.OPEN):
            ticket.waiting_since = now
            if ticket.status == Status.SOLVED:
                _status_entry(
                    ticket, Status.OPEN, actor=None, reason=_("The customer wrote again.")
                )
            ticket.status = Status.OPEN
            service_levels.status_changed(ticket, previous=previous, now=now)
        service_levels.customer_wrote(ticket, now=now)
        ticket.updated_at = now
        ticket.preview = message_preview(inbound.body)
        ticket.save(
            update_fields=["status", "waiting_since", "updated_at", "preview", *SERVICE_FIELDS]
        )
    entry = insert(
        TimelineEntry(
            ticket=ticket,
            kind=inbound.entry_kind,
            created_at=now,
            author_customer=customer,
            author_agent=logged_by,
            channel=inbound.channel,
            body=inbound.body,
            language=language,
            external_id=inbound.external_id,
            raw_id=_raw_blob_id(inbound),
            data=inbound.entry_data,
        )
    )
    # The new ticket's subject and the message wait for the search index in one statement.
    search.queue_texts(ticket=ticket if opened else None, entries=[entry])
    arrivals.arrived(entry=entry, ticket=ticket, opened=opened, later=later, ahead=ahead)
    refused = _attach(entry, inbound.files)
    if refused:
        _append(
            ticket,
            kind=EntryKind.EVENT,
            created_at=now,
            body=_("These attachments were larger than the limit and were not stored: %(names)s")
            % {"names": ", ".join(refused)},
        )
    assignment.route_received(ticket=ticket, opened=opened, reopened=reopened)
    if (
        opened
        and ticket.owner_id is None
        and owner is not None
        and owner.is_active
        and (ticket.team_id is None or ticket.team_id in owner.team_ids())
    ):
        _append(
            ticket,
            kind=EntryKind.ASSIGNMENT,
            created_at=now,
            author_agent=owner,
            data={"from": None, "to": owner.pk},
        )
        ticket.owner = owner
        ticket.save(update_fields=["owner"])
    audit.record(
        actor=logged_by, action="ticket.received", target=ticket, entry=entry.pk, opened=opened
    )
    return Received(ticket=ticket, entry=entry, opened=opened)


def _raw_blob_id(inbound: Inbound) -> int | None:
    if inbound.raw_blob_id is not None:
        return inbound.raw_blob_id
    return store_blob(inbound.raw).pk if inbound.raw is not None else None


def hold_legal_deadline(ticket: Ticket, customer: Customer) -> None:
    """Gives a complaint or warranty claim the statutory deadline of the customer's country (the
    shipped rules and the admins' ones), counted from when the ticket was received, and the
    escalation the rule asks for before it. Recomputed when the kind changes, it is never
    shortened. The demo's bulk writer calls it too, so its tickets are the ones the services make."""
    if not customer.country:
        return
    rule = rule_for(
        customer.country, ticket.kind, on=ticket.created_at.date(), rules=statutory_rules()
    )
    if rule is None:
        return
    deadline = statutory_deadline(rule, ticket.created_at)
    if ticket.legal_deadline is not None:
        deadline = keep_longest(ticket.legal_deadline, deadline)
    ticket.legal_deadline = deadline
    ticket.legal_consequence = rule.consequence
    service_levels.hold_legal_clock(
        ticket, warn=deadline - timedelta(days=rule.escalate_days_before)
    )


PREVIEW_LENGTH = 160


def message_preview(text: str) -> str:
    """The start of a message on one line, as the inbox shows it beside the subject."""
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_LENGTH else line[: PREVIEW_LENGTH - 1] + "…"


def hold_legal_deadlines_of(customer: Customer) -> list[Ticket]:
    """The customer's country was set or changed: each of their open complaints and warranty claims
    gets the statutory deadline of that country, counted from when it was received, or keeps the
    one it had when that is later. Returns the tickets whose deadline changed."""
    changed = []
    tickets = Ticket.objects.select_for_update().filter(
        customer=customer, is_open=True, kind__in=[Kind.COMPLAINT, Kind.WARRANTY_CLAIM]
    )
    for ticket in tickets.order_by("pk"):
        before = ticket.legal_deadline
        hold_legal_deadline(ticket, customer)
        if ticket.legal_deadline == before:
            continue
        ticket.save(update_fields=["legal_deadline", "legal_consequence", *SERVICE_FIELDS])
        _append(
            ticket,
            kind=EntryKind.EVENT,
            body=_("The customer's country is now known: the legal deadline applies."),
            data={
                "legal_deadline": {
                    "from": before and before.isoformat(),
                    "country": customer.country,
                }
            },
        )
        changed.append(ticket)
    return changed


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


@transaction.atomic
def log_contact(
    *,
    agent: Agent,
    customer: Customer,
    channel: Channel,
    body: str,
    subject: str = "",
    ticket: Ticket | None = None,
    team: Team | None = None,
    solved: bool = False,
) -> Received:
    """An agent records a phone call or an office visit, on an existing ticket or a new one. The
    team's assignment chooses the new ticket's owner (the customer's own agent, say); when it
    chooses nobody, the agent who took the call handled it and owns it, if in its team. ``solved``
    closes the matter in the same step."""
    if channel not in (Channel.PHONE, Channel.COUNTER):
        raise ValidationError(
            {"channel": _("A contact is logged for a phone call or an office visit.")}
        )
    if not body.strip():
        raise ValidationError({"body": _("Write what the customer said.")})
    if ticket is not None:
        require_view(agent, ticket)
    received = receive(
        Inbound(
            channel=channel,
            claims=[],
            customer_id=customer.pk,
            body=body,
            subject=subject,
            entry_kind=EntryKind.CALL if channel == Channel.PHONE else EntryKind.VISIT,
            ticket_number=ticket.pk if ticket else None,
            team_id=team.pk if team else (agent.team_ids() or [None])[0],
            language=customer.language,
        ),
        logged_by=agent,
        owner=agent,
    )
    if solved:
        set_status(ticket=received.ticket, status=Status.SOLVED, actor=agent)
        received.ticket.refresh_from_db()
    return received


def _status_entry(
    ticket: Ticket, status: Status, *, actor: Agent | None, reason: str = ""
) -> TimelineEntry:
    entry = _append(
        ticket,
        kind=EntryKind.STATUS_CHANGE,
        author_agent=actor,
        body=reason,
        data={"from": ticket.status, "to": status},
    )
    if status == Status.SOLVED:
        ticket.solved_at = entry.created_at
    return entry


def _require_text(body: str) -> None:
    if not body.strip():
        raise ValidationError({"body": _("Write a message first.")})


MAX_CC = 20


def valid_cc(addresses: Iterable[str]) -> list[str]:
    """The addresses an agent copies a reply to, checked one by one so the message names the wrong
    one; lower-cased, each once."""
    cleaned: list[str] = []
    for address in addresses:
        address = address.strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError as error:
            raise ValidationError(
                {"cc": _("%(address)s is not an email address.") % {"address": address}}
            ) from error
        if address not in cleaned:
            cleaned.append(address)
    if len(cleaned) > MAX_CC:
        raise ValidationError(
            {"cc": _("Copy a reply to %(count)s addresses at most.") % {"count": MAX_CC}}
        )
    return cleaned


def _require_fitting(files: list[InboundFile]) -> None:
    """An agent's file over the limit is refused before anything is written, so they can send a
    smaller one; a customer's is kept out and said on the timeline (``_attach``)."""
    too_large = [
        file.filename for file in files if len(file.content) > settings.ATTACHMENT_MAX_BYTES
    ]
    if too_large:
        raise ValidationError(
            {
                "files": _("These files are larger than %(limit)s: %(names)s")
                % {
                    "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
                    "names": ", ".join(too_large),
                }
            }
        )


def _written_once(ticket: Ticket, agent: Agent, kind: EntryKind, once: str) -> TimelineEntry | None:
    """The entry this agent already wrote on this ticket from the form that carried ``once``, when
    its POST comes again (a browser resends one whose connection broke before any answer). The
    caller holds the ticket's row lock (on SQLite, the write lock its transaction begins with), so
    a resend waits for the first sending to commit."""
    if not once:
        return None
    return TimelineEntry.objects.filter(
        ticket=ticket, kind=kind, author_agent=agent, data__once=once
    ).first()


@transaction.atomic
def reply(
    *,
    ticket: Ticket,
    agent: Agent,
    body: str,
    status: Status = Status.WAITING_ON_CUSTOMER,
    channel: Channel | str | None = None,
    cc: Iterable[str] = (),
    files: Iterable[InboundFile] = (),
    once: str = "",
) -> TimelineEntry:
    """Answers the customer on ``channel``, by default the ticket's own. A reply that cannot be
    delivered is kept on the timeline as not sent, with the reason, and does not leave the ticket
    waiting on a customer who never got it; the chosen route (address, mailbox, copies) is kept on
    the entry. A reply sent again with the same ``once`` token is the one already written."""
    require_view(agent, ticket)
    _require_text(body)
    cc = valid_cc(cc)
    files = list(files)
    _require_fitting(files)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if written := _written_once(ticket, agent, EntryKind.REPLY, once):
        return written
    chosen = delivery.route(ticket, channel)
    # Refusals by what the ticket and its customer are now (code "cannot_send"), not by the request.
    if channel and chosen.channel != ticket.channel and not chosen.can_deliver:
        raise ValidationError({"channel": ValidationError(chosen.reason, code="cannot_send")})
    if cc and chosen.channel != Channel.EMAIL:
        raise ValidationError(
            {
                "cc": ValidationError(
                    _("Copies can only be sent with a reply by email."), code="cannot_send"
                )
            }
        )
    data = {"once": once} if once else {}
    if chosen.can_deliver:
        data["to"], data["from"] = chosen.address, chosen.sender
    if cc:
        data["cc"] = cc
    entry = _append(
        ticket,
        kind=EntryKind.REPLY,
        author_agent=agent,
        channel=chosen.channel,
        body=body,
        data=data,
    )
    _attach(entry, files)
    delivery.deliver(entry, chosen)
    reached = entry.delivery not in (Delivery.FAILED, Delivery.BOUNCED)
    if reached:
        service_levels.answered(ticket, channel=chosen.channel)
        if ticket.first_response_at is None:
            ticket.first_response_at = entry.created_at
    elif status == Status.WAITING_ON_CUSTOMER:
        status = ticket.status
    if status != ticket.status:
        _status_entry(ticket, status, actor=agent)
        previous, ticket.status = ticket.status, status
        service_levels.status_changed(ticket, previous=previous, now=entry.created_at)
    if reached or ticket.status not in (Status.NEW, Status.OPEN):
        ticket.waiting_since = entry.created_at
    ticket.updated_at = entry.created_at
    ticket.save()
    audit.record(actor=agent, action="ticket.replied", target=ticket, entry=entry.pk)
    return entry


@transaction.atomic
def delivery_failed(*, entry_id: int, state: Delivery, note: str) -> None:
    """A reply on its way that did not reach the customer (the server refused it, it bounced): said
    on its entry, and a ticket left waiting on the customer for it opens again, since the customer
    has not heard from us. Channels call this; a failure found while replying is ``reply()``'s."""
    entry = TimelineEntry.objects.get(pk=entry_id)
    was_on_its_way = entry.delivery in (Delivery.QUEUED, Delivery.SENT)
    TimelineEntry.objects.filter(pk=entry_id).update(delivery=state, delivery_note=note[:500])
    if entry.kind != EntryKind.REPLY or not was_on_its_way:
        return
    ticket = Ticket.objects.select_for_update().get(pk=entry.ticket_id)
    answered_since = (
        TimelineEntry.objects.filter(
            ticket=ticket, kind=EntryKind.REPLY, created_at__gt=entry.created_at
        )
        .exclude(delivery__in=[Delivery.FAILED, Delivery.BOUNCED])
        .exists()
    )
    if ticket.status != Status.WAITING_ON_CUSTOMER or answered_since:
        return
    status_entry = _status_entry(
        ticket, Status.OPEN, actor=None, reason=_("The reply did not reach the customer.")
    )
    previous, ticket.status = ticket.status, Status.OPEN
    service_levels.status_changed(ticket, previous=previous, now=status_entry.created_at)
    ticket.waiting_since = ticket.updated_at = status_entry.created_at
    ticket.save()


def add_acknowledgement(*, ticket: Ticket, body: str, channel: Channel) -> TimelineEntry:
    """Attenda's own answer to a new ticket, on the channel the customer used, waiting for the
    channel to send it. Not indexed for search: the same words are on every new ticket."""
    return TimelineEntry.objects.create(
        ticket=ticket,
        kind=EntryKind.ACKNOWLEDGEMENT,
        channel=channel,
        body=body,
        delivery=Delivery.QUEUED,
    )


def add_event(*, ticket: Ticket, body: str, data: dict | None = None) -> TimelineEntry:
    """Something that happened to a ticket outside anyone's hands (a bounce, a held mail), said on
    its timeline."""
    return _append(ticket, kind=EntryKind.EVENT, body=body, data=data or {})


def propose_copies(*, ticket: Ticket, copies: list[dict]) -> TimelineEntry:
    """People a message copied, proposed to the agent as participants (``{"address", "name"}``
    each). Nobody receives the replies until an agent confirms them with ``confirm_copies``."""
    return _append(
        ticket,
        kind=EntryKind.EVENT,
        body=_(
            "This mail was also sent to %(count)s other people. Confirm who should receive the "
            "replies too."
        )
        % {"count": len(copies)},
        data={"proposed_copies": copies},
    )


def pending_copies(entries: Iterable[TimelineEntry]) -> set[int]:
    """Of these timeline entries, the proposals of copies nobody decided on yet."""
    proposed: set[int] = set()
    decided: set[int] = set()
    for entry in entries:
        if entry.kind != EntryKind.EVENT:
            continue
        if entry.data.get("proposed_copies"):
            proposed.add(entry.pk)
        if entry.data.get("copies_decided"):
            decided.add(entry.data["copies_decided"].get("proposal"))
    return proposed - decided


@transaction.atomic
def confirm_copies(
    *, ticket: Ticket, agent: Agent, proposal_id: int, addresses: Iterable[str]
) -> list[Participant]:
    """The agent says which of the proposed people take part in the ticket; the others do not.
    Only addresses of that proposal can be confirmed, and each proposal is decided once."""
    require_view(agent, ticket)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    proposal = unique_or_none(
        TimelineEntry.objects.filter(
            ticket=ticket, pk=proposal_id, kind=EntryKind.EVENT, data__has_key="proposed_copies"
        )
    )
    if proposal is None:
        raise ValidationError({"proposal": _("There is no such proposal on this ticket.")})
    if proposal.pk not in pending_copies(
        ticket.timeline.filter(kind=EntryKind.EVENT, created_at__gte=proposal.created_at)
    ):
        raise ValidationError({"proposal": _("Someone already decided on these people.")})
    proposed = {copy["address"]: copy.get("name", "") for copy in proposal.data["proposed_copies"]}
    wanted = {address.strip().lower() for address in addresses}
    if not wanted <= set(proposed):
        raise ValidationError({"addresses": _("Only the proposed people can be confirmed.")})
    confirmed = [address for address in proposed if address in wanted]
    participants = Participant.objects.bulk_create(
        [
            Participant(ticket=ticket, address=address, name=proposed[address])
            for address in confirmed
        ],
        ignore_conflicts=True,
    )
    _append(
        ticket,
        kind=EntryKind.EVENT,
        author_agent=agent,
        body=(
            _("These people now receive the replies too: %(addresses)s.")
            % {"addresses": ", ".join(confirmed)}
            if confirmed
            else _("Nobody copied on that mail receives the replies.")
        ),
        data={
            "copies_decided": {
                "proposal": proposal.pk,
                "confirmed": confirmed,
                "declined": [address for address in proposed if address not in wanted],
            }
        },
    )
    audit.record(actor=agent, action="ticket.copies_confirmed", target=ticket, addresses=confirmed)
    return participants


@transaction.atomic
def add_note(
    *,
    ticket: Ticket,
    agent: Agent,
    body: str,
    files: Iterable[InboundFile] = (),
    once: str = "",
) -> TimelineEntry:
    """A note for colleagues only, with files if any; the customer never sees it. A note sent again
    with the same ``once`` token is the one already written."""
    require_view(agent, ticket)
    _require_text(body)
    files = list(files)
    _require_fitting(files)
    if once:
        # Two sendings of one note, one after the other: the second sees what the first wrote.
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if written := _written_once(ticket, agent, EntryKind.NOTE, once):
            return written
    entry = _append(
        ticket,
        kind=EntryKind.NOTE,
        author_agent=agent,
        body=body,
        data={"once": once} if once else {},
    )
    _attach(entry, files)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=entry.created_at)
    audit.record(actor=agent, action="ticket.noted", target=ticket, entry=entry.pk)
    return entry


@transaction.atomic
def set_status(*, ticket: Ticket, status: Status, actor: Agent) -> Ticket:
    require_view(actor, ticket)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if status == ticket.status:
        return ticket
    entry = _status_entry(ticket, status, actor=actor)
    previous, ticket.status = ticket.status, status
    service_levels.status_changed(ticket, previous=previous, now=entry.created_at)
    ticket.updated_at = entry.created_at
    if status in (Status.NEW, Status.OPEN):
        ticket.waiting_since = entry.created_at
    ticket.save()
    audit.record(actor=actor, action="ticket.status_changed", target=ticket, status=status)
    return ticket


@transaction.atomic
def solve_for_customer(*, ticket: Ticket, customer: Customer) -> Ticket:
    """The customer says their matter is solved (from the portal). Only their own open ticket; the
    status entry names them, and writing again reopens it as any solved ticket."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.customer_id != survivor(customer).pk or ticket.merged_into_id is not None:
        raise PermissionDenied
    if ticket.status not in OPEN_STATUSES:
        return ticket
    entry = _status_entry(
        ticket, Status.SOLVED, actor=None, reason=_("The customer marked it solved.")
    )
    TimelineEntry.objects.filter(pk=entry.pk).update(author_customer=ticket.customer_id)
    previous, ticket.status = ticket.status, Status.SOLVED
    service_levels.status_changed(ticket, previous=previous, now=entry.created_at)
    ticket.updated_at = entry.created_at
    ticket.save()
    audit.record(actor=None, action="ticket.solved_by_customer", target=ticket)
    return ticket


@transaction.atomic
def assign(*, ticket: Ticket, owner: Agent | None, actor: Agent, reason: str = "") -> Ticket:
    """Gives the ticket an owner (or none). Hand-offs to someone else go through ``transfer``."""
    require_assign(actor, ticket, owner)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if owner is not None and ticket.team_id is not None and ticket.team_id not in owner.team_ids():
        raise ValidationError(
            {"owner": _("%(agent)s is not in this ticket's team.") % {"agent": owner}}
        )
    if owner is not None and not owner.is_active:
        raise ValidationError({"owner": _("%(agent)s cannot take tickets.") % {"agent": owner}})
    if ticket.owner_id == (owner.pk if owner else None):
        return ticket
    data = {"from": ticket.owner_id, "to": owner.pk if owner else None}
    if ticket.owner_id not in (None, actor.pk) and owner is not None and owner.pk != actor.pk:
        data["override"] = True  # Only a supervisor can move a ticket between two others.
    entry = _append(ticket, kind=EntryKind.ASSIGNMENT, author_agent=actor, body=reason, data=data)
    ticket.owner = owner
    ticket.updated_at = entry.created_at
    ticket.save(update_fields=["owner", "updated_at"])
    audit.record(
        actor=actor, action="ticket.assigned", target=ticket, owner=owner.pk if owner else None
    )
    return ticket


@transaction.atomic
def transfer(
    *,
    ticket: Ticket,
    actor: Agent,
    note: str,
    to_agent: Agent | None = None,
    to_team: Team | None = None,
) -> TimelineEntry:
    """Hands the ticket to another agent or team. The note is required, so the customer never has to
    tell their story again; it is pinned for whoever receives the ticket."""
    require_view(actor, ticket)
    if not note.strip():
        raise ValidationError(
            {"note": _("Write a hand-off note: what the customer needs and what was done.")}
        )
    if to_agent is None and to_team is None:
        raise ValidationError({"to": _("Choose an agent or a team to hand the ticket to.")})
    if to_agent is not None and not to_agent.is_active:
        raise ValidationError(
            {"to_agent": _("%(agent)s cannot take tickets.") % {"agent": to_agent}}
        )
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    new_team_id = ticket.team_id
    if to_team is not None:
        new_team_id = to_team.pk
    if to_agent is not None and new_team_id not in to_agent.team_ids():
        if to_team is not None:
            raise ValidationError(
                {"to_agent": _("%(agent)s is not in that team.") % {"agent": to_agent}}
            )
        new_team_id = (to_agent.team_ids() or [new_team_id])[0]
    if to_agent is not None and to_agent.pk == ticket.owner_id and new_team_id == ticket.team_id:
        raise ValidationError({"to_agent": _("The ticket is already theirs.")})
    entry = _append(
        ticket,
        kind=EntryKind.TRANSFER,
        author_agent=actor,
        body=note,
        data={
            "from_agent": ticket.owner_id,
            "from_team": ticket.team_id,
            "to_agent": to_agent.pk if to_agent else None,
            "to_team": new_team_id,
        },
    )
    ticket.owner = to_agent
    team_changed = ticket.team_id != new_team_id
    ticket.team_id = new_team_id
    if team_changed:
        service_levels.conditions_changed(ticket, now=entry.created_at)
    ticket.handoff_count += 1
    ticket.pinned_handoff = entry
    ticket.updated_at = entry.created_at
    ticket.save(
        update_fields=[
            "owner",
            "team",
            "handoff_count",
            "pinned_handoff",
            "updated_at",
            *SERVICE_FIELDS,
        ]
    )
    if to_agent is None:
        # Handed to a team: its assignment mode says who takes it, and so who is told.
        assignment.route_received(ticket=ticket, opened=True, reopened=False)
    audit.record(actor=actor, action="ticket.transferred", target=ticket, entry=entry.pk)
    notify_handoff.enqueue_on_commit(entry.pk)
    return entry


@transaction.atomic
def acknowledge_handoff(*, ticket: Ticket, agent: Agent) -> Ticket:
    """The receiver has read the hand-off note; it leaves the top of the page but stays on the timeline.
    Only the receiver may say so: for anyone else the note stays pinned."""
    require_view(agent, ticket)
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("pinned_handoff")
        .get(pk=ticket.pk)
    )
    if ticket.pinned_handoff_id is None:
        return ticket
    if not receives_handoff(agent, ticket):
        raise PermissionDenied
    _append(
        ticket,
        kind=EntryKind.EVENT,
        author_agent=agent,
        data={"handoff_read": ticket.pinned_handoff_id},
    )
    ticket.pinned_handoff = None
    ticket.save(update_fields=["pinned_handoff"])
    audit.record(actor=agent, action="ticket.handoff_read", target=ticket)
    return ticket


@transaction.atomic
def change_details(
    *, ticket: Ticket, actor: Agent, kind: str | None = None, priority: Priority | None = None
) -> Ticket:
    require_view(actor, ticket)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    changes = {}
    if kind is not None and kind != ticket.kind:
        changes["kind"] = {"from": ticket.kind, "to": kind}
        ticket.kind = kind
        hold_legal_deadline(ticket, ticket.customer)
    if priority is not None and priority != ticket.priority:
        changes["priority"] = {"from": ticket.priority, "to": int(priority)}
        ticket.priority = priority
    if not changes:
        return ticket
    ticket.full_clean(exclude=NOT_CLEANED)
    entry = _append(ticket, kind=EntryKind.EVENT, author_agent=actor, data={"changed": changes})
    service_levels.conditions_changed(ticket, now=entry.created_at)
    ticket.updated_at = entry.created_at
    ticket.save(
        update_fields=[
            "kind",
            "priority",
            "updated_at",
            "legal_deadline",
            "legal_consequence",
            *SERVICE_FIELDS,
        ]
    )
    audit.record(actor=actor, action="ticket.details_changed", target=ticket, **changes)
    return ticket


@transaction.atomic
def set_tags(*, ticket: Ticket, names: Iterable[str], actor: Agent) -> list[Tag]:
    require_view(actor, ticket)
    wanted = sorted({name.strip().lower() for name in names if name.strip()})
    tags = []
    for name in wanted:
        tag = Tag(name=name)
        try:
            tag.full_clean(validate_unique=False)
        except ValidationError as error:
            raise ValidationError({"tags": error.messages}) from error
        tags.append(Tag.objects.get_or_create(name=name)[0])
    before = sorted(ticket.tags.values_list("name", flat=True))
    if before == wanted:
        return tags
    ticket.tags.set(tags)
    _append(
        ticket,
        kind=EntryKind.EVENT,
        author_agent=actor,
        data={"tags": {"from": before, "to": wanted}},
    )
    audit.record(actor=actor, action="ticket.tagged", target=ticket, tags=wanted)
    return tags


@transaction.atomic
def merge_tickets(*, target: Ticket, absorbed: Ticket, actor: Agent) -> Ticket:
    """The absorbed ticket closes and points at the target; its timeline is shown within the target's."""
    require_view(actor, target)
    require_view(actor, absorbed)
    if target.pk == absorbed.pk or absorbed.merged_into_id or target.merged_into_id:
        raise ValidationError(_("These tickets cannot be merged."))
    if target.customer_id != absorbed.customer_id:
        raise ValidationError(_("Only tickets of the same customer can be merged."))
    absorbed = Ticket.objects.select_for_update().get(pk=absorbed.pk)
    _status_entry(
        absorbed,
        Status.CLOSED,
        actor=actor,
        reason=_("Merged into #%(number)s.") % {"number": target.pk},
    )
    previous, absorbed.status = absorbed.status, Status.CLOSED
    service_levels.status_changed(absorbed, previous=previous, now=clock.now())
    absorbed.merged_into = target
    absorbed.save(update_fields=["status", "merged_into", "solved_at", *SERVICE_FIELDS])
    entry = _append(
        target,
        kind=EntryKind.EVENT,
        author_agent=actor,
        body=_("Ticket #%(number)s was merged into this one.") % {"number": absorbed.pk},
        data={"merged": absorbed.pk},
    )
    Ticket.objects.filter(pk=target.pk).update(updated_at=entry.created_at)
    audit.record(actor=actor, action="ticket.merged", target=target, absorbed=absorbed.pk)
    return target


def mark_presence(*, ticket: Ticket, agent: Agent, activity: Activity) -> None:
    """The page's heartbeat; not audited, it is gone seconds after the agent leaves."""
    require_view(agent, ticket)
    try:
        Presence.objects.update_or_create(
            ticket=ticket, agent=agent, defaults={"activity": activity, "seen_at": clock.now()}
        )
    except IntegrityError:
        Presence.objects.filter(ticket=ticket, agent=agent).update(
            activity=activity, seen_at=clock.now()
        )


# Changes to many tickets at once, from the inbox, and the ticket's properties saved at once. Each
# goes through the one service for that change, so permissions, timeline entries and audit records
# are the same as for one ticket at a time.


@dataclass(frozen=True)
class BulkOutcome:
    """Which tickets changed, and why the others did not (number → reason)."""

    done: list[int]
    refused: dict[int, str]


def _each(tickets: Iterable[Ticket], change: Callable[[Ticket], object]) -> BulkOutcome:
    """Each ticket in its own transaction: one the agent may not change leaves the others done."""
    done, refused = [], {}
    for ticket in tickets:
        try:
            with transaction.atomic():
                change(ticket)
        except PermissionDenied:
            refused[ticket.pk] = _("You may not change this ticket.")
        except ValidationError as error:
            refused[ticket.pk] = " ".join(error.messages)
        else:
            done.append(ticket.pk)
    return BulkOutcome(done=done, refused=refused)


def bulk_assign(*, tickets: Iterable[Ticket], owner: Agent | None, actor: Agent) -> BulkOutcome:
    return _each(
        tickets,
        lambda ticket: assign(ticket=ticket, owner=owner, actor=actor),
    )


def bulk_set_status(*, tickets: Iterable[Ticket], status: Status, actor: Agent) -> BulkOutcome:
    return _each(tickets, lambda ticket: set_status(ticket=ticket, status=status, actor=actor))


def bulk_add_tags(*, tickets: Iterable[Ticket], names: Iterable[str], actor: Agent) -> BulkOutcome:
    """Adds the tags to each ticket, keeping the ones it has."""
    names = list(names)
    return _each(
        tickets,
        lambda ticket: set_tags(ticket=ticket, names=[*ticket.tag_names, *names], actor=actor),
    )


def bulk_merge(*, tickets: Iterable[Ticket], actor: Agent) -> BulkOutcome:
    """Merges every ticket into the oldest of them (the lowest number), which stays open."""
    tickets = sorted(tickets, key=lambda ticket: ticket.pk)
    if len(tickets) < 2:
        raise ValidationError(_("Select at least two tickets to merge."))
    target, absorbed = tickets[0], tickets[1:]
    outcome = _each(
        absorbed,
        lambda ticket: merge_tickets(target=target, absorbed=ticket, actor=actor),
    )
    return BulkOutcome(done=[target.pk, *outcome.done], refused=outcome.refused)


@transaction.atomic
def update_properties(
    *,
    ticket: Ticket,
    actor: Agent,
    status: Status,
    priority: Priority,
    kind: str,
    owner: Agent | None,
    tags: Iterable[str],
) -> Ticket:
    """The ticket's properties panel: every change the agent made, or none of them."""
    if (owner.pk if owner else None) != ticket.owner_id:
        ticket = assign(ticket=ticket, owner=owner, actor=actor)
    ticket = change_details(ticket=ticket, actor=actor, kind=kind, priority=priority)
    set_tags(ticket=ticket, names=tags, actor=actor)
    return set_status(ticket=ticket, status=status, actor=actor)
