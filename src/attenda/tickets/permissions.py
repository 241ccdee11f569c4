"""The one policy for who may see and change a ticket. Lists and single tickets both use it."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from attenda.agents.models import Agent
from attenda.tickets.models import Ticket


def visible_tickets(agent: Agent) -> QuerySet[Ticket]:
    if agent.is_admin:
        return Ticket.objects.all()
    return Ticket.objects.filter(Q(team_id__in=agent.team_ids()) | Q(owner=agent))


def can_view(agent: Agent, ticket: Ticket) -> bool:
    return agent.is_admin or ticket.team_id in agent.team_ids() or ticket.owner_id == agent.pk


def require_view(agent: Agent, ticket: Ticket) -> None:
    if not (agent.is_active and can_view(agent, ticket)):
        raise PermissionDenied


def require_assign(agent: Agent, ticket: Ticket, owner: Agent | None) -> None:
    """Agents take tickets for themselves or let them go; supervisors assign anyone in their team."""
    require_view(agent, ticket)
    if agent.manages_team(ticket.team_id):
        return
    if owner is not None and owner.pk == agent.pk:
        return
    if owner is None and ticket.owner_id == agent.pk:
        return
    raise PermissionDenied


def receives_handoff(agent: Agent, ticket: Ticket) -> bool:
    """The pinned note is for whoever received the ticket: its owner when it went to an agent, the
    receiving team when it went to a team."""
    entry = ticket.pinned_handoff
    if entry is None:
        return False
    if entry.data.get("to_agent"):
        return ticket.owner_id == agent.pk
    return entry.data.get("to_team") in agent.team_ids()
