"""Carries out ticket plans. ``carry_out`` calls the services, one action at a time, as agents and
channels would. ``History`` writes many past tickets at once: it applies each action to the ticket
row exactly as the matching service does (same entries, same fields, same audit records), then
stores everything in a few bulk inserts, which is what lets thousands of tickets load in seconds."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from attenda.agents.models import Agent
from attenda.channels.email.outbound import route_without_mail
from attenda.core.models import AuditEntry
from attenda.customers.services import IdentityClaim
from attenda.demo.planning import IN_PERSON, Action, Step, TicketPlan
from attenda.routing import service_levels
from attenda.tickets import search
from attenda.tickets.delivery import Route
from attenda.tickets.messages import Inbound
from attenda.tickets.models import (
    Channel,
    Delivery,
    EntryKind,
    Status,
    Tag,
    Ticket,
    TimelineEntry,
)
from attenda.tickets.services import (
    acknowledge_handoff,
    add_note,
    assign,
    change_details,
    hold_legal_deadline,
    log_contact,
    message_preview,
    receive,
    reply,
    set_status,
    set_tags,
    transfer,
)

# Services stamp a status change a moment after the reply that caused it.
A_MOMENT = timedelta(microseconds=350)


def _first_message(plan: TicketPlan) -> Inbound:
    """What the channel adapter hands to receive() when the customer first writes."""
    return Inbound(
        channel=plan.channel,
        claims=[IdentityClaim(kind=plan.claim_kind, value=plan.claim_value)],
        sender_name=plan.customer.name,
        subject=plan.subject,
        body=plan.body,
        language=plan.language,
        external_id=plan.external_id,
        received_at=plan.opened_at,
        team_id=plan.team.pk,
        kind=plan.kind,
        priority=plan.priority,
    )


def carry_out(plan: TicketPlan) -> Ticket:
    """Today's work, done through the services: each action is stamped with the present moment."""
    if plan.channel in IN_PERSON:
        ticket = log_contact(
            agent=plan.logged_by,
            customer=plan.customer,
            channel=plan.channel,
            body=plan.body,
            subject=plan.subject,
            team=plan.team,
        ).ticket
    else:
        ticket = receive(_first_message(plan)).ticket
    for step in plan.steps:
        # Fresh each time: a transfer moves the ticket, and the next actor's rights follow it.
        ticket = Ticket.objects.get(pk=ticket.pk)
        agent = step.agent
        match step.action:
            case Action.ASSIGN:
                assign(ticket=ticket, owner=agent, actor=agent)
            case Action.TAG:
                set_tags(ticket=ticket, names=step.tags, actor=agent)
            case Action.NOTE:
                add_note(ticket=ticket, agent=agent, body=step.body)
            case Action.REPLY:
                # Every demo customer has an address: calls and chats are answered by email too.
                reply(
                    ticket=ticket,
                    agent=agent,
                    body=step.body,
                    status=step.status,
                    channel=Channel.EMAIL,
                )
            case Action.CONTACT if step.channel in IN_PERSON:
                log_contact(
                    agent=agent,
                    customer=plan.customer,
                    channel=step.channel,
                    body=step.body,
                    ticket=ticket,
                )
            case Action.CONTACT:
                receive(
                    Inbound(
                        channel=step.channel,
                        claims=[IdentityClaim(kind=plan.claim_kind, value=plan.claim_value)],
                        sender_name=plan.customer.name,
                        body=step.body,
                        language=plan.language,
                        external_id=step.external_id,
                        ticket_number=ticket.pk,
                    )
                )
            case Action.TRANSFER:
                transfer(
                    ticket=ticket,
                    actor=agent,
                    note=step.body,
                    to_agent=step.to_agent,
                    to_team=step.to_team,
                )
            case Action.ACKNOWLEDGE:
                acknowledge_handoff(ticket=ticket, agent=agent)
            case Action.STATUS:
                set_status(ticket=ticket, status=step.status, actor=agent)
            case Action.DETAILS:
                change_details(ticket=ticket, actor=agent, kind=step.kind, priority=step.priority)
    return ticket


@dataclass
class _Draft:
    """A ticket being written, with what the row itself does not hold until it is saved."""

    ticket: Ticket
    tags: list[str] = field(default_factory=list)
    pinned: TimelineEntry | None = None


@dataclass
class _Audit:
    actor: Agent | None
    action: str
    ticket: Ticket
    at: datetime
    data: Callable[[], dict[str, Any]]


class History:
    """Past tickets, shaped by the same rules as the services in tickets/services.py."""

    def __init__(self) -> None:
        self.drafts: list[_Draft] = []
        self.entries: list[TimelineEntry] = []
        self.audits: list[_Audit] = []
        self.reads: list[tuple[TimelineEntry, TimelineEntry]] = []
        self.routes: dict[tuple[int, int | None], Route] = {}

    def _email_route(self, ticket: Ticket) -> Route:
        """A reply's route by email, read once per customer and team: history brings no mail in."""
        key = (ticket.customer_id, ticket.team_id)
        if key not in self.routes:
            self.routes[key] = route_without_mail(
                customer_id=ticket.customer_id, team_id=ticket.team_id
            )
        return self.routes[key]

    def _entry(self, ticket: Ticket, at: datetime, **fields: Any) -> TimelineEntry:
        entry = TimelineEntry(ticket=ticket, created_at=at, **fields)
        self.entries.append(entry)
        return entry

    def _audit(
        self, actor: Agent | None, action: str, ticket: Ticket, at: datetime, **data: Any
    ) -> None:
        self.audits.append(_Audit(actor, action, ticket, at, lambda: data))

    def _audit_entry(
        self, actor: Agent | None, action: str, ticket: Ticket, entry: TimelineEntry, **data: Any
    ) -> None:
        self.audits.append(
            _Audit(actor, action, ticket, entry.created_at, lambda: {"entry": entry.pk, **data})
        )

    def write(self, plan: TicketPlan) -> None:
        at = plan.opened_at
        in_person = plan.channel in IN_PERSON
        # receive(), reached directly or through log_contact() for calls and visits.
        ticket = Ticket(
            customer=plan.customer,
            customer_name=plan.customer.name,
            subject=plan.subject,
            channel=plan.channel,
            language=plan.language,
            team=plan.team,
            created_at=at,
            waiting_since=at,
            updated_at=at,
        )
        if not in_person:
            ticket.kind = plan.kind
            ticket.priority = plan.priority
        hold_legal_deadline(ticket, plan.customer)
        draft = _Draft(ticket)
        self.drafts.append(draft)
        self._contact(
            ticket,
            at,
            channel=plan.channel,
            body=plan.body,
            language=plan.language,
            logged_by=plan.logged_by,
            external_id=plan.external_id,
            opened=True,
        )
        logger = plan.logged_by
        if in_person and logger is not None and plan.team.pk in logger.team_ids():
            # log_contact(): whoever took the call owns the new ticket.
            self._entry(
                ticket,
                at,
                kind=EntryKind.ASSIGNMENT,
                author_agent=logger,
                data={"from": None, "to": logger.pk},
            )
            ticket.owner = logger
        for step in plan.steps:
            self._apply(draft, plan, step)

    def _contact(
        self,
        ticket: Ticket,
        at: datetime,
        *,
        channel: Channel,
        body: str,
        language: str,
        logged_by: Agent | None,
        external_id: str | None,
        opened: bool,
    ) -> None:
        if not opened:
            if ticket.status not in (Status.NEW, Status.OPEN):
                ticket.waiting_since = at
                if ticket.status == Status.SOLVED:
                    self._status_entry(
                        ticket, at, Status.OPEN, None, reason=_("The customer wrote again.")
                    )
                ticket.status = Status.OPEN
            ticket.updated_at = at
        ticket.preview = message_preview(body)
        kind = {Channel.PHONE: EntryKind.CALL, Channel.COUNTER: EntryKind.VISIT}.get(
            channel, EntryKind.MESSAGE
        )
        entry = self._entry(
            ticket,
            at,
            kind=kind,
            author_customer=ticket.customer,
            author_agent=logged_by,
            channel=channel,
            body=body,
            language=language,
            external_id=external_id,
        )
        self._audit_entry(logged_by, "ticket.received", ticket, entry, opened=opened)

    def _status_entry(
        self, ticket: Ticket, at: datetime, status: Status, actor: Agent | None, reason: str = ""
    ) -> TimelineEntry:
        entry = self._entry(
            ticket,
            at,
            kind=EntryKind.STATUS_CHANGE,
            author_agent=actor,
            body=reason,
            data={"from": str(ticket.status), "to": str(status)},
        )
        if status == Status.SOLVED:
            ticket.solved_at = at
        return entry

    def _apply(self, draft: _Draft, plan: TicketPlan, step: Step) -> None:
        ticket, at, agent = draft.ticket, step.at, step.agent
        match step.action:
            case Action.ASSIGN:
                if ticket.owner_id == agent.pk:
                    return
                entry = self._entry(
                    ticket,
                    at,
                    kind=EntryKind.ASSIGNMENT,
                    author_agent=agent,
                    data={"from": ticket.owner_id, "to": agent.pk},
                )
                ticket.owner = agent
                ticket.updated_at = entry.created_at
                self._audit(agent, "ticket.assigned", ticket, at, owner=agent.pk)
            case Action.TAG:
                wanted = sorted({name.strip().lower() for name in step.tags if name.strip()})
                before = sorted(draft.tags)
                if before == wanted:
                    return
                draft.tags = wanted
                self._entry(
                    ticket,
                    at,
                    kind=EntryKind.EVENT,
                    author_agent=agent,
                    data={"tags": {"from": before, "to": wanted}},
                )
                self._audit(agent, "ticket.tagged", ticket, at, tags=wanted)
            case Action.NOTE:
                entry = self._entry(
                    ticket, at, kind=EntryKind.NOTE, author_agent=agent, body=step.body
                )
                ticket.updated_at = entry.created_at
                self._audit_entry(agent, "ticket.noted", ticket, entry)
            case Action.REPLY:
                # By email, as carry_out() asks: past replies left, so they are sent; one that
                # could not have left is not sent, and does not make the ticket wait.
                chosen = self._email_route(ticket)
                data = {"to": chosen.address, "from": chosen.sender} if chosen.can_deliver else {}
                entry = self._entry(
                    ticket,
                    at,
                    kind=EntryKind.REPLY,
                    author_agent=agent,
                    channel=Channel.EMAIL,
                    body=step.body,
                    data=data,
                    delivery=Delivery.SENT if chosen.can_deliver else Delivery.FAILED,
                    delivery_note="" if chosen.can_deliver else chosen.reason,
                )
                status = step.status
                if chosen.can_deliver:
                    # As reply(): an answer in writing meets the legal deadline.
                    service_levels.answered(ticket, channel=Channel.EMAIL)
                    if ticket.first_response_at is None:
                        ticket.first_response_at = entry.created_at
                elif status == Status.WAITING_ON_CUSTOMER:
                    status = ticket.status
                if status != ticket.status:
                    self._status_entry(ticket, at + A_MOMENT, status, agent)
                    ticket.status = status
                if chosen.can_deliver or ticket.status not in (Status.NEW, Status.OPEN):
                    ticket.waiting_since = entry.created_at
                ticket.updated_at = entry.created_at
                self._audit_entry(agent, "ticket.replied", ticket, entry)
            case Action.CONTACT:
                in_person = step.channel in IN_PERSON
                self._contact(
                    ticket,
                    at,
                    channel=step.channel,
                    body=step.body,
                    language=plan.customer.language if in_person else plan.language,
                    logged_by=agent if in_person else None,
                    external_id=step.external_id,
                    opened=False,
                )
            case Action.TRANSFER:
                to_agent = step.to_agent
                entry = self._entry(
                    ticket,
                    at,
                    kind=EntryKind.TRANSFER,
                    author_agent=agent,
                    body=step.body,
                    data={
                        "from_agent": ticket.owner_id,
                        "from_team": ticket.team_id,
                        "to_agent": to_agent.pk if to_agent else None,
                        "to_team": step.to_team.pk,
                    },
                )
                ticket.owner = to_agent
                ticket.team = step.to_team
                ticket.handoff_count += 1
                draft.pinned = entry
                ticket.updated_at = entry.created_at
                self._audit_entry(agent, "ticket.transferred", ticket, entry)
            case Action.ACKNOWLEDGE:
                pinned, draft.pinned = draft.pinned, None
                if pinned is None:
                    return
                entry = self._entry(ticket, at, kind=EntryKind.EVENT, author_agent=agent)
                self.reads.append((entry, pinned))
                self._audit(agent, "ticket.handoff_read", ticket, at)
            case Action.STATUS:
                if step.status == ticket.status:
                    return
                entry = self._status_entry(ticket, at, step.status, agent)
                ticket.status = step.status
                ticket.updated_at = entry.created_at
                if step.status in (Status.NEW, Status.OPEN):
                    ticket.waiting_since = entry.created_at
                self._audit(agent, "ticket.status_changed", ticket, at, status=str(step.status))
            case Action.DETAILS:
                changes = {}
                if step.kind is not None and step.kind != ticket.kind:
                    changes["kind"] = {"from": str(ticket.kind), "to": str(step.kind)}
                    ticket.kind = step.kind
                    hold_legal_deadline(ticket, ticket.customer)
                if step.priority is not None and step.priority != ticket.priority:
                    changes["priority"] = {"from": int(ticket.priority), "to": int(step.priority)}
                    ticket.priority = step.priority
                if not changes:
                    return
                entry = self._entry(
                    ticket, at, kind=EntryKind.EVENT, author_agent=agent, data={"changed": changes}
                )
                ticket.updated_at = entry.created_at
                self._audit(agent, "ticket.details_changed", ticket, at, **changes)

    def save(self) -> None:
        """Tickets first (their numbers follow their age), then timelines, then what points at them."""
        self.drafts.sort(key=lambda draft: draft.ticket.created_at)
        tickets = [draft.ticket for draft in self.drafts]
        Ticket.objects.bulk_create(tickets, batch_size=500)
        TimelineEntry.objects.bulk_create(self.entries, batch_size=1000)
        for entry, pinned in self.reads:
            entry.data = {"handoff_read": pinned.pk}
        TimelineEntry.objects.bulk_update([entry for entry, _ in self.reads], ["data"])
        handed_on = [draft for draft in self.drafts if draft.pinned is not None]
        for draft in handed_on:
            draft.ticket.pinned_handoff = draft.pinned
        Ticket.objects.bulk_update(
            [draft.ticket for draft in handed_on], ["pinned_handoff"], batch_size=500
        )
        self._save_tags()
        for ticket in tickets:
            search.index_ticket(ticket)
        for entry in self.entries:
            if entry.body:
                search.index_entry(entry)
        AuditEntry.objects.bulk_create(
            (
                AuditEntry(
                    actor=audit.actor,
                    action=audit.action,
                    object_type=Ticket._meta.label_lower,
                    object_id=str(audit.ticket.pk),
                    data=audit.data(),
                    created_at=audit.at,
                )
                for audit in self.audits
            ),
            batch_size=1000,
        )

    def _save_tags(self) -> None:
        names = {name for draft in self.drafts for name in draft.tags}
        known = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
        created = Tag.objects.bulk_create(Tag(name=name) for name in sorted(names - set(known)))
        known.update((tag.name, tag) for tag in created)
        Link = Ticket.tags.through
        Link.objects.bulk_create(
            (
                Link(ticket_id=draft.ticket.pk, tag_id=known[name].pk)
                for draft in self.drafts
                for name in draft.tags
            ),
            batch_size=1000,
        )
