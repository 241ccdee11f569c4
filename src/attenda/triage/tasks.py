"""Triage's background work: telling supervisors about an abusive message, and learning from agents'
labels again every day. Thin: load by id, call a service."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attenda.agents.models import Agent, Role
from attenda.core.tasks import background
from attenda.tickets.models import TimelineEntry


@background(label=gettext_lazy("Alerting supervisors to abuse"))
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


@background(label=gettext_lazy("Teaching triage from agents' labels"))
def retrain_now(actor_id: int | None = None) -> None:
    """An admin's "Retrain now", and the daily learning the scheduler queues (core/periodic.py)."""
    from attenda.triage import services

    actor = Agent.objects.get(pk=actor_id) if actor_id is not None else None
    services.retrain(actor=actor)
