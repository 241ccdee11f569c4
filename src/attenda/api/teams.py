"""Teams and agents over the API: the lists an integrator picks transfer targets from, a team's
expected wait, and an agent's availability (status, absence, backup), with the same rules as the
pages. What the agent may not see answers 404."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from attenda.agents import queries
from attenda.agents.models import Agent, Team
from attenda.agents.services import manages_agent, set_availability
from attenda.api.errors import Missing, refused_as_conflict
from attenda.api.schemas import (
    AgentFilters,
    AgentPageOut,
    AvailabilityIn,
    AvailabilityOut,
    ErrorOut,
    PageQuery,
    PathId,
    TeamPageOut,
    WaitEstimateOut,
)
from attenda.core.pagination import Page
from attenda.routing.waiting import estimate

teams_router = Router(tags=["teams"])
agents_router = Router(tags=["agents"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@teams_router.get("", response={200: TeamPageOut, **ERRORS}, summary="List teams")
def list_teams(request: HttpRequest, page: Query[PageQuery]) -> Page:
    """Every team by name, a page at a time: a ticket can be transferred to any of them."""
    return queries.team_page(cursor=page.cursor, size=page.limit)


@agents_router.get("", response={200: AgentPageOut, **ERRORS}, summary="List agents")
def list_agents(request: HttpRequest, filters: Query[AgentFilters]) -> Page:
    """Agents by username with their teams, languages and status, a page at a time: a ticket can
    be transferred to any active agent. Keep the same filters while following next_cursor."""
    return queries.agent_page(
        cursor=filters.cursor, size=filters.limit, team_id=filters.team, active=filters.active
    )


@teams_router.get(
    "/{team_id}/wait-estimate",
    response={200: WaitEstimateOut, **ERRORS},
    summary="Expected wait for a first answer",
)
def wait_estimate(request: HttpRequest, team_id: PathId) -> dict:
    """From the team's queue of unanswered tickets and its pace of first answers lately."""
    agent = request.auth
    team = Team.objects.filter(pk=team_id).first()
    if team is None or not (agent.is_admin or team.pk in agent.team_ids()):
        raise Team.DoesNotExist
    found = estimate(team)
    return {
        "team": team,
        "minutes": int(found.wait.total_seconds() // 60) if found.wait is not None else None,
        "ahead": found.ahead,
        "answered_recently": found.answered,
        "available_agents": found.available,
    }


def _managed_agent(actor: Agent, agent_id: int) -> Agent:
    agent = Agent.objects.select_related("backup").filter(pk=agent_id).first()
    if agent is None or not manages_agent(actor, agent):
        raise Agent.DoesNotExist
    return agent


@agents_router.get(
    "/{agent_id}/availability",
    response={200: AvailabilityOut, **ERRORS},
    summary="Read an agent's availability",
)
def read_availability(request: HttpRequest, agent_id: PathId) -> Agent:
    return _managed_agent(request.auth, agent_id)


@agents_router.put(
    "/{agent_id}/availability",
    response={200: AvailabilityOut, **ERRORS},
    summary="Set an agent's status, absence and backup",
)
def put_availability(request: HttpRequest, agent_id: PathId, payload: AvailabilityIn) -> Agent:
    """Agents set their own; supervisors those of their teams' members. Only available agents are
    given tickets; while absent, an agent's customers go to the backup.

    409 (code availability_refused, fields naming the field) when absent_until is not after
    absent_from, or when the backup is the agent themself or cannot take tickets: rules between
    fields and about other agents, which the request's schema cannot state."""
    agent = _managed_agent(request.auth, agent_id)
    backup = None
    if payload.backup is not None:
        backup = Agent.objects.filter(pk=payload.backup).first()
        if backup is None:
            raise Missing("backup", _("There is no agent with this id."))
    with refused_as_conflict("availability_refused"):
        return set_availability(
            agent=agent,
            actor=request.auth,
            status=payload.status,
            absent_from=payload.absent_from,
            absent_until=payload.absent_until,
            backup=backup,
        )
