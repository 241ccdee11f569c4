"""Background work for tickets: thin, load by id and act."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from attenda.agents.models import Agent
from attenda.core.tasks import background
from attenda.tickets import search
from attenda.tickets.models import TimelineEntry


@background
def notify_handoff(entry_id: int) -> None:
    """Mails the receiver of a hand-off, in their language, with the note they must read first."""
    entry = TimelineEntry.objects.select_related("ticket", "author_agent").get(pk=entry_id)
    receivers = (
        Agent.objects.filter(pk=entry.data["to_agent"])
        if entry.data.get("to_agent")
        else Agent.objects.filter(teams=entry.data["to_team"], is_active=True)
    )
    for receiver in receivers.exclude(email=""):
        with translation.override(receiver.language):
            send_mail(
                subject=_("Ticket #%(number)s was handed to you") % {"number": entry.ticket_id},
                message=_(
                    '%(sender)s handed you ticket #%(number)s, "%(subject)s".\n\n'
                    "Hand-off note:\n%(note)s\n\nOpen it: %(link)s"
                )
                % {
                    "sender": entry.author_agent,
                    "number": entry.ticket_id,
                    "subject": entry.ticket.subject,
                    "note": entry.body,
                    "link": settings.BASE_URL + reverse("ticket", args=[entry.ticket_id]),
                },
                from_email=None,
                recipient_list=[receiver.email],
            )


@background
def index_pending_text() -> None:
    """Adds the texts waiting for the search index to it; queued after the commits that wrote them
    and every few seconds by the scheduler. Gives way after a minute: the next run goes on."""
    search.index_all_pending(seconds=60)
