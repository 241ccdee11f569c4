"""Triage's background work: telling supervisors about an abusive message, and learning from agents'
labels again every day. Thin: load by id, call a service."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from attenda.agents.models import Agent, Role
from attenda.core import clock
from attenda.core.tasks import background
from attenda.tickets.models import TimelineEntry

RETRAINING_INTERVAL = timedelta(hours=24)


@background
def alert_supervisors(entry_id: int) -> None:
    """Mails the supervisors of the ticket's team, in their language. The mail names the ticket but
    carries none of the abusive words."""
    entry = TimelineEntry.objects.select_related("ticket").get(pk=entry_id)
    ticket = entry.ticket
    supervisors = Agent.objects.filter(
        role=Role.SUPERVISOR, is_active=True, teams=ticket.team_id
    ).exclude(email="")
    for supervisor in supervisors:
        with translation.override(supervisor.language):
            send_mail(
                subject=_("An abusive message on ticket #%(number)s") % {"number": ticket.pk},
                message=_(
                    'A customer wrote an abusive message on ticket #%(number)s, "%(subject)s".'
                    " It is hidden until someone chooses to read it. You can take the"
                    " conversation over from the ticket page.\n\nOpen it: %(link)s"
                )
                % {
                    "number": ticket.pk,
                    "subject": ticket.subject,
                    "link": settings.BASE_URL + reverse("ticket", args=[ticket.pk]),
                },
                from_email=None,
                recipient_list=[supervisor.email],
            )


@background
def retrain_now(actor_id: int | None = None) -> None:
    from attenda.triage import services

    actor = Agent.objects.get(pk=actor_id) if actor_id is not None else None
    services.retrain(actor=actor)


@background
def retrain_periodically(due: str) -> None:
    """One link of the daily chain: learns, then queues the next link. A link whose time is not the
    one the settings row expects belongs to a chain that was replaced, and ends here, so duplicates
    die out instead of multiplying."""
    from attenda.triage import services
    from attenda.triage.models import TriageSettings

    with transaction.atomic():
        row = TriageSettings.objects.select_for_update().filter(pk=1).first()
        if row is None or row.next_retraining_at is None:
            return
        if row.next_retraining_at.isoformat() != due:
            return
        following = clock.now() + RETRAINING_INTERVAL
        row.next_retraining_at = following
        row.save(update_fields=["next_retraining_at"])
        _queue_link(following)
    services.retrain()


def _queue_link(due: datetime) -> None:
    from attenda.core.tasks import run_with_retries

    path = f"{retrain_periodically.func.__module__}.{retrain_periodically.func.__name__}"
    transaction.on_commit(
        lambda: run_with_retries.using(run_after=due).enqueue(path, [due.isoformat()], {}, 1)
    )


def schedule_retraining() -> None:
    """Called when a worker starts (core.tasks.schedule_periodic_work): starts the daily chain
    unless one is waiting already."""
    from attenda.triage.models import TriageSettings

    with transaction.atomic():
        row, _created = TriageSettings.objects.select_for_update().get_or_create(pk=1)
        now = clock.now()
        # A chain whose next link is long overdue was lost with its queue: start another.
        if row.next_retraining_at is not None and row.next_retraining_at > now - timedelta(hours=1):
            return
        row.next_retraining_at = now
        row.save(update_fields=["next_retraining_at"])
        _queue_link(now)
