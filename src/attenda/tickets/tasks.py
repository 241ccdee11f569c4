"""Background work for tickets: thin, load by id and act."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attenda.agents.models import Agent, Role
from attenda.core.tasks import background
from attenda.tickets import arrivals, search
from attenda.tickets.models import TimelineEntry
from attenda.tickets.permissions import can_view


@background(label=gettext_lazy("Mailing a hand-over notice"))
def notify_handoff(entry_id: int) -> None:
    """Mails the receiver of a hand-off, in their language, with the note they must read first."""
    entry = TimelineEntry.objects.select_related("ticket", "author_agent").get(pk=entry_id)
    receivers, to_team = _handoff_receivers(entry)
    # Checked when the mail leaves, not when it was queued: the receiver may have been deactivated
    # or moved out of the ticket's team meanwhile.
    for receiver in receivers.filter(is_active=True).exclude(email=""):
        if not can_view(receiver, entry.ticket):
            continue
        with translation.override(receiver.language):
            subject = (
                _("Ticket #%(number)s was handed to your team")
                if to_team
                else _("Ticket #%(number)s was handed to you")
            )
            message = (
                _(
                    '%(sender)s handed ticket #%(number)s, "%(subject)s", to your team: choose '
                    "who takes it.\n\nHand-off note:\n%(note)s\n\nOpen it: %(link)s"
                )
                if to_team
                else _(
                    '%(sender)s handed you ticket #%(number)s, "%(subject)s".\n\n'
                    "Hand-off note:\n%(note)s\n\nOpen it: %(link)s"
                )
            )
            send_mail(
                subject=subject % {"number": entry.ticket_id},
                message=message
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


@background(label=gettext_lazy("Reading a chat message"))
def read_arrival(entry_id: int) -> None:
    arrivals.read_now(entry_id)


@background(label=gettext_lazy("Reading a chat message"))
def read_waiting_arrivals() -> None:
    """Reads the messages waiting to be read (arrivals.read_waiting); queued after the commits that
    wrote them and every few seconds by the scheduler. Gives way after a minute: the next run goes
    on."""
    arrivals.read_all_waiting(seconds=60)


@background(label=gettext_lazy("Indexing new text for search"))
def index_pending_text() -> None:
    """Adds the texts waiting for the search index to it; queued after the commits that wrote them
    and every few seconds by the scheduler. Gives way after a minute: the next run goes on."""
    search.index_all_pending(seconds=60)


def _handoff_receivers(entry: TimelineEntry):
    """Who is responsible for a handed-over ticket, as the team's assignment mode made it: the agent
    it was handed to, else the one the team's assignment chose, else (a team that assigns by hand)
    its supervisors, who choose; only a team without any tells every member. The flag says whether
    the mail speaks to a team rather than to its owner."""
    if entry.data.get("to_agent"):
        return Agent.objects.filter(pk=entry.data["to_agent"]), False
    ticket = entry.ticket
    if ticket.owner_id is not None and ticket.team_id == entry.data["to_team"]:
        return Agent.objects.filter(pk=ticket.owner_id, is_active=True), False
    members = Agent.objects.filter(teams=entry.data["to_team"], is_active=True)
    supervisors = members.filter(role=Role.SUPERVISOR)
    return (supervisors if supervisors.exists() else members), True
