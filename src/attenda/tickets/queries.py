"""Reads for the agent's pages. Each inbox list is one range of one Ticket index (named beside it),
paged by keyset, so its cost does not grow with the number of tickets or the depth of the page."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, Value

from attenda.agents.models import Agent
from attenda.core import clock
from attenda.core.pagination import Page, keyset_page
from attenda.customers.models import Customer
from attenda.tickets.models import (
    MANY_HANDS,
    WAITING_STATUSES,
    Attachment,
    Presence,
    Status,
    Ticket,
    TimelineEntry,
)
from attenda.tickets.permissions import visible_tickets

PAGE_SIZE = 50

# A list's tickets with their tags, read by Ticket.tag_names. Loaded into a plain list: reading them
# back through each ticket's ``tags`` manager cost more than the query did.
WITH_TAGS = Prefetch("tags", to_attr="loaded_tags")

INBOX_VIEWS = ("mine", "unassigned", "open", "waiting", "solved")

# Django writes `is_open=True` as a bare `WHERE "is_open"`, which SQLite cannot match to the is_open
# column of an index (PostgreSQL can), so it sorts every ticket of the team instead of reading one
# index range; comparing with a value keeps it an equality on both engines.
OPEN = Q(is_open=Value(True))
NOT_OPEN = Q(is_open=Value(False))

# sort name → ORDER BY; each matches the trailing columns of the indexes in Ticket.Meta.
SORTS = {
    "waiting": ("waiting_since", "id"),
    "priority": ("-priority", "waiting_since", "id"),
    "updated": ("-updated_at", "-id"),
    # Only tickets with a deadline: ticket_*_due_idx hold no others.
    "deadline": ("due_at", "id"),
}


@dataclass(frozen=True)
class InboxFilters:
    status: str = ""
    kind: str = ""
    channel: str = ""
    language: str = ""
    team: int | None = None
    tag: str = ""


def inbox_tickets(agent: Agent, view: str, filters: InboxFilters) -> QuerySet[Ticket]:
    """mine: ticket_owner_*_idx; unassigned: ticket_unassigned_wait_idx (ticket_team_due_idx by
    deadline); open, waiting, solved: ticket_team_*_idx for a team, ticket_open_*_idx for admins
    across all teams."""
    tickets = Ticket.objects.all()
    if view == "mine":
        tickets = tickets.filter(OPEN, owner=agent)
    else:
        if filters.team is not None:
            tickets = tickets.filter(team_id=filters.team)
            if not agent.is_admin and filters.team not in agent.team_ids():
                return Ticket.objects.none()
        elif not agent.is_admin:
            tickets = tickets.filter(team_id__in=agent.team_ids())
        if view == "unassigned":
            tickets = tickets.filter(OPEN, owner__isnull=True)
        elif view == "open":
            tickets = tickets.filter(OPEN)
        elif view == "waiting":
            tickets = tickets.filter(OPEN, status__in=WAITING_STATUSES)
        elif view == "solved":
            tickets = tickets.filter(NOT_OPEN, status=Status.SOLVED)
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.kind:
        tickets = tickets.filter(kind=filters.kind)
    if filters.channel:
        tickets = tickets.filter(channel=filters.channel)
    if filters.language:
        tickets = tickets.filter(language=filters.language)
    if filters.tag:
        tickets = tickets.filter(tags__name=filters.tag)
    return tickets


# What the inbox's rows (tickets/rows.py) and its keyset read of each ticket: a third of the page's
# query time went to converting and building the columns nobody shows.
INBOX_ROW_FIELDS = (
    "id",
    "customer_name",
    "subject",
    "preview",
    "status",
    "priority",
    "waiting_since",
    "updated_at",
    "due_at",
    "legal_deadline",
    "legal_missed_at",
    "legal_consequence",
    "service_clock",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
)


def inbox_page(
    agent: Agent,
    *,
    view: str,
    filters: InboxFilters,
    sort: str,
    cursor: str | None,
    size: int = PAGE_SIZE,
    fields: tuple[str, ...] | None = None,
) -> Page:
    """One query, and one more for the rows' tags; ``fields`` are the only columns read, with the
    owner's (``INBOX_ROW_FIELDS`` for the inbox's rows), all of the ticket, owner and team when
    None. Raises InvalidCursor for a cursor that was not made here."""
    if fields is None:
        tickets = inbox_tickets(agent, view, filters).select_related("owner", "team")
    else:
        tickets = inbox_tickets(agent, view, filters).select_related("owner").only(*fields)
    tickets = tickets.prefetch_related(WITH_TAGS)
    if sort == "deadline":
        tickets = tickets.filter(due_at__isnull=False)
    return keyset_page(tickets, order=SORTS[sort], cursor=cursor, size=size)


COUNT_LIMIT = 1000


def counted_tickets(agent: Agent, view: str) -> QuerySet[Ticket]:
    """What a view's count reads. The views of statuses (waiting, solved) are counted by status
    alone, which implies open or not, on ticket_team_status_idx (ticket_status_idx for admins): the
    list's index would find their few rows among every open or closed ticket. The others read the
    same index range as their list."""
    statuses = {"waiting": WAITING_STATUSES, "solved": [Status.SOLVED]}.get(view)
    if statuses is None:
        return inbox_tickets(agent, view, InboxFilters())
    tickets = Ticket.objects.filter(status__in=statuses)
    return tickets if agent.is_admin else tickets.filter(team_id__in=agent.team_ids())


def inbox_counts(agent: Agent) -> dict[str, str]:
    """Bounded counts for every inbox view, exact up to 999, then "999+", so a view never counts a
    million. One round trip: each view's count reads at most COUNT_LIMIT ids of one index range
    (see counted_tickets)."""
    selects, params = [], []
    for view in INBOX_VIEWS:
        bounded = counted_tickets(agent, view).order_by().values("id")[:COUNT_LIMIT]
        try:
            sql, view_params = bounded.query.sql_with_params()
        except EmptyResultSet:
            selects.append("0")  # An agent in no team.
            continue
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) bounded_{view})")  # noqa: S608
        params.extend(view_params)
    with connection.cursor() as cursor:
        # Safe: the SQL is Django's own compilation of the querysets above, values go as parameters.
        cursor.execute(f"SELECT {', '.join(selects)}", params)  # noqa: S608
        found = cursor.fetchone()
    return {
        view: f"{COUNT_LIMIT - 1}+" if count >= COUNT_LIMIT else str(count)
        for view, count in zip(INBOX_VIEWS, found, strict=True)
    }


def changed_since(
    agent: Agent, *, view: str, filters: InboxFilters, since: datetime, limit: int = 100
) -> list[int]:
    """Ids of the view's tickets that changed after ``since``, for the live inbox: the range of the
    view's ``*_updated_idx`` index above that moment, at most ``limit`` of them."""
    return list(
        inbox_tickets(agent, view, filters)
        .filter(updated_at__gt=since)
        .order_by("-updated_at", "-id")
        .values_list("id", flat=True)[:limit]
    )


@dataclass(frozen=True)
class TicketPage:
    ticket: Ticket
    timeline: list[TimelineEntry]
    customer: Customer
    other_tickets: list[Ticket]
    others_present: list[Presence]


TIMELINE_LIMIT = 200


def entries_of(ticket: Ticket) -> QuerySet[TimelineEntry]:
    """The ticket's entries with those of the tickets merged into it. The merged tickets' ids are
    read first (merged_into's index): a ticket with none is then one range of entry_ticket_idx, read
    in order, so the ticket page's latest entries come without sorting the others. As a subquery, or
    an OR, the database sorted every entry of the ticket; with OR, PostgreSQL read every entry of
    every ticket."""
    merged = Ticket.objects.filter(merged_into=ticket).values_list("id", flat=True)
    return TimelineEntry.objects.filter(ticket_id__in=[ticket.pk, *merged])


def ticket_page(agent: Agent, number: int) -> TicketPage:
    """Raises Ticket.DoesNotExist for tickets this agent may not see, exactly as for missing ones."""
    ticket = (
        visible_tickets(agent)
        .select_related("customer", "customer__organization", "owner", "team")
        .prefetch_related(WITH_TAGS, "customer__identities")
        .get(pk=number)
    )
    timeline = list(
        entries_of(ticket)
        .select_related("author_agent", "author_customer")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.select_related("blob"))
        )
        .order_by("-created_at", "-id")[:TIMELINE_LIMIT]
    )[::-1]
    if ticket.pinned_handoff_id is not None:
        # The latest hand-off is nearly always among the entries shown; joined to the ticket's
        # query instead, it and its author tripled the time PostgreSQL spent planning it.
        ticket.pinned_handoff = next(
            (entry for entry in reversed(timeline) if entry.pk == ticket.pinned_handoff_id),
            None,
        ) or TimelineEntry.objects.select_related("author_agent").get(pk=ticket.pinned_handoff_id)
    other_tickets = list(
        visible_tickets(agent)
        .filter(customer_id=ticket.customer_id)
        .exclude(pk=ticket.pk)
        # The customer card lists their number, subject and status.
        .only("id", "subject", "status", "updated_at")
        .order_by("-updated_at")[:10]
    )
    return TicketPage(
        ticket=ticket,
        timeline=timeline,
        customer=ticket.customer,
        other_tickets=other_tickets,
        others_present=present_on(ticket, excluding=agent),
    )


def present_on(ticket: Ticket, *, excluding: Agent) -> list[Presence]:
    since = clock.now() - timedelta(seconds=settings.PRESENCE_TTL_SECONDS)
    return list(
        Presence.objects.filter(ticket=ticket, seen_at__gte=since)
        .exclude(agent=excluding)
        .select_related("agent")
        .order_by("agent__username")
    )


def passed_around(supervisor: Agent, *, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """Open tickets of the supervisor's teams (every team for an admin) that changed hands more
    than MANY_HANDS times, the most first. ticket_many_hands_idx."""
    tickets = Ticket.objects.filter(OPEN, handoff_count__gt=MANY_HANDS).select_related(
        "team", "owner"
    )
    if not supervisor.is_admin:
        tickets = tickets.filter(team_id__in=supervisor.team_ids())
    return keyset_page(tickets, order=("-handoff_count", "id"), cursor=cursor, size=size)


def customer_tickets(
    agent: Agent, customer: Customer, *, cursor: str | None, size: int = PAGE_SIZE
) -> Page:
    """ticket_customer_idx."""
    tickets = visible_tickets(agent).filter(customer=customer).select_related("team", "owner")
    return keyset_page(tickets, order=("-updated_at", "-id"), cursor=cursor, size=size)


def timeline_page(ticket: Ticket, *, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """entry_ticket_idx. Oldest first, with the entries of tickets merged into this one, as on the
    ticket page. The caller has already checked that the agent may see the ticket."""
    entries = (
        entries_of(ticket)
        .select_related("author_agent")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.select_related("blob"))
        )
    )
    return keyset_page(entries, order=("created_at", "id"), cursor=cursor, size=size)
