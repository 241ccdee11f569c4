"""Every write to tickets and their timelines. Views, the API, channel adapters and tasks call these;
each checks permission, writes the timeline entry and the audit record itself, in one transaction,
and starts side effects only once it commits."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from attenda.agents.models import Agent, Team
from attenda.core import audit, clock
from attenda.core.lookups import unique_or_none
from attenda.customers.models import Customer
from attenda.customers.services import identify, survivor
from attenda.routing import assignment, service_levels
from attenda.routing.deadlines import keep_longest, rule_for, statutory_deadline
from attenda.routing.queries import statutory_rules
from attenda.routing.service_levels import SERVICE_FIELDS
from attenda.tickets import delivery, search
from attenda.tickets.messages import Inbound, InboundFile
from attenda.tickets.models import (
    Activity,
    Attachment,
    Blob,
    Channel,
    Delivery,
    EntryKind,
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
from attenda.triage import services as triage

# Relations full_clean() would look up one query each; the services set them from real objects.
NOT_CLEANED = ["customer", "team", "owner", "pinned_handoff", "merged_into", "service_level"]


@dataclass(frozen=True)
class Received:
    ticket: Ticket
    entry: TimelineEntry
    opened: bool
    duplicate: bool = False


def store_blob(content: bytes) -> Blob:
    digest = Blob.digest(content)
    blob = unique_or_none(Blob.objects.filter(sha256=digest))
    if blob is None:
        blob = Blob(sha256=digest, size=len(content))
        blob.content.save(digest, ContentFile(content), save=False)
        blob.save()
    return blob


def _attach(entry: TimelineEntry, files: Iterable[InboundFile]) -> list[str]:
    """Stores the files; returns the names of those refused for their size, to say so on the timeline."""
    refused = []
    for inbound_file in files:
        if len(inbound_file.content) > settings.ATTACHMENT_MAX_BYTES:
            refused.append(inbound_file.filename)
            continue
        Attachment.objects.create(
            entry=entry,
            blob=store_blob(inbound_file.content),
            filename=inbound_file.filename[:255],
            content_type=inbound_file.content_type[:255],
        )
    return refused


def _append(ticket: Ticket, **fields) -> TimelineEntry:
    entry = TimelineEntry.objects.create(ticket=ticket, **fields)
    if entry.body:
        search.queue_entry(entry)
    return entry


def _thread(inbound: Inbound, customer: Customer) -> Ticket | None:
    """The open matter this message continues, if any. Only tickets of this customer, or on which
    the sender takes part, qualify, so a quoted number or a forged reference cannot drop a message
    into a stranger's ticket."""
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
def receive(inbound: Inbound, *, logged_by: Agent | None = None) -> Received:
    """The one way in: identify the customer, thread the message into its ticket or open one, and put
    it on the timeline. The same external id twice returns the first result instead of a copy."""
    if inbound.external_id:
        earlier = unique_or_none(
            TimelineEntry.objects.select_related("ticket").filter(
                external_id=inbound.external_id, channel=inbound.channel
            )
        )
        if earlier is not None:
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
    if ticket is None:
        ticket = Ticket(
            customer=customer,
            customer_name=customer.name,
            subject=inbound.subject.strip() or _first_line(inbound.body) or _("(no subject)"),
            channel=inbound.channel,
            language=inbound.language or customer.language,
            team_id=inbound.team_id,
            created_at=now,
            waiting_since=now,
            updated_at=now,
        )
        if inbound.kind:
            ticket.kind = inbound.kind
        if inbound.priority:
            ticket.priority = inbound.priority
        hold_legal_deadline(ticket, customer)
        service_levels.start_clocks(ticket, now=now)
        ticket.full_clean(exclude=NOT_CLEANED)
        ticket.save()
        search.queue_ticket(ticket)
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
        ticket.save(update_fields=["status", "waiting_since", "updated_at", *SERVICE_FIELDS])
    entry = _append(
        ticket,
        kind=inbound.entry_kind,
        created_at=now,
        author_customer=customer,
        author_agent=logged_by,
        channel=inbound.channel,
        body=inbound.body,
        language=inbound.language,
        external_id=inbound.external_id,
        raw=store_blob(inbound.raw) if inbound.raw is not None else None,
        data=inbound.entry_data,
    )
    triage.triage_entry(entry=entry, ticket=ticket, opened=opened)
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
    audit.record(
        actor=logged_by, action="ticket.received", target=ticket, entry=entry.pk, opened=opened
    )
    return Received(ticket=ticket, entry=entry, opened=opened)


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
) -> Received:
    """An agent records a phone call or an office visit, on an existing ticket or a new one."""
    if channel not in (Channel.PHONE, Channel.COUNTER):
        raise ValidationError(
            {"channel": _("A contact is logged for a phone call or an office visit.")}
        )
    if not body.strip():
        raise ValidationError({"body": _("Write what the customer said.")})
    if ticket is not None:
        require_view(agent, ticket)
    return receive(
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
    )


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


@transaction.atomic
def reply(
    *, ticket: Ticket, agent: Agent, body: str, status: Status = Status.WAITING_ON_CUSTOMER
) -> TimelineEntry:
    """Answers the customer on the ticket's channel. By default the ticket then waits on the customer."""
    require_view(agent, ticket)
    _require_text(body)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    entry = _append(
        ticket, kind=EntryKind.REPLY, author_agent=agent, channel=ticket.channel, body=body
    )
    delivery.deliver(entry)
    service_levels.answered(ticket, channel=ticket.channel)
    if status != ticket.status:
        _status_entry(ticket, status, actor=agent)
        previous, ticket.status = ticket.status, status
        service_levels.status_changed(ticket, previous=previous, now=entry.created_at)
    if ticket.first_response_at is None:
        ticket.first_response_at = entry.created_at
    ticket.waiting_since = ticket.updated_at = entry.created_at
    ticket.save()
    audit.record(actor=agent, action="ticket.replied", target=ticket, entry=entry.pk)
    return entry


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


@transaction.atomic
def add_note(*, ticket: Ticket, agent: Agent, body: str) -> TimelineEntry:
    """A note for colleagues only; the customer never sees it."""
    require_view(agent, ticket)
    _require_text(body)
    entry = _append(ticket, kind=EntryKind.NOTE, author_agent=agent, body=body)
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
