"""Tickets over the API: open them through receive(), list the inbox, and work them with the same
services the agent's pages use. A ticket the agent may not see answers 404, exactly like one that
does not exist."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from attenda.agents.models import Agent, Team
from attenda.api.errors import Conflict, Missing, refused_as_conflict
from attenda.api.schemas import (
    AssignIn,
    ErrorOut,
    MergeTicketIn,
    NoteIn,
    PageQuery,
    PathId,
    ReplyIn,
    ReplyOut,
    SearchQuery,
    StatusIn,
    TagsIn,
    TicketCreateIn,
    TicketDetailsIn,
    TicketFilters,
    TicketOut,
    TicketPageOut,
    TicketSearchOut,
    TimelineEntryOut,
    TimelinePageOut,
    TransferIn,
)
from attenda.core.pagination import Page
from attenda.customers.models import Customer
from attenda.customers.services import IdentityClaim
from attenda.routing import assignment
from attenda.tickets import queries, search, services
from attenda.tickets.messages import Inbound
from attenda.tickets.models import Ticket
from attenda.tickets.permissions import can_view, visible_tickets

router = Router(tags=["tickets"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _visible_ticket(agent: Agent, number: int) -> Ticket:
    """Raises Ticket.DoesNotExist (404) for a ticket the agent may not see."""
    return visible_tickets(agent).select_related("team", "owner").get(pk=number)


def _team_for_new_ticket(agent: Agent, team_id: int | None) -> int | None:
    """A ticket opened here lands in one of the agent's teams, so they can always read it back."""
    if team_id is None:
        if agent.is_admin:
            return None
        team_id = next(iter(agent.team_ids()), None)
    if team_id in agent.team_ids():
        return team_id
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise Missing("team_id", _("There is no team with this id."))
    if agent.is_admin:
        return team_id
    raise ValidationError({"team_id": [_("Choose one of your teams.")]})


def _agent(agent_id: int, field: str) -> Agent:
    agent = Agent.objects.filter(pk=agent_id).first()
    if agent is None:
        raise Missing(field, _("There is no agent with this id."))
    return agent


def _team(team_id: int, field: str) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise Missing(field, _("There is no team with this id."))
    return team


@router.post(
    "",
    response={200: TicketOut, 201: TicketOut, 409: ErrorOut, **ERRORS},
    summary="Open a ticket",
)
def create_ticket(request: HttpRequest, payload: TicketCreateIn) -> Status:
    """Answers 201 with the ticket it opened, or 200 with the ticket an earlier request with the
    same external_id and channel opened, so a client can safely send again after a timeout."""
    agent = request.auth
    if (payload.customer_id is None) == (not payload.identities):
        raise ValidationError(
            {"customer_id": [_("Give either the customer's id or their identities.")]}
        )
    inbound = Inbound(
        channel=payload.channel,
        claims=[IdentityClaim(kind=item.kind, value=item.value) for item in payload.identities],
        customer_id=payload.customer_id,
        sender_name=payload.customer_name,
        subject=payload.subject,
        body=payload.body,
        kind=payload.kind,
        priority=payload.priority,
        team_id=_team_for_new_ticket(agent, payload.team_id),
        external_id=payload.external_id,
    )
    try:
        received = services.receive(inbound, logged_by=agent)
    except Customer.DoesNotExist as error:
        raise Missing("customer_id", _("There is no customer with this id.")) from error
    if not received.duplicate:
        if received.opened:
            # A ticket just opened has no tags: the answer need not ask for them.
            received.ticket.loaded_tags = []
        return Status(201, received.ticket)
    if not can_view(agent, received.ticket):
        raise Conflict(
            "duplicate_external_id",
            _("A message with this external id was already received on this channel."),
        )
    return Status(200, received.ticket)


@router.get("", response={200: TicketPageOut, **ERRORS}, summary="List tickets of an inbox view")
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]) -> Page:
    """The agent's inbox: a view (mine, unassigned, open, waiting, solved) narrowed by filters, a
    page at a time. Keep the same filters and sort while following next_cursor."""
    return queries.inbox_page(
        request.auth,
        view=filters.view,
        filters=queries.InboxFilters(
            status=filters.status or "",
            kind=filters.kind or "",
            channel=filters.channel or "",
            language=filters.language,
            team=filters.team,
            tag=filters.tag,
        ),
        sort=filters.sort,
        cursor=filters.cursor,
        size=filters.limit,
    )


# Before /{number}, which would otherwise take "search" for a number.
@router.get("/search", response={200: TicketSearchOut, **ERRORS}, summary="Search tickets")
def search_tickets(request: HttpRequest, query: Query[SearchQuery]) -> dict:
    """Exactly as the search page: a ticket number, the tickets of the customers a name, email
    address or phone number finds, or words in the tickets' text in any of their languages. Only
    tickets the agent may see."""
    return {"items": search.find(request.auth, query.q, limit=query.limit).tickets}


@router.get("/{number}", response={200: TicketOut, **ERRORS}, summary="Read a ticket")
def read_ticket(request: HttpRequest, number: PathId) -> Ticket:
    return _visible_ticket(request.auth, number)


@router.patch(
    "/{number}", response={200: TicketOut, **ERRORS}, summary="Change a ticket's kind or priority"
)
def change_details(request: HttpRequest, number: PathId, payload: TicketDetailsIn) -> Ticket:
    return services.change_details(
        ticket=_visible_ticket(request.auth, number),
        actor=request.auth,
        kind=payload.kind,
        priority=payload.priority,
    )


@router.put(
    "/{number}/status", response={200: TicketOut, **ERRORS}, summary="Change a ticket's status"
)
def set_status(request: HttpRequest, number: PathId, payload: StatusIn) -> Ticket:
    return services.set_status(
        ticket=_visible_ticket(request.auth, number), status=payload.status, actor=request.auth
    )


@router.put("/{number}/owner", response={200: TicketOut, **ERRORS}, summary="Assign a ticket")
def assign(request: HttpRequest, number: PathId, payload: AssignIn) -> Ticket:
    """Agents take a ticket for themselves or let it go (owner null); supervisors assign anyone
    in the ticket's team. Handing a ticket on to someone else is a transfer."""
    ticket = _visible_ticket(request.auth, number)
    owner = _agent(payload.owner, "owner") if payload.owner is not None else None
    with refused_as_conflict("cannot_take_tickets"):
        return services.assign(
            ticket=ticket, owner=owner, actor=request.auth, reason=payload.reason
        )


@router.post(
    "/{number}/assign-automatically",
    response={200: TicketOut, **ERRORS},
    summary="Let Attenda choose the owner",
)
def assign_automatically(request: HttpRequest, number: PathId) -> Ticket:
    """By the team's rules: the customer's agent or their backup, then language and skill, then
    load; else the ticket stays in the team queue. The reason is written on the timeline.
    Supervisors for any ticket of their team; agents for one that is unassigned or theirs."""
    ticket = _visible_ticket(request.auth, number)
    with refused_as_conflict("no_team"):
        assignment.assign_automatically(ticket=ticket, actor=request.auth)
    return _visible_ticket(request.auth, number)


@router.put("/{number}/tags", response={200: TicketOut, **ERRORS}, summary="Set a ticket's tags")
def set_tags(request: HttpRequest, number: PathId, payload: TagsIn) -> Ticket:
    """Replaces the ticket's tags with those given; unknown tags are created."""
    ticket = _visible_ticket(request.auth, number)
    services.set_tags(ticket=ticket, names=payload.tags, actor=request.auth)
    return ticket


@router.post(
    "/{number}/merge", response={200: TicketOut, **ERRORS}, summary="Merge a ticket into another"
)
def merge_ticket(request: HttpRequest, number: PathId, payload: MergeTicketIn) -> Ticket:
    """This ticket closes and points at the ticket it was merged into, whose timeline then shows
    both. Both must belong to the same customer."""
    absorbed = _visible_ticket(request.auth, number)
    target = visible_tickets(request.auth).filter(pk=payload.into).first()
    if target is None:
        raise Missing("into", _("There is no ticket with this number that you can see."))
    with refused_as_conflict("cannot_merge"):
        services.merge_tickets(target=target, absorbed=absorbed, actor=request.auth)
    return _visible_ticket(request.auth, number)


@router.post(
    "/{number}/replies",
    response={201: ReplyOut, **ERRORS},
    summary="Reply to the customer",
)
def reply(request: HttpRequest, number: PathId, payload: ReplyIn) -> Status:
    """Sent on the ticket's channel, or the one given. ``delivery`` says what happened: queued (on
    its way, to which address), or failed with the reason, for example on a channel Attenda cannot
    send on; such a reply is kept, and the ticket does not wait on the customer for it.

    409 (code cannot_send) when the channel asked for cannot reach this ticket's customer, or
    when copies are asked for and the reply does not go by email."""
    ticket = _visible_ticket(request.auth, number)
    with refused_as_conflict("cannot_send", only="cannot_send"):
        entry = services.reply(
            ticket=ticket,
            agent=request.auth,
            body=payload.body,
            status=payload.status,
            channel=payload.channel,
            cc=payload.cc,
            files=[attachment.as_file() for attachment in payload.attachments],
        )
    return Status(201, entry)


@router.post(
    "/{number}/notes", response={201: TimelineEntryOut, **ERRORS}, summary="Add an internal note"
)
def add_note(request: HttpRequest, number: PathId, payload: NoteIn) -> Status:
    """For colleagues only; the customer never sees it."""
    entry = services.add_note(
        ticket=_visible_ticket(request.auth, number), agent=request.auth, body=payload.body
    )
    return Status(201, entry)


@router.post(
    "/{number}/transfers",
    response={201: TimelineEntryOut, **ERRORS},
    summary="Hand a ticket to another agent or team",
)
def transfer(request: HttpRequest, number: PathId, payload: TransferIn) -> Status:
    """The hand-off note is required, so the customer never tells their story twice; the receiver
    sees it first. The agent may no longer see the ticket afterwards."""
    ticket = _visible_ticket(request.auth, number)
    if payload.to_agent is None and payload.to_team is None:
        raise ValidationError({"to": [_("Choose an agent or a team to hand the ticket to.")]})
    to_agent = _agent(payload.to_agent, "to_agent") if payload.to_agent is not None else None
    to_team = _team(payload.to_team, "to_team") if payload.to_team is not None else None
    with refused_as_conflict("cannot_transfer"):
        entry = services.transfer(
            ticket=ticket, actor=request.auth, note=payload.note, to_agent=to_agent, to_team=to_team
        )
    return Status(201, entry)


@router.get(
    "/{number}/timeline",
    response={200: TimelinePageOut, **ERRORS},
    summary="Read a ticket's timeline",
)
def timeline(request: HttpRequest, number: PathId, page: Query[PageQuery]) -> Page:
    """Everything that happened on the ticket, oldest first, including tickets merged into it."""
    return queries.timeline_page(
        _visible_ticket(request.auth, number), cursor=page.cursor, size=page.limit
    )
