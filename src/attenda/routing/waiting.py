"""How long a customer who writes to a team now can expect to wait for a first answer, from the live
queue and the pace the team answered at lately. Channels tell customers (the email acknowledgement)
and the API offers it (GET /api/v1/teams/{id}/wait-estimate).

The formula, over the last RATE_WINDOW:

    ahead      = open tickets of the team still without a first answer (created before the ticket
                 asked about, when there is one); counted up to QUEUE_BOUND
    answered   = tickets of the team that got their first answer in the window
    answerers  = the distinct owners of those tickets (at least 1)
    pace       = answered / (window in hours × answerers)     first answers per agent per hour
    available  = members of the team available now (status available, not absent)
    wait       = (ahead + 1) / (pace × available) hours, rounded up to a whole minute

No estimate (None) when nobody is available or the team answered nothing in the window: a number
made up from no evidence would be a promise nobody made.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils.translation import ngettext

from attenda.agents.models import Team
from attenda.agents.queries import team_routing
from attenda.core import clock
from attenda.tickets.models import OPEN_STATUSES, Ticket

RATE_WINDOW = timedelta(hours=4)
QUEUE_BOUND = 1000


@dataclass(frozen=True)
class WaitEstimate:
    wait: timedelta | None
    ahead: int
    answered: int
    answerers: int
    available: int


def estimate(
    team: Team, *, ahead_of: Ticket | None = None, at: datetime | None = None
) -> WaitEstimate:
    """Three queries: the queue (ticket_unanswered_idx), the recent answers
    (ticket_first_response_idx) and the team's members (agents.queries.team_routing)."""
    at = at or clock.now()
    queue = Ticket.objects.filter(
        team=team, status__in=OPEN_STATUSES, first_response_at__isnull=True
    )
    if ahead_of is not None:
        queue = queue.filter(created_at__lt=ahead_of.created_at).exclude(pk=ahead_of.pk)
    ahead = queue.values("id")[:QUEUE_BOUND].count()
    recent = Ticket.objects.filter(
        team=team, first_response_at__gte=at - RATE_WINDOW, first_response_at__lte=at
    ).aggregate(answered=Count("id"), answerers=Count("owner", distinct=True))
    available = sum(member.available for member in team_routing(team.pk, at=at).members.values())
    answered, answerers = recent["answered"], max(recent["answerers"], 1)
    wait = None
    if answered and available:
        pace = answered / (RATE_WINDOW.total_seconds() / 3600 * answerers)
        minutes = math.ceil((ahead + 1) / (pace * available) * 60)
        wait = timedelta(minutes=max(minutes, 1))
    return WaitEstimate(
        wait=wait, ahead=ahead, answered=answered, answerers=answerers, available=available
    )


def expected_first_response(
    team: Team, *, ahead_of: Ticket | None = None, at: datetime | None = None
) -> timedelta | None:
    """The wait of the formula above, or None when there is nothing to base it on."""
    return estimate(team, ahead_of=ahead_of, at=at).wait


def describe_wait(wait: timedelta) -> str:
    """ "about 40 minutes", "about 3 hours", "about 2 days", in the active language: a customer
    reads a rounded figure, never a precise one the team could miss by a minute."""
    minutes = math.ceil(wait.total_seconds() / 60)
    if minutes < 60:
        return ngettext("about %(count)d minute", "about %(count)d minutes", minutes) % {
            "count": minutes
        }
    hours = math.ceil(minutes / 60)
    if hours < 48:
        return ngettext("about %(count)d hour", "about %(count)d hours", hours) % {"count": hours}
    days = math.ceil(hours / 24)
    return ngettext("about %(count)d day", "about %(count)d days", days) % {"count": days}
