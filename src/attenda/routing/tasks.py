"""Background work for routing: thin, load by id and act."""

from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attenda.agents.models import Agent, Role
from attenda.core.tasks import background
from attenda.routing.deadlines import CONSEQUENCE_LABELS
from attenda.tickets.models import TimelineEntry


@background(label=gettext_lazy("Checking service levels"))
def sweep_service_levels() -> None:
    """Scheduled every minute (core/periodic.py): escalates what came due since the last sweep."""
    # Imported here: routing.services enqueues this module's notify_escalations.
    from attenda.routing.services import sweep

    sweep()


@background(label=gettext_lazy("Telling supervisors of escalations"))
def notify_escalations(entry_ids: list[int]) -> None:
    """One mail per person with every ticket of the sweep they are told about, in their language:
    the owner for a warning, the team's supervisors for a breach or a legal deadline."""
    entries = list(
        TimelineEntry.objects.filter(pk__in=entry_ids).select_related("ticket").order_by("id")
    )
    team_ids = {entry.ticket.team_id for entry in entries if entry.ticket.team_id}
    supervisors: dict[int, list[Agent]] = defaultdict(list)
    for supervisor in Agent.objects.filter(
        teams__in=team_ids, role=Role.SUPERVISOR, is_active=True
    ).prefetch_related("teams"):
        for team in supervisor.teams.all():
            supervisors[team.pk].append(supervisor)
    owners = {
        agent.pk: agent
        for agent in Agent.objects.filter(
            pk__in={entry.data["escalation"]["owner_told"] for entry in entries}, is_active=True
        )
    }
    told: dict[int, tuple[Agent, list[TimelineEntry]]] = {}
    for entry in entries:
        receivers = []
        if entry.data["escalation"]["notify"] == "supervisors":
            receivers += supervisors.get(entry.ticket.team_id, [])
        owner = owners.get(entry.data["escalation"]["owner_told"])
        if owner is not None:
            receivers.append(owner)
        for receiver in receivers:
            told.setdefault(receiver.pk, (receiver, []))[1].append(entry)
    for receiver, their_entries in told.values():
        if not receiver.email:
            continue
        with translation.override(receiver.language):
            lines = [
                _("#%(number)s %(subject)s: %(what)s\n%(link)s")
                % {
                    "number": entry.ticket_id,
                    "subject": entry.ticket.subject,
                    "what": escalation_text(entry.data["escalation"]),
                    "link": settings.BASE_URL + reverse("ticket", args=[entry.ticket_id]),
                }
                for entry in dict.fromkeys(their_entries)
            ]
            send_mail(
                subject=_("Deadlines need your attention on %(count)s tickets")
                % {"count": len(lines)},
                message="\n\n".join(lines),
                from_email=None,
                recipient_list=[receiver.email],
            )


def escalation_text(escalation: dict) -> str:
    """One sentence on a warning or breach, in the active language; also the timeline's headline."""
    target, event = escalation.get("target"), escalation.get("event")
    if target == "legal" and event == "breach":
        consequence = CONSEQUENCE_LABELS.get(escalation.get("consequence"), "")
        return _(
            "The legal deadline passed without an answer on a durable medium. %(consequence)s."
        ) % {"consequence": consequence}
    if target == "legal":
        return _("The legal deadline is near: answer on a durable medium before it passes.")
    names = {
        "first_response": _("first response"),
        "next_response": _("next response"),
        "resolution": _("resolution"),
    }
    name = names.get(target, target)
    if event == "breach":
        return _("The service level for the %(target)s was missed.") % {"target": name}
    return _("Most of the time for the %(target)s is used.") % {"target": name}
