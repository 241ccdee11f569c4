"""Every write of the phone channel: calls started, answered and ended, a person asked for and
answering, call-backs, voicemails, a call filed on a ticket, blocked numbers and unreadable webhook
bodies. Views (the voice menu, the CTI endpoint, the agent's pages) call these; a call reaches a
ticket only through ``receive()``."""

import contextlib
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from attenda.agents.models import Agent, Team
from attenda.channels.phone import numbers
from attenda.channels.phone.models import (
    BlockedNumber,
    Call,
    CallState,
    CtiEndpoint,
    Direction,
    PhoneLine,
    UnreadWebhook,
)
from attenda.core import audit, clock, live
from attenda.customers.models import Customer, IdentityKind
from attenda.customers.services import IdentityClaim
from attenda.routing import waiting
from attenda.routing.models import TeamCalendar
from attenda.tickets.messages import Inbound
from attenda.tickets.models import OPEN_STATUSES, Channel, EntryKind, Ticket
from attenda.tickets.permissions import require_view
from attenda.tickets.services import Received, receive

CARD_TICKETS = 5
# A call-back is promised within the expected wait, or this long when there is no estimate.
CALLBACK_WITHOUT_ESTIMATE = timedelta(hours=1)


def agent_stream(agent_id: int) -> str:
    return f"agent:{agent_id}"


def keep_unread(
    *, provider: str, path: str, content_type: str, body: bytes, reason: str
) -> UnreadWebhook:
    return UnreadWebhook.objects.create(
        provider=provider,
        path=path[:500],
        content_type=content_type[:200],
        body=body,
        reason=reason[:500],
    )


def is_blocked(number: str | None) -> bool:
    return number is not None and BlockedNumber.objects.filter(number=number).exists()


@transaction.atomic
def block_number(*, number: str, note: str, actor: Agent) -> BlockedNumber:
    if not actor.is_admin:
        raise PermissionDenied
    normalised = numbers.e164(number)
    if normalised is None:
        raise ValidationError({"number": _("%(value)s is not a phone number.") % {"value": number}})
    blocked, _created = BlockedNumber.objects.update_or_create(
        number=normalised, defaults={"note": note}
    )
    audit.record(actor=actor, action="phone.number_blocked", target=blocked, number=normalised)
    return blocked


@transaction.atomic
def save_telephone_system(*, form, actor: Agent) -> CtiEndpoint:
    """An admin's telephone system (CtiEndpointForm, valid): saved and on the audit trail, without
    its tokens."""
    if not actor.is_admin:
        raise PermissionDenied
    endpoint = form.save()
    audit.record(
        actor=actor,
        action="phone.telephone_system_saved",
        target=endpoint,
        name=endpoint.name,
        enabled=endpoint.enabled,
        region=endpoint.region,
    )
    return endpoint


@transaction.atomic
def unblock_number(*, blocked: BlockedNumber, actor: Agent) -> None:
    if not actor.is_admin:
        raise PermissionDenied
    audit.record(
        actor=actor, action="phone.number_unblocked", target=blocked, number=blocked.number
    )
    blocked.delete()


def open_tickets(customer: Customer, *, limit: int = CARD_TICKETS) -> list[Ticket]:
    """ticket_customer_idx: the customer's tickets by last activity, newest first."""
    return list(
        Ticket.objects.filter(
            customer=customer, status__in=OPEN_STATUSES, merged_into=None
        ).order_by("-updated_at")[:limit]
    )


def newest_open_ticket(customer_id: int) -> tuple[int, str] | None:
    """ticket_customer_idx: the number and status of the customer's open ticket with the latest
    activity, read as two columns (the voice menu says them to a caller)."""
    return (
        Ticket.objects.filter(customer_id=customer_id, status__in=OPEN_STATUSES, merged_into=None)
        .order_by("-updated_at")
        .values_list("pk", "status")
        .first()
    )


def customer_card(call: Call) -> dict:
    """What the ringing agent's page shows: who calls, their open tickets, their agent."""
    customer = call.customer
    card = {
        "call": call.pk,
        "number": call.number or call.from_number,
        "customer": None,
        "tickets": [],
    }
    if customer is not None:
        standing = customer.standing_agent
        card["customer"] = {
            "name": customer.name,
            "url": reverse("customer", args=[customer.pk]),
            "standing_agent": standing.display_name if standing else "",
        }
        card["tickets"] = [
            {
                "number": ticket.number,
                "subject": ticket.subject[:120],
                "status": str(ticket.get_status_display()),
                "url": reverse("ticket", args=[ticket.pk]),
            }
            for ticket in open_tickets(customer)
        ]
    card["file_url"] = reverse("phone_file_call", args=[call.pk])
    return card


def ring(*, call: Call, agents: list[Agent]) -> None:
    """The phones of ``agents`` ring: each of their open pages shows the caller at once."""
    if not agents:
        return
    call.ringing_agents.add(*agents)
    for agent in agents:
        with translation.override(agent.language):
            live.publish(agent_stream(agent.pk), "call.ringing", customer_card(call))


# A call rings for a minute or two at most; one older than this whose end was never reported is
# not shown to a page opened now.
RINGS_AT_MOST = timedelta(minutes=3)


def still_ringing(agent: Agent) -> list[dict]:
    """The cards of the calls ringing for ``agent`` now: a page opened (or reloaded) while the
    phone rings shows the caller too, not only the pages open when it began."""
    # The desk's calls ringing now first (call_ringing_idx: a few), then those ringing for the
    # agent among them: an agent's phone has rung for many calls over the years.
    ringing = Call.objects.filter(
        state=CallState.NEW, started_at__gte=clock.now() - RINGS_AT_MOST
    ).values_list("pk", flat=True)
    calls = Call.objects.filter(pk__in=list(ringing), ringing_agents=agent).select_related(
        "customer"
    )
    with translation.override(agent.language):
        return [customer_card(call) for call in calls]


def _stop_ringing(call: Call) -> None:
    for agent_id in call.ringing_agents.values_list("pk", flat=True):
        live.publish(agent_stream(agent_id), "call.ended", {"call": call.pk})


_UNKNOWN = object()


def start_call(
    *,
    provider: str,
    call_id: str,
    direction: str,
    from_number: str,
    to_number: str,
    line: PhoneLine | None = None,
    team: Team | None = None,
    region: str = "",
    customer=_UNKNOWN,
    **fields,
) -> tuple[Call, bool]:
    """The call with this provider id, made once: a retried or concurrent first event finds the row
    the other made (call_provider_id_unique). Returns the call and whether it is new. National
    numbers are read as ``region``'s (the PBX's country); ``customer``, when the caller already
    looked them up, saves reading them again."""
    customer_side = from_number if direction == Direction.IN else to_number
    number = numbers.e164(customer_side, region=region)
    if customer is _UNKNOWN:
        customer = numbers.caller(number)
    # The first event of a call is by far the most common: it is written straight away, and a
    # repeated one (a provider's retry) finds the row through the unique constraint. One INSERT
    # is a transaction of its own; inside a caller's transaction a savepoint keeps that usable.
    writing = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with writing:
            call = Call.objects.create(
                provider=provider,
                call_id=call_id,
                direction=direction,
                state=CallState.NEW,
                from_number=from_number,
                to_number=to_number,
                number=number or "",
                customer=customer,
                line=line,
                team=team or (line.team if line else None),
                started_at=clock.now(),
                **fields,
            )
    except IntegrityError:
        return Call.objects.get(provider=provider, call_id=call_id), False
    return call, True


@transaction.atomic
def answered(*, call: Call, agent: Agent | None, by: str = "") -> Call:
    """Someone picked up. A second answer, or one after the hang-up, changes nothing."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.state != CallState.NEW:
        return call
    now = clock.now()
    call.state = CallState.ANSWER
    call.answered_at = now
    call.answered_by = agent
    if by:
        call.to_comment = by[:500]
    if agent is not None and call.person_requested_at and call.person_answered_at is None:
        call.person_answered_at = now
    call.save()
    _stop_ringing(call)
    return call


@transaction.atomic
def person_requested(*, call: Call, team: Team | None = None) -> Call:
    """The caller asked for a person (Ley 10/2025): the first request is the one the clock counts
    from; the team is where they are put through."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.person_requested_at is None:
        call.person_requested_at = clock.now()
    if team is not None:
        call.team = team
    call.save()
    return call


@transaction.atomic
def person_answered(*, call: Call, agent: Agent) -> Call:
    call = Call.objects.select_for_update().get(pk=call.pk)
    now = clock.now()
    if call.person_answered_at is None:
        call.person_answered_at = now
    if call.answered_by_id is None:
        call.answered_by = agent
        call.answered_at = call.answered_at or now
        call.state = CallState.ANSWER if call.state == CallState.NEW else call.state
    call.save()
    _stop_ringing(call)
    return call


@transaction.atomic
def ended(*, call: Call, cause: str = "", duration: int | None = None) -> Call:
    """The call is over. Not answered by a person is a missed call; an answered one goes on the ticket
    the agent chose. A repeated hang-up changes nothing."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.state == CallState.HANGUP:
        return call
    now = clock.now()
    call.state = CallState.HANGUP
    call.ended_at = now
    if cause:
        call.comment = cause[:200]
    if duration is not None and call.answered_at is None and duration > 0 and call.answered_by_id:
        call.answered_at = now - timedelta(seconds=duration)
    call.missed = (
        call.direction == Direction.IN
        and call.answered_by_id is None
        and not call.recording_url
        and call.callback_ticket_id is None
    )
    call.save()
    _stop_ringing(call)
    if call.chosen_ticket_id or call.file_as_new:
        _file(call, actor=call.answered_by)
    return call


def _summary(call: Call) -> str:
    who = call.answered_by.display_name if call.answered_by else ""
    duration = call.duration
    if call.direction == Direction.IN:
        text = _("Call from %(number)s.") % {"number": call.number or call.from_number}
    else:
        text = _("Call to %(number)s.") % {"number": call.number or call.to_number}
    if who:
        text += " " + _("Answered by %(agent)s.") % {"agent": who}
    elif call.state == CallState.HANGUP and call.missed:
        text += " " + _("Nobody answered.")
    if duration is not None:
        minutes, seconds = divmod(int(duration.total_seconds()), 60)
        text += " " + _("Duration: %(minutes)d min %(seconds)02d s.") % {
            "minutes": minutes,
            "seconds": seconds,
        }
    if call.recording_url:
        text += " " + _("Recording: %(url)s") % {"url": call.recording_url}
    return text


def _call_data(call: Call) -> dict:
    duration = call.duration
    return {
        "call": {
            "id": call.pk,
            "direction": call.direction,
            "number": call.number,
            "answered_by": call.answered_by_id,
            "missed": call.missed,
            "duration": int(duration.total_seconds()) if duration else None,
            "recording": call.recording_url,
        }
    }


def _file(call: Call, *, actor: Agent | None) -> Received:
    claims = [IdentityClaim(IdentityKind.PHONE, call.number)] if call.number else []
    received = receive(
        Inbound(
            channel=Channel.PHONE,
            claims=claims,
            customer_id=call.customer_id,
            body=_summary(call),
            subject=_("Phone call from %(number)s") % {"number": call.number or call.from_number},
            entry_kind=EntryKind.CALL,
            ticket_number=call.chosen_ticket_id,
            external_id=f"{call.provider}:{call.call_id}",
            team_id=call.team_id,
            kind=call.kind or None,
            language=call.language,
            entry_data=_call_data(call),
        ),
        owner=actor,
    )
    Call.objects.filter(pk=call.pk).update(
        ticket=received.ticket, customer=received.ticket.customer
    )
    return received


@transaction.atomic
def file_call(*, call: Call, ticket: Ticket | None, agent: Agent) -> Call:
    """The agent puts the call on one of the caller's open tickets, or on a new one (``ticket`` None).
    Before the hang-up the choice is kept and the entry written when the call ends, with its
    duration; after it, at once."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    if ticket is not None:
        require_view(agent, ticket)
        if call.customer_id is None or ticket.customer_id != call.customer_id:
            raise ValidationError(_("That ticket is not the caller's."))
    if call.ticket_id is not None:
        return call
    call.chosen_ticket = ticket
    call.file_as_new = ticket is None
    if call.answered_by_id is None:
        call.answered_by = agent
    call.save()
    if call.state == CallState.HANGUP:
        _file(call, actor=agent)
        call.refresh_from_db()
    return call


def promised_callback(team: Team | None, *, now: datetime) -> datetime:
    """The expected wait from now, counted in the team's business hours when it has a calendar."""
    wait = waiting.expected_first_response(team, at=now) if team else None
    wait = wait or CALLBACK_WITHOUT_ESTIMATE
    calendar = TeamCalendar.objects.filter(team=team).first() if team else None
    if calendar is None:
        return now + wait
    return calendar.business_calendar().add_business_time(now, wait)


@transaction.atomic
def request_callback(*, call: Call, team: Team | None = None, actor: Agent | None = None) -> Ticket:
    """A call-back task: a ticket in the team's queue with the number to call and the time promised.
    Asked twice for the same call, it is the same ticket."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.callback_ticket_id is not None:
        return call.callback_ticket
    team = team or call.team
    now = clock.now()
    promised = promised_callback(team, now=now)
    number = call.number or call.from_number
    with translation.override(call.language or None):
        body = _("Call %(number)s back by %(time)s.") % {
            "number": number,
            "time": formats.date_format(timezone.localtime(promised), "DATETIME_FORMAT"),
        }
        subject = _("Call-back to %(number)s") % {"number": number}
    received = receive(
        Inbound(
            channel=Channel.PHONE,
            claims=[IdentityClaim(IdentityKind.PHONE, call.number)] if call.number else [],
            customer_id=call.customer_id,
            body=body,
            subject=subject,
            entry_kind=EntryKind.CALL,
            external_id=f"{call.provider}:{call.call_id}:callback",
            team_id=team.pk if team else None,
            kind=call.kind or None,
            language=call.language,
            entry_data={
                "callback": {"number": number, "promised_at": promised.isoformat(), "call": call.pk}
            },
        ),
        logged_by=actor,
    )
    call.callback_ticket = received.ticket
    call.customer = received.ticket.customer
    call.done = True
    call.save(update_fields=["callback_ticket", "customer", "done"])
    audit.record(
        actor=actor, action="phone.callback_requested", target=received.ticket, call=call.pk
    )
    return received.ticket


@transaction.atomic
def voicemail(*, call: Call, recording_url: str) -> Ticket:
    """The caller left a message: its link goes on a ticket (the same one if sent twice)."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    call.recording_url = recording_url[:500]
    call.save(update_fields=["recording_url"])
    received = receive(
        Inbound(
            channel=Channel.PHONE,
            claims=[IdentityClaim(IdentityKind.PHONE, call.number)] if call.number else [],
            customer_id=call.customer_id,
            body=_("Voicemail from %(number)s: %(url)s")
            % {"number": call.number or call.from_number, "url": recording_url},
            subject=_("Voicemail from %(number)s") % {"number": call.number or call.from_number},
            entry_kind=EntryKind.CALL,
            external_id=f"{call.provider}:{call.call_id}:voicemail",
            team_id=call.team_id,
            kind=call.kind or None,
            language=call.language,
            entry_data={"voicemail": {"recording": recording_url, "call": call.pk}},
        )
    )
    call.ticket = received.ticket
    call.customer = received.ticket.customer
    call.save(update_fields=["ticket", "customer"])
    return received.ticket


@transaction.atomic
def transcription(*, call: Call, text: str) -> Ticket | None:
    """The provider's transcription of the voicemail, on the voicemail's ticket."""
    if call.ticket_id is None:
        return None
    received = receive(
        Inbound(
            channel=Channel.PHONE,
            claims=[],
            customer_id=call.ticket.customer_id,
            body=text,
            entry_kind=EntryKind.CALL,
            ticket_number=call.ticket_id,
            external_id=f"{call.provider}:{call.call_id}:transcription",
            language=call.language,
            entry_data={"transcription": {"call": call.pk}},
        )
    )
    return received.ticket


@transaction.atomic
def mark_done(*, calls: list[Call], actor: Agent) -> int:
    return Call.objects.filter(pk__in=[call.pk for call in calls]).update(done=True)


def expected_wait_text(team: Team | None) -> str:
    wait = waiting.expected_first_response(team) if team else None
    if wait is None:
        return ""
    return _("The expected wait is %(wait)s.") % {"wait": waiting.describe_wait(wait)}


def is_open(team: Team | None, *, at: datetime | None = None) -> bool:
    calendar = TeamCalendar.objects.filter(team=team).first() if team else None
    return calendar is None or calendar.business_calendar().is_open(at or clock.now())
