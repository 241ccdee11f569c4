"""Every write of the office counter: offices and their services and counters (audited), queue
numbers from the kiosk, and what a counter does with them (call next, recall, no-show, transfer,
finish). Each change is published on the office's live streams in the same transaction, so the
waiting-room display and the counters hear it once it commits."""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from attenda.agents.models import Agent
from attenda.channels.counter.models import (
    Counter,
    Office,
    QueueDay,
    Service,
    Visit,
    VisitStatus,
    new_token,
)
from attenda.channels.counter.tasks import tell_turn_near
from attenda.core import audit, clock, live
from attenda.customers.identities import normalise
from attenda.customers.models import Customer, IdentityKind
from attenda.customers.services import IdentityClaim, identify
from attenda.tickets.models import Channel, Ticket
from attenda.tickets.services import Received, log_contact

# The wait estimate is the mean service time of the office's last RECENT_VISITS served visits of
# the last RECENT_WINDOW, times the people ahead, shared among the counters that served them.
RECENT_VISITS = 30
RECENT_WINDOW = timedelta(hours=3)
CALL_CANDIDATES = 10
CONTACT_WINDOW = timedelta(minutes=15)


def may_work_at(agent: Agent, office: Office) -> bool:
    """Admins, and the agents of the office's team (everyone when it has none)."""
    return agent.is_active and (
        agent.is_admin or office.team_id is None or office.team_id in agent.team_ids()
    )


def require_counter_agent(agent: Agent, office: Office) -> None:
    if not may_work_at(agent, office):
        raise PermissionDenied


def require_admin(agent: Agent) -> None:
    if not agent.is_admin:
        raise PermissionDenied


def local_day(office: Office, at: datetime) -> date:
    return at.astimezone(ZoneInfo(office.time_zone)).date()


def is_open(office: Office, at: datetime) -> bool:
    """An office without any hours set is open whenever its kiosk is used."""
    if not any(office.week):
        return True
    return office.business_calendar().is_open(at)


# Settings -------------------------------------------------------------------------------------


@transaction.atomic
def save_office(*, office: Office, actor: Agent) -> Office:
    require_admin(actor)
    created = office.pk is None
    office.full_clean()
    office.save()
    audit.record(
        actor=actor, action="office.created" if created else "office.changed", target=office
    )
    return office


@transaction.atomic
def renew_tokens(*, office: Office, actor: Agent) -> Office:
    """New kiosk and display addresses: the screens that had the old ones are shut out."""
    require_admin(actor)
    office.kiosk_token = new_token()
    office.display_token = new_token()
    office.save(update_fields=["kiosk_token", "display_token"])
    audit.record(actor=actor, action="office.addresses_renewed", target=office)
    return office


@transaction.atomic
def save_service(*, service: Service, actor: Agent) -> Service:
    require_admin(actor)
    created = service.pk is None
    service.full_clean()
    service.save()
    audit.record(
        actor=actor,
        action="office.service_created" if created else "office.service_changed",
        target=service,
        office=service.office_id,
        letter=service.letter,
        priority=service.priority,
    )
    return service


@transaction.atomic
def save_counter(*, counter: Counter, actor: Agent) -> Counter:
    require_admin(actor)
    created = counter.pk is None
    counter.full_clean()
    counter.save()
    audit.record(
        actor=actor,
        action="office.counter_created" if created else "office.counter_changed",
        target=counter,
        office=counter.office_id,
    )
    return counter


# The kiosk ------------------------------------------------------------------------------------


def _next_number(service: Service, day: date) -> int:
    """One UPDATE on the day's row takes the number: the database orders two kiosks asking at
    once (a row lock on PostgreSQL, the write lock on SQLite)."""
    for _attempt in range(2):
        if QueueDay.objects.filter(service=service, day=day).update(
            last_number=F("last_number") + 1
        ):
            break
        try:
            with transaction.atomic():
                QueueDay.objects.create(service=service, day=day, last_number=1)
            return 1
        except IntegrityError:
            continue  # another kiosk made the day's row first: take the next number on it
    return QueueDay.objects.get(service=service, day=day).last_number


def label_for(service: Service, number: int) -> str:
    return f"{service.letter}-{number % 1000:03d}"


@transaction.atomic
def take_number(*, service: Service, language: str = "") -> Visit:
    office = service.office
    now = clock.now()
    if not service.is_active:
        raise ValidationError(_("This service is not offered now."))
    if not is_open(office, now):
        raise ValidationError(_("The office is closed now; please come back during its hours."))
    day = local_day(office, now)
    number = _next_number(service, day)
    visit = Visit.objects.create(
        office=office,
        service=service,
        day=day,
        number=number,
        label=label_for(service, number),
        priority=service.priority,
        language=language,
        waiting_since=now,
        created_at=now,
    )
    live.publish(office.queue_stream, "queued", _queue_payload(visit))
    return visit


@transaction.atomic
def leave_contact(*, visit: Visit, phone: str = "", email: str = "") -> Visit:
    """The visitor asks to be told when their turn is near. Only just after taking the number, at
    the kiosk, and only once: the kiosk's address does not let anyone change others' visits."""
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if (
        visit.status != VisitStatus.WAITING
        or visit.phone
        or visit.email
        or clock.now() - visit.created_at > CONTACT_WINDOW
    ):
        raise ValidationError(_("This number can no longer take a phone number or address."))
    errors = {}
    if not phone.strip() and not email.strip():
        errors["phone"] = _("Give a phone number or an email address.")
    if phone.strip():
        try:
            visit.phone = normalise(IdentityKind.PHONE, phone)
        except ValidationError as error:
            errors["phone"] = error.messages
    if email.strip():
        try:
            visit.email = normalise(IdentityKind.EMAIL, email)
        except ValidationError as error:
            errors["email"] = error.messages
    if errors:
        raise ValidationError(errors)
    visit.save(update_fields=["phone", "email"])
    return visit


def people_ahead(visit: Visit) -> int:
    """Visitors the counters will call before this one (visit_queue_idx)."""
    return Visit.objects.filter(
        Q(priority__lt=visit.priority)
        | Q(priority=visit.priority, waiting_since__lt=visit.waiting_since)
        | Q(priority=visit.priority, waiting_since=visit.waiting_since, pk__lt=visit.pk),
        office=visit.office_id,
        status=VisitStatus.WAITING,
    ).count()


@dataclass(frozen=True)
class WaitEstimate:
    ahead: int
    wait: timedelta | None


def expected_wait(visit: Visit, *, at: datetime | None = None) -> WaitEstimate:
    """(ahead + 1) × mean recent service time ÷ counters that served lately; no estimate without
    recent service times, since a figure made of nothing would be a promise nobody made."""
    at = at or clock.now()
    ahead = people_ahead(visit)
    recent = list(
        Visit.objects.filter(
            office=visit.office_id,
            status__in=[VisitStatus.DONE, VisitStatus.TRANSFERRED],
            ended_at__gte=at - RECENT_WINDOW,
            service_seconds__isnull=False,
        )
        .order_by("-ended_at")
        .values_list("service_seconds", "counter_id")[:RECENT_VISITS]
    )
    if not recent:
        return WaitEstimate(ahead=ahead, wait=None)
    mean = statistics.fmean(seconds for seconds, _counter in recent)
    counters = max(len({counter for _seconds, counter in recent if counter}), 1)
    seconds = (ahead + 1) * mean / counters
    return WaitEstimate(ahead=ahead, wait=timedelta(seconds=max(seconds, 60)))


# The counter ----------------------------------------------------------------------------------


def current_visit(counter: Counter) -> Visit | None:
    return (
        Visit.objects.select_related("service", "transferred_from")
        .filter(counter=counter, status=VisitStatus.CALLED)
        .order_by("-called_at")
        .first()
    )


def _seconds(start: datetime, end: datetime) -> int:
    return max(int((end - start).total_seconds()), 0)


@transaction.atomic
def call_next(*, counter: Counter, agent: Agent) -> Visit | None:
    """The waiting visitor of the highest-priority service who has waited longest, or None. The
    visit changes hands by a conditional UPDATE, so two counters calling at the same moment never
    get the same visitor: the second finds it taken and goes on to the next."""
    office = counter.office
    require_counter_agent(agent, office)
    if current_visit(counter) is not None:
        raise ValidationError(_("Finish with the visitor at this counter before calling the next."))
    now = clock.now()
    while True:
        candidates = list(
            Visit.objects.filter(office=office, status=VisitStatus.WAITING)
            .order_by("priority", "waiting_since", "pk")
            .values_list("pk", "waiting_since")[:CALL_CANDIDATES]
        )
        if not candidates:
            return None
        for pk, waiting_since in candidates:
            taken = Visit.objects.filter(pk=pk, status=VisitStatus.WAITING).update(
                status=VisitStatus.CALLED,
                counter=counter,
                agent=agent,
                called_at=now,
                times_called=1,
                waiting_seconds=_seconds(waiting_since, now),
            )
            if taken:
                visit = Visit.objects.select_related("service", "office").get(pk=pk)
                live.publish(office.stream, "called", _call_payload(visit, counter))
                audit.record(actor=agent, action="visit.called", target=visit, counter=counter.pk)
                _tell_those_near(office)
                return visit


def _tell_those_near(office: Office) -> None:
    """The waiting visitors who left a phone or address and now have few enough ahead are told,
    once."""
    near = list(
        Visit.objects.filter(office=office, status=VisitStatus.WAITING)
        .order_by("priority", "waiting_since", "pk")
        .values_list("pk", "phone", "email", "notified_at")[: office.notify_when_ahead + 1]
    )
    due = [pk for pk, phone, email, notified in near if (phone or email) and notified is None]
    if due:
        Visit.objects.filter(pk__in=due).update(notified_at=clock.now())
        for pk in due:
            tell_turn_near.enqueue_on_commit(pk)


def _held(visit: Visit, counter_agent: Agent) -> Visit:
    visit = (
        Visit.objects.select_for_update(of=("self",))
        .select_related("office", "service", "counter")
        .get(pk=visit.pk)
    )
    require_counter_agent(counter_agent, visit.office)
    if visit.status != VisitStatus.CALLED:
        raise ValidationError(_("This visitor is no longer called to a counter."))
    return visit


@transaction.atomic
def recall(*, visit: Visit, agent: Agent) -> Visit:
    """Calls the same number again, on the display and with the chime."""
    visit = _held(visit, agent)
    visit.times_called = F("times_called") + 1
    visit.save(update_fields=["times_called"])
    visit.refresh_from_db(fields=["times_called"])
    live.publish(
        visit.office.stream, "called", {**_call_payload(visit, visit.counter), "recall": True}
    )
    audit.record(actor=agent, action="visit.recalled", target=visit, times=visit.times_called)
    return visit


@transaction.atomic
def no_show(*, visit: Visit, agent: Agent) -> Visit:
    visit = _held(visit, agent)
    visit.status = VisitStatus.NO_SHOW
    visit.ended_at = clock.now()
    visit.save(update_fields=["status", "ended_at"])
    live.publish(visit.office.queue_stream, "cleared", _queue_payload(visit))
    audit.record(actor=agent, action="visit.no_show", target=visit)
    return visit


@transaction.atomic
def transfer(*, visit: Visit, to_service: Service, note: str, agent: Agent) -> Visit:
    """Sends the visitor to another service's queue with a hand-off note the next agent reads
    first. The visitor keeps their number and their place by the time they arrived."""
    visit = _held(visit, agent)
    if to_service.office_id != visit.office_id or to_service.pk == visit.service_id:
        raise ValidationError({"to_service": _("Choose another service of this office.")})
    if not note.strip():
        raise ValidationError({"note": _("Write a hand-off note for the next counter.")})
    now = clock.now()
    visit.status = VisitStatus.TRANSFERRED
    visit.ended_at = now
    visit.service_seconds = _seconds(visit.called_at, now)
    visit.save(update_fields=["status", "ended_at", "service_seconds"])
    moved = Visit.objects.create(
        office=visit.office,
        service=to_service,
        day=visit.day,
        number=visit.number,
        label=visit.label,
        priority=to_service.priority,
        language=visit.language,
        phone=visit.phone,
        email=visit.email,
        notified_at=visit.notified_at,
        waiting_since=visit.waiting_since,
        created_at=now,
        transferred_from=visit,
        handoff_note=note.strip(),
        customer=visit.customer,
    )
    live.publish(visit.office.queue_stream, "cleared", _queue_payload(visit))
    live.publish(visit.office.queue_stream, "queued", _queue_payload(moved))
    audit.record(actor=agent, action="visit.transferred", target=visit, to_service=to_service.pk)
    return moved


@transaction.atomic
def finish(
    *,
    visit: Visit,
    agent: Agent,
    body: str,
    customer: Customer | None = None,
    name: str = "",
    ticket: Ticket | None = None,
    solved: bool = False,
) -> Received:
    """The visitor was served: their customer record (the one the agent chose, else the one their
    phone or address identifies, else a new one) gets a visit entry on the ticket the agent
    picked, or on a new one, through receive()."""
    visit = _held(visit, agent)
    if ticket is not None and customer is not None and ticket.customer_id != customer.pk:
        raise ValidationError({"ticket": _("Choose a ticket of this customer.")})
    if customer is None and ticket is not None:
        customer = ticket.customer
    if customer is None:
        claims = [IdentityClaim(kind=IdentityKind.PHONE, value=visit.phone)] if visit.phone else []
        if visit.email:
            claims.append(IdentityClaim(kind=IdentityKind.EMAIL, value=visit.email))
        if not claims and not name.strip():
            raise ValidationError(
                {"name": _("Give the visitor's name, or choose their customer record.")}
            )
        customer = identify(claims=claims, name=name, language=visit.language, actor=agent)
    received = log_contact(
        agent=agent,
        customer=customer,
        channel=Channel.COUNTER,
        body=body,
        subject=_("Visit %(number)s at %(office)s: %(service)s")
        % {"number": visit.label, "office": visit.office.name, "service": visit.service.name},
        ticket=ticket,
        team=visit.office.team,
        solved=solved,
    )
    now = clock.now()
    visit.status = VisitStatus.DONE
    visit.ended_at = now
    visit.service_seconds = _seconds(visit.called_at, now)
    visit.customer = received.ticket.customer
    visit.ticket = received.ticket
    visit.save(update_fields=["status", "ended_at", "service_seconds", "customer", "ticket"])
    live.publish(visit.office.queue_stream, "cleared", _queue_payload(visit))
    audit.record(actor=agent, action="visit.served", target=visit, ticket=received.ticket.pk)
    return received


def _queue_payload(visit: Visit) -> dict:
    return {"visit": visit.pk, "number": visit.label, "service": visit.service_id}


def _call_payload(visit: Visit, counter: Counter) -> dict:
    return {**_queue_payload(visit), "counter": counter.name, "counter_id": counter.pk}
