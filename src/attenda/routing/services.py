"""Every write to routing data, and the escalation of tickets whose warning or deadline has come.

Admins (and supervisors, for their own teams' calendars) edit calendars and policies here; the
escalation sweep acts on each warning and breach exactly once: the ticket row is locked, the event
is marked fired in its clock state and the next moments are written back in the same transaction,
so a second sweep finds nothing left to do."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.utils.translation import gettext as _

from attenda.agents.models import Agent, Team
from attenda.core import audit, clock
from attenda.routing import queries
from attenda.routing.clocks import BREACH, LEGAL, WARNING, ServiceClock
from attenda.routing.deadlines import Consequence
from attenda.routing.models import (
    WEEKDAYS,
    Reassign,
    ServiceLevelPolicy,
    TeamCalendar,
    parse_shifts,
)
from attenda.routing.models import StatutoryRule as StatutoryRuleRow
from attenda.routing.service_levels import SERVICE_FIELDS
from attenda.routing.tasks import notify_escalations
from attenda.tickets.models import EntryKind, Priority, Ticket, TimelineEntry

# How many tickets one transaction of the sweep escalates.
SWEEP_BATCH = 500


def _require_admin(actor: Agent) -> None:
    if not (actor.is_active and actor.is_admin):
        raise PermissionDenied


def require_supervisor(agent: Agent) -> None:
    """Supervisors and admins read routing settings, on the pages and over the API."""
    if not (agent.is_active and agent.is_supervisor):
        raise PermissionDenied


def require_calendar_editor(actor: Agent, team: Team) -> None:
    """Admins edit every team's calendar; supervisors those of the teams they manage."""
    if not (actor.is_active and actor.manages_team(team.pk)):
        raise PermissionDenied


@dataclass(frozen=True)
class CalendarInput:
    time_zone: str
    week: list[str]  # seven texts such as "09:00-13:00, 14:00-18:00", Monday first
    country: str = ""
    subdivision: str = ""
    closed_days: Iterable[date] = ()


@transaction.atomic
def save_calendar(*, team: Team, calendar: CalendarInput, actor: Agent) -> TeamCalendar:
    """Sets a team's business calendar. Running clocks keep their deadlines; tickets that change
    afterwards are timed by the new hours."""
    require_calendar_editor(actor, team)
    if len(calendar.week) != len(WEEKDAYS):
        raise ValidationError({"week": _("Give the hours of all seven days.")})
    week = []
    for day, text in enumerate(calendar.week):
        try:
            shifts = parse_shifts(text)
        except ValidationError as error:
            raise ValidationError({f"day_{day}": error.messages}) from error
        week.append(
            [
                [
                    shift.start.strftime("%H:%M"),
                    "24:00" if shift.end == time(0) else shift.end.strftime("%H:%M"),
                ]
                for shift in shifts
            ]
        )
    if not any(week):
        raise ValidationError({"week": _("A calendar needs opening hours on at least one day.")})
    row = TeamCalendar.objects.filter(team=team).first() or TeamCalendar(team=team)
    row.time_zone = calendar.time_zone
    row.week = week
    row.country = calendar.country.upper()
    row.subdivision = calendar.subdivision.upper()
    row.closed_days = sorted({day.isoformat() for day in calendar.closed_days})
    row.updated_at = clock.now()
    row.full_clean(exclude=["team"])
    try:
        row.business_calendar()
    except (NotImplementedError, KeyError, ValueError) as error:
        raise ValidationError(
            {"subdivision": _("The holidays of this country or region are not known.")}
        ) from error
    row.save()
    audit.record(actor=actor, action="team.calendar_saved", target=team, week=week)
    return row


@transaction.atomic
def remove_calendar(*, team: Team, actor: Agent) -> None:
    """The team goes back to calendar time (every hour counts)."""
    require_calendar_editor(actor, team)
    TeamCalendar.objects.filter(team=team).delete()
    audit.record(actor=actor, action="team.calendar_removed", target=team)


@transaction.atomic
def save_policy(*, policy: ServiceLevelPolicy, actor: Agent) -> ServiceLevelPolicy:
    """Creates or changes a policy. Tickets keep the deadlines they have until something about
    them changes, when the policy is chosen again."""
    _require_admin(actor)
    policy.updated_at = clock.now()
    policy.full_clean()
    created = policy.pk is None
    policy.save()
    audit.record(
        actor=actor,
        action="service_level.created" if created else "service_level.changed",
        target=policy,
        name=policy.name,
    )
    return policy


@transaction.atomic
def delete_policy(*, policy: ServiceLevelPolicy, actor: Agent) -> None:
    _require_admin(actor)
    audit.record(actor=actor, action="service_level.deleted", target=policy, name=policy.name)
    policy.delete()


@transaction.atomic
def add_statutory_rule(
    *,
    actor: Agent,
    country: str,
    kinds: Iterable[str],
    days: int,
    count: str,
    end_moves_off: Iterable[str],
    consequence: str,
    source: str,
    valid_from: date,
    time_zone: str,
    condition: str = "",
    escalate_days_before: int = 3,
) -> StatutoryRuleRow:
    """An admin adds a country's rule or a changed law. Deadlines already running keep the longer
    of the two when their ticket is recomputed (routing.deadlines.keep_longest)."""
    _require_admin(actor)
    row = StatutoryRuleRow(
        country=country.upper(),
        kinds=sorted(set(kinds)),
        days=days,
        count=count,
        end_moves_off=sorted(set(end_moves_off)),
        consequence=consequence,
        source=source,
        valid_from=valid_from,
        time_zone=time_zone,
        condition=condition,
        escalate_days_before=escalate_days_before,
    )
    row.full_clean()
    try:
        row.as_rule()
    except ValueError as error:
        raise ValidationError({"end_moves_off": [str(error)]}) from error
    row.save()
    audit.record(actor=actor, action="statutory_rule.added", target=row, country=row.country)
    return row


# Escalation


def sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Acts on every warning and breach due by now; returns how many tickets were escalated. Each
    batch is its own transaction, so a long sweep does not hold every row it touched."""
    now = now or clock.now()
    escalated = 0
    # Escalating a ticket moves its moments past now; one whose state says otherwise is left for
    # a person rather than swept for ever.
    seen: set[int] = set()
    while ticket_ids := queries.sweep_batch(now, batch, excluding=seen):
        seen.update(ticket_ids)
        escalated += escalate(ticket_ids=ticket_ids, now=now)
    return escalated


@transaction.atomic
def escalate(*, ticket_ids: list[int], now: datetime) -> int:
    """Fires the due warnings and breaches of these tickets, once each."""
    tickets = list(
        Ticket.objects.select_for_update(of=("self",))
        .select_related("service_level")
        .filter(pk__in=ticket_ids)
        .order_by("pk")
    )
    agents_in_team: dict[int, set[int]] = {}
    entries: list[TimelineEntry] = []
    changed: list[Ticket] = []
    changes: dict[tuple[str, ...], list[Ticket]] = {}
    for ticket in tickets:
        service_clock = ServiceClock(ticket.service_clock)
        before = [getattr(ticket, attname) for attname in WRITTEN]
        fired = service_clock.fire(now=now)
        for column, moment in service_clock.columns().items():
            setattr(ticket, column, moment)
        for due in fired:
            entries.append(_act(ticket, due, now=now, agents_in_team=agents_in_team))
        # The clock's state always changes; of the other columns only those that did are written,
        # so the indexes on columns that kept their value are not rewritten.
        columns = ("service_clock",) + tuple(
            attname
            for attname, value in zip(WRITTEN, before, strict=True)
            if getattr(ticket, attname) != value
        )
        changes.setdefault(columns, []).append(ticket)
        changed.append(ticket)
    for columns, tickets_alike in changes.items():
        _write_back(tickets_alike, columns)
    TimelineEntry.objects.bulk_create(entries)
    audit.record_many(actor=None, action="ticket.escalated", targets=changed)
    if entries:
        notify_escalations.enqueue_on_commit([entry.pk for entry in entries])
    return len(changed)


# The columns an escalation may change besides the clock's state (attribute names).
WRITTEN = (
    *(name for name in SERVICE_FIELDS if name not in ("service_clock", "service_level")),
    "priority",
    "owner_id",
    "legal_missed_at",
    "deemed_accepted",
)


def _write_back(tickets: list[Ticket], attnames: Iterable[str]) -> None:
    """One UPDATE statement run for every ticket (executemany). Django's bulk_update writes a CASE
    over every row for every column, which cost the sweep 3 ms a ticket to build."""
    by_attname = {field.attname: field for field in Ticket._meta.concrete_fields}
    fields = [by_attname[attname] for attname in attnames]
    connection = connections[Ticket.objects.db]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(Ticket._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608 - names from the model
    rows = [
        [field.get_db_prep_save(getattr(ticket, field.attname), connection) for field in fields]
        + [ticket.pk]
        for ticket in tickets
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _act(ticket: Ticket, due, *, now: datetime, agents_in_team: dict) -> TimelineEntry:
    """Does what the event asks and returns the timeline entry that says so. The entry's data names
    who is told (``notify``), for notify_escalations."""
    # The owner at the moment of the event is told, even when the escalation takes the ticket away.
    escalation: dict = {
        "target": due.target,
        "event": due.event,
        "due": due.moment.isoformat(),
        "owner_told": ticket.owner_id,
    }
    # A warning goes to the owner; a ticket nobody owns warns its supervisors.
    notify = "owner" if ticket.owner_id else "supervisors"
    if due.target == LEGAL and due.event == WARNING:
        notify = "supervisors"
    elif due.target == LEGAL:
        ticket.legal_missed_at = due.moment
        ticket.deemed_accepted = ticket.legal_consequence == Consequence.DEEMED_ACCEPTED
        # What follows for the case is now owed to the customer: at the top of every list.
        escalation["priority"] = {"from": ticket.priority, "to": int(Priority.URGENT)}
        ticket.priority = Priority.URGENT
        escalation["consequence"] = ticket.legal_consequence
        escalation["follow_up"] = ticket.deemed_accepted
        notify = "supervisors"
    elif due.event == BREACH and ticket.service_level is not None:
        policy = ticket.service_level
        if policy.notify_supervisors:
            notify = "supervisors"
        if policy.raise_priority and ticket.priority < Priority.URGENT:
            escalation["priority"] = {"from": ticket.priority, "to": ticket.priority + 1}
            ticket.priority += 1
        if policy.reassign == Reassign.TEAM_QUEUE and ticket.owner_id is not None:
            escalation["owner"] = {"from": ticket.owner_id, "to": None}
            ticket.owner_id = None
        elif (
            policy.reassign == Reassign.AGENT
            and policy.reassign_to_id != ticket.owner_id
            and policy.reassign_to_id in _members(ticket.team_id, agents_in_team)
        ):
            escalation["owner"] = {"from": ticket.owner_id, "to": policy.reassign_to_id}
            ticket.owner_id = policy.reassign_to_id
    escalation["notify"] = notify
    return TimelineEntry(
        ticket=ticket, kind=EntryKind.EVENT, created_at=now, data={"escalation": escalation}
    )


def _members(team_id: int | None, cache: dict[int, set[int]]) -> set[int]:
    if team_id is None:
        return set()
    if team_id not in cache:
        cache[team_id] = set(
            Agent.objects.filter(teams=team_id, is_active=True).values_list("id", flat=True)
        )
    return cache[team_id]
