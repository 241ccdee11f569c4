"""Keeping a ticket's service-level clocks as things happen to it. The ticket services call these
inside their transaction, on the ticket they are about to save, then save SERVICE_FIELDS with it:
deadlines are computed when something changes, never by polling.

- A new ticket gets the policy its conditions choose; first response and resolution start.
- A customer's message starts the next-response clock once a first response was given.
- An answer meets the response clocks; an answer on a durable medium meets the legal deadline.
- Waiting on the customer pauses the clocks, keeping the business time spent; leaving it resumes
  them. Solving or closing stops them; reopening starts the resolution clock afresh.
- A change of kind, priority or team chooses the policy again and retimes the running clocks.
The legal deadline never pauses (routing.deadlines)."""

from datetime import datetime, timedelta

from django.db import connection

from attenda.routing.clocks import (
    ALWAYS_OPEN,
    FIRST_RESPONSE,
    NEXT_RESPONSE,
    RESOLUTION,
    TARGETS,
    ServiceClock,
    Timing,
)
from attenda.routing.models import ServiceLevelPolicy, TeamCalendar, Tier

PAUSING_STATUSES = ("waiting_on_customer",)
ENDING_STATUSES = ("solved", "closed")
# Reply channels whose answer is on a durable medium (duties.md rule 3: a phone call does not count).
DURABLE_CHANNELS = ("email",)

# Every ticket column these functions change, for ``save(update_fields=...)``.
SERVICE_FIELDS = [
    "service_level",
    "service_clock",
    "first_response_due",
    "next_response_due",
    "resolution_due",
    "due_at",
    "warn_at",
    "escalate_at",
]


def choose_policy(ticket) -> ServiceLevelPolicy | None:
    """The first active policy, in the admins' order, whose every condition fits the ticket. Asked
    for every new ticket, so both queries are written out: Django's building them cost more than
    their running."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tier FROM routing_customertier WHERE customer_id = %s", [ticket.customer_id]
        )
        found = cursor.fetchone()
    tier = found[0] if found is not None else Tier.STANDARD
    policies = ServiceLevelPolicy.objects.raw(
        "SELECT * FROM routing_servicelevelpolicy WHERE is_active = %s ORDER BY position, id",
        [True],
    )
    for policy in policies:
        if policy.matches(
            kind=ticket.kind,
            priority=ticket.priority,
            channel=ticket.channel,
            tier=tier,
            team_id=ticket.team_id,
        ):
            return policy
    return None


def calendar_of(team_id: int | None):
    """The team's business calendar; calendar time for a team without one."""
    calendar = TeamCalendar.objects.filter(team_id=team_id).first() if team_id else None
    return calendar.business_calendar() if calendar else ALWAYS_OPEN


def timing_of(policy: ServiceLevelPolicy | None, team_id: int | None) -> Timing:
    if policy is None:
        return Timing(durations={}, warn_share=1.0, calendar=ALWAYS_OPEN)

    def minutes(value: int | None) -> timedelta | None:
        return timedelta(minutes=value) if value else None

    return Timing(
        durations={
            FIRST_RESPONSE: minutes(policy.first_response_minutes),
            NEXT_RESPONSE: minutes(policy.next_response_minutes),
            RESOLUTION: minutes(policy.resolution_minutes),
        },
        warn_share=policy.warn_percent / 100,
        calendar=calendar_of(team_id) if policy.business_time else ALWAYS_OPEN,
    )


def _keep(ticket, clock: ServiceClock) -> None:
    ticket.service_clock = clock.state
    for column, moment in clock.columns().items():
        setattr(ticket, column, moment)


def start_clocks(ticket, *, now: datetime) -> None:
    policy = choose_policy(ticket)
    ticket.service_level = policy
    clock = ServiceClock(ticket.service_clock)
    timing = timing_of(policy, ticket.team_id)
    clock.start(FIRST_RESPONSE, now=now, timing=timing)
    clock.start(RESOLUTION, now=now, timing=timing)
    _keep(ticket, clock)


def customer_wrote(ticket, *, now: datetime) -> None:
    """Call after the ticket's status was brought back to open."""
    clock = ServiceClock(ticket.service_clock)
    timing = _timing(ticket)
    if clock.paused:
        clock.resume(now=now, timing=timing)
    if not any(clock.has(target) for target in TARGETS):
        clock.start(RESOLUTION, now=now, timing=timing)
    if ticket.first_response_at is not None and not clock.running(NEXT_RESPONSE):
        clock.start(NEXT_RESPONSE, now=now, timing=timing)
    _keep(ticket, clock)


def answered(ticket, *, channel: str) -> None:
    clock = ServiceClock(ticket.service_clock)
    clock.stop(FIRST_RESPONSE)
    clock.stop(NEXT_RESPONSE)
    if channel in DURABLE_CHANNELS:
        clock.legal_met()
    _keep(ticket, clock)


def status_changed(ticket, *, previous: str, now: datetime) -> None:
    """Call with the ticket's new status set."""
    clock = ServiceClock(ticket.service_clock)
    if ticket.status in ENDING_STATUSES:
        for target in TARGETS:
            clock.stop(target)
    elif ticket.status in PAUSING_STATUSES:
        clock.pause(now=now, timing=_timing(ticket))
    elif previous in PAUSING_STATUSES:
        clock.resume(now=now, timing=_timing(ticket))
    elif previous in ENDING_STATUSES:
        clock.start(RESOLUTION, now=now, timing=_timing(ticket))
    _keep(ticket, clock)


def conditions_changed(ticket, *, now: datetime) -> None:
    """Kind, priority or team changed: the policy is chosen again and running clocks retimed by it
    (the current running stretch counted on the new calendar); a target it adds starts now."""
    policy = choose_policy(ticket)
    clock = ServiceClock(ticket.service_clock)
    timing = timing_of(policy, ticket.team_id)
    ticket.service_level = policy
    clock.retime(now=now, timing=timing)
    if ticket.status not in ENDING_STATUSES + PAUSING_STATUSES:
        if ticket.first_response_at is None and not clock.has(FIRST_RESPONSE):
            clock.start(FIRST_RESPONSE, now=now, timing=timing)
        if not clock.has(RESOLUTION):
            clock.start(RESOLUTION, now=now, timing=timing)
    _keep(ticket, clock)


def hold_legal_clock(ticket, *, warn: datetime) -> None:
    """The legal deadline (already on the ticket) joins the clocks, with its early escalation."""
    clock = ServiceClock(ticket.service_clock)
    clock.hold_legal(deadline=ticket.legal_deadline, warn=warn)
    _keep(ticket, clock)


def _timing(ticket) -> Timing:
    policy = (
        ServiceLevelPolicy.objects.filter(pk=ticket.service_level_id).first()
        if ticket.service_level_id
        else None
    )
    return timing_of(policy, ticket.team_id)
