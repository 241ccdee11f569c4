"""Reads for the agent's pages. Each inbox list is one range of one Ticket index (named beside it),
paged by keyset, so its cost does not grow with the number of tickets or the depth of the page."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

from attenda.agents.models import Agent, Team, display_name
from attenda.core import clock
from attenda.core.pagination import Page, keyset_page
from attenda.core.written import Columns, join, keep_prefetched
from attenda.customers.models import Customer, Identity, Organization
from attenda.tickets.models import (
    MANY_HANDS,
    WAITING_STATUSES,
    Attachment,
    Blob,
    Presence,
    Status,
    Tag,
    Ticket,
    TimelineEntry,
)
from attenda.tickets.permissions import can_view, visible_tickets

PAGE_SIZE = 50

# A list's tickets with their tags, read by Ticket.tag_names. Loaded into a plain list: reading them
# back through each ticket's ``tags`` manager cost more than the query did.
WITH_TAGS = Prefetch("tags", to_attr="loaded_tags")
# Whether any ticket was merged into a ticket (merged_into's index), read with it: nearly none have,
# and their merged ids then cost no statement of their own. Written out: composed by Django, the
# EXISTS cost the ticket page more instructions than the statement it spared.
HAS_MERGED = (
    "EXISTS (SELECT 1 FROM tickets_ticket merged WHERE merged.merged_into_id = tickets_ticket.id)"
)

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


def inbox_page(
    agent: Agent,
    *,
    view: str,
    filters: InboxFilters,
    sort: str,
    cursor: str | None,
    size: int = PAGE_SIZE,
) -> Page:
    """Tickets with their owner, team and tags: one query, and one for the tags. Raises
    InvalidCursor for a cursor that was not made here."""
    tickets = (
        inbox_tickets(agent, view, filters)
        .select_related("owner", "team")
        .prefetch_related(WITH_TAGS)
    )
    if sort == "deadline":
        tickets = tickets.filter(due_at__isnull=False)
    return keyset_page(tickets, order=SORTS[sort], cursor=cursor, size=size)


@dataclass(slots=True)
class InboxRow:
    """What a row of the inbox shows of a ticket (tickets/rows.py)."""

    id: int
    customer_name: str
    subject: str
    preview: str
    status: str
    priority: int
    waiting_since: datetime
    updated_at: datetime
    due_at: datetime | None
    legal_deadline: datetime | None
    legal_missed_at: datetime | None
    legal_consequence: str
    service_clock: dict
    owner_name: str
    tag_names: list[str]

    @property
    def number(self) -> int:
        return self.id


# The columns of InboxRow, the owner's names in place of its owner_name.
INBOX_ROW_COLUMNS = (
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


def inbox_rows_page(
    agent: Agent,
    *,
    view: str,
    filters: InboxFilters,
    sort: str,
    cursor: str | None,
    size: int = PAGE_SIZE,
) -> Page:
    """The inbox page's tickets as ``InboxRow``s, in one query: the columns its rows show and no
    more, as tuples, with the names of each ticket's tags (``TAG_NAMES``). Building fifty tickets,
    their owners and their tags' objects, as ``inbox_page`` does, cost more than reading them."""
    tickets = inbox_tickets(agent, view, filters)
    if sort == "deadline":
        tickets = tickets.filter(due_at__isnull=False)
    # Safe: TAG_NAMES are constant statements without parameters.
    tag_list = RawSQL(TAG_NAMES[connection.vendor], ())  # noqa: S611
    page = keyset_page(
        tickets.annotate(tag_list=tag_list).values_list(*INBOX_ROW_COLUMNS, "tag_list", named=True),
        order=SORTS[sort],
        cursor=cursor,
        size=size,
    )
    rows = [
        InboxRow(
            *row[:13],
            owner_name=display_name(*row[13:16]) if row.owner__username else "",
            tag_names=sorted(row.tag_list.split(",")) if row.tag_list else [],
        )
        for row in page.items
    ]
    return Page(items=rows, next_cursor=page.next_cursor)


# A listed ticket's tags, their names joined by commas (a tag's name is a slug: it has none),
# read from ticket_tags' (ticket, tag) index for each row.
TAG_NAMES = {
    "sqlite": (
        "SELECT GROUP_CONCAT(tag.name) FROM tickets_ticket_tags ticket_tag"
        " JOIN tickets_tag tag ON tag.id = ticket_tag.tag_id"
        " WHERE ticket_tag.ticket_id = tickets_ticket.id"
    ),
    "postgresql": (
        "SELECT STRING_AGG(tag.name, ',') FROM tickets_ticket_tags ticket_tag"
        " JOIN tickets_tag tag ON tag.id = ticket_tag.tag_id"
        " WHERE ticket_tag.ticket_id = tickets_ticket.id"
    ),
}


COUNT_LIMIT = 1000


# What each view's count reads, as SQL on the tickets table: the same index range as the view's
# list, but for the views of statuses (waiting, solved), which are counted by status alone — that
# implies open or not — on ticket_team_status_idx (ticket_status_idx for admins): the list's index
# would find their few rows among every open or closed ticket. "{teams}" is the agent's teams,
# left out for admins. Written out: Django built these five queries in 3 ms of each inbox page,
# twenty times what the database took to count.
COUNTED = {
    "mine": ("is_open = %s AND owner_id = %s", "owner"),
    "unassigned": ("is_open = %s AND owner_id IS NULL{teams}", "teams"),
    "open": ("is_open = %s{teams}", "teams"),
    "waiting": ("status IN (%s, %s){teams}", "teams"),
    "solved": ("status = %s{teams}", "teams"),
}


def inbox_counts(agent: Agent) -> dict[str, str]:
    """Bounded counts for every inbox view, exact up to 999, then "999+", so a view never counts a
    million. One round trip: each view's count reads at most COUNT_LIMIT ids of one index range
    (``COUNTED``)."""
    team_ids = [] if agent.is_admin else agent.team_ids()
    teams = f" AND team_id IN ({', '.join(['%s'] * len(team_ids))})" if team_ids else ""
    values = {
        "mine": [True, agent.pk],
        "unassigned": [True],
        "open": [True],
        "waiting": list(WAITING_STATUSES),
        "solved": [Status.SOLVED],
    }
    selects, params = [], []
    for view in INBOX_VIEWS:
        condition, scope = COUNTED[view]
        if scope == "teams" and not agent.is_admin and not team_ids:
            selects.append("0")  # An agent in no team sees only their own tickets.
            continue
        selects.append(
            f"(SELECT COUNT(*) FROM (SELECT id FROM tickets_ticket"  # noqa: S608
            f" WHERE {condition.format(teams=teams)} LIMIT {COUNT_LIMIT}) bounded_{view})"
        )
        params += values[view] + (team_ids if scope == "teams" else [])
    with connection.cursor() as cursor:
        # Safe: the SQL is the constant conditions above and placeholders; values go as parameters.
        cursor.execute(f"SELECT {', '.join(selects)}", params)  # noqa: S608
        found = cursor.fetchone()
    return {
        view: f"{COUNT_LIMIT - 1}+" if count >= COUNT_LIMIT else str(count)
        for view, count in zip(INBOX_VIEWS, found, strict=True)
    }


@dataclass(frozen=True)
class InboxPeople:
    """The teams the inbox's filter offers and whom its bulk action can give tickets to."""

    teams: tuple[tuple[int, str], ...]
    owners: tuple[tuple[int, str], ...]


def inbox_people(agent: Agent) -> InboxPeople:
    """The agent's teams and the active agents of those teams (every team and every active agent
    for an admin), each by name, in one written-out statement: as two composed by Django, they
    cost the inbox page more than its list of tickets. The assign service still decides who may
    be given a ticket. A non-admin's teams are kept on the agent for the page's other reads."""
    teams, agents = Team._meta.db_table, Agent._meta.db_table
    members = Agent.teams.through._meta.db_table
    if agent.is_admin:
        team_rows = f"SELECT 'team', team.id, team.name, '', '' FROM {teams} team"  # noqa: S608
        colleagues, params = "", [True]
    else:
        team_rows = (
            f"SELECT 'team', team.id, team.name, '', '' FROM {teams} team"  # noqa: S608
            f" JOIN {members} member ON member.team_id = team.id WHERE member.agent_id = %s"
        )
        colleagues = (
            f" AND agent.id IN (SELECT colleague.agent_id FROM {members} colleague"  # noqa: S608
            f" JOIN {members} member ON member.team_id = colleague.team_id"
            " WHERE member.agent_id = %s)"
        )
        params = [agent.pk, True, agent.pk]
    with connection.cursor() as cursor:
        # Safe: table names from the models, every value a parameter.
        cursor.execute(
            f"{team_rows} UNION ALL"  # noqa: S608
            " SELECT 'agent', agent.id, agent.first_name, agent.last_name, agent.username"
            f" FROM {agents} agent WHERE agent.is_active = %s{colleagues}"
            " ORDER BY 1 DESC, 3, 4, 2",
            params,
        )
        rows = cursor.fetchall()
    found = InboxPeople(
        teams=tuple((pk, name) for kind, pk, name, _last, _user in rows if kind == "team"),
        owners=tuple(
            (pk, display_name(first, last, username))
            for kind, pk, first, last, username in rows
            if kind == "agent"
        ),
    )
    if not agent.is_admin:
        agent.remember_teams(found.teams)
    return found


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


@dataclass(frozen=True, slots=True)
class Present:
    """Another agent on the ticket, as the page says it: who, and whether viewing or replying."""

    agent_id: int
    activity: str
    name: str


@dataclass(frozen=True)
class TicketPage:
    ticket: Ticket
    timeline: list[TimelineEntry]
    customer: Customer
    other_tickets: list[Ticket]
    others_present: list[Present]


TIMELINE_LIMIT = 200


def entries_of(ticket: Ticket) -> QuerySet[TimelineEntry]:
    """The ticket's entries with those of the tickets merged into it. The merged tickets' ids are
    read first (merged_into's index): a ticket with none is then one range of entry_ticket_idx, read
    in order, so the ticket page's latest entries come without sorting the others. As a subquery, or
    an OR, the database sorted every entry of the ticket; with OR, PostgreSQL read every entry of
    every ticket. A ticket read by ``ticket_page`` knows whether it has any."""
    return TimelineEntry.objects.filter(ticket_id__in=timeline_ticket_ids(ticket))


def timeline_ticket_ids(ticket: Ticket) -> list[int]:
    """The ticket's id and those of the tickets merged into it, whose entries its timeline shows."""
    merged = (
        Ticket.objects.filter(merged_into=ticket).values_list("id", flat=True)
        if getattr(ticket, "has_merged", True)
        else ()
    )
    return [ticket.pk, *merged]


# The ticket page's ticket with its customer, their organization, its owner and its team.
TICKET_COLUMNS = Columns(Ticket, Ticket._meta.db_table)
CUSTOMER_COLUMNS = Columns(Customer, "customer")
ORGANIZATION_COLUMNS = Columns(Organization, "organization")
OWNER_COLUMNS = Columns(Agent, "owner")
TEAM_COLUMNS = Columns(Team, "team")


def _ticket_with_its_people(number: int) -> Ticket | None:
    """The ticket, joined to its customer, their organization, its owner and its team, with its
    tags' names and whether any ticket was merged into it: one written-out statement. Composed by
    Django (``select_related`` of four tables and two annotations) it cost the page more than any
    other of its statements, several times what the database spent on it."""
    ticket_table = Ticket._meta.db_table
    # Safe: table and column names from the models, constant subqueries, the number a parameter.
    sql = (
        f"SELECT {TICKET_COLUMNS.sql}, {CUSTOMER_COLUMNS.sql}, {ORGANIZATION_COLUMNS.sql},"  # noqa: S608
        f" {OWNER_COLUMNS.sql}, {TEAM_COLUMNS.sql},"
        f" ({TAG_NAMES[connection.vendor]}), {HAS_MERGED}"
        f" FROM {ticket_table}"
        f" INNER JOIN {Customer._meta.db_table} customer"
        f"   ON customer.id = {ticket_table}.customer_id"
        f" LEFT OUTER JOIN {Organization._meta.db_table} organization"
        "   ON organization.id = customer.organization_id"
        f" LEFT OUTER JOIN {Agent._meta.db_table} owner ON owner.id = {ticket_table}.owner_id"
        f" LEFT OUTER JOIN {Team._meta.db_table} team ON team.id = {ticket_table}.team_id"
        f" WHERE {ticket_table}.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [number])
        row = cursor.fetchone()
    if row is None:
        return None
    start = 0
    read = []
    for columns in (
        TICKET_COLUMNS,
        CUSTOMER_COLUMNS,
        ORGANIZATION_COLUMNS,
        OWNER_COLUMNS,
        TEAM_COLUMNS,
    ):
        read.append(columns.read(row, start))
        start += len(columns)
    ticket, customer, organization, owner, team = read
    join(customer, "organization", organization)
    join(ticket, "customer", customer)
    join(ticket, "owner", owner)
    join(ticket, "team", team)
    tag_list, has_merged = row[start:]
    ticket.loaded_tags = (
        [Tag(name=name) for name in sorted(tag_list.split(","))] if tag_list else []
    )
    ticket.has_merged = bool(has_merged)
    return ticket


IDENTITY_COLUMNS = Columns(Identity, "identity")
ENTRY_COLUMNS = Columns(TimelineEntry, "entry")
AUTHOR_AGENT_COLUMNS = Columns(Agent, "author_agent")
AUTHOR_CUSTOMER_COLUMNS = Columns(Customer, "author_customer")
ATTACHMENT_COLUMNS = Columns(Attachment, "attachment")
BLOB_COLUMNS = Columns(Blob, "blob")
# The customer card lists the other tickets' number, subject and status.
OTHER_TICKET_COLUMNS = Columns(
    Ticket, Ticket._meta.db_table, names=("id", "subject", "status", "updated_at")
)


def _latest_entries(ticket: Ticket) -> list[TimelineEntry]:
    """The ticket's latest TIMELINE_LIMIT entries (with those of the tickets merged into it), oldest
    first, their authors joined and their attachments with their blobs: two written-out statements
    for what ``select_related`` and ``prefetch_related`` composed at several times the cost. The
    ticket's ids are one range of entry_ticket_idx, read in order (``entries_of``)."""
    ticket_ids = timeline_ticket_ids(ticket)
    placeholders = ", ".join(["%s"] * len(ticket_ids))
    with connection.cursor() as cursor:
        # Safe: table and column names from the models, every value a parameter.
        cursor.execute(
            f"SELECT {ENTRY_COLUMNS.sql}, {AUTHOR_AGENT_COLUMNS.sql},"  # noqa: S608
            f" {AUTHOR_CUSTOMER_COLUMNS.sql} FROM {TimelineEntry._meta.db_table} entry"
            f" LEFT OUTER JOIN {Agent._meta.db_table} author_agent"
            "   ON author_agent.id = entry.author_agent_id"
            f" LEFT OUTER JOIN {Customer._meta.db_table} author_customer"
            "   ON author_customer.id = entry.author_customer_id"
            f" WHERE entry.ticket_id IN ({placeholders})"
            " ORDER BY entry.created_at DESC, entry.id DESC"
            f" LIMIT {TIMELINE_LIMIT}",
            ticket_ids,
        )
        rows = cursor.fetchall()
    agent_start = len(ENTRY_COLUMNS)
    customer_start = agent_start + len(AUTHOR_AGENT_COLUMNS)
    timeline = []
    for row in reversed(rows):
        entry = ENTRY_COLUMNS.read(row)
        join(entry, "author_agent", AUTHOR_AGENT_COLUMNS.read(row, agent_start))
        join(entry, "author_customer", AUTHOR_CUSTOMER_COLUMNS.read(row, customer_start))
        timeline.append(entry)
    if not timeline:
        return timeline
    attachments: dict[int, list[Attachment]] = {entry.pk: [] for entry in timeline}
    placeholders = ", ".join(["%s"] * len(timeline))
    with connection.cursor() as cursor:
        # Safe: table and column names from the models, every value a parameter.
        cursor.execute(
            f"SELECT {ATTACHMENT_COLUMNS.sql}, {BLOB_COLUMNS.sql}"  # noqa: S608
            f" FROM {Attachment._meta.db_table} attachment"
            f" INNER JOIN {Blob._meta.db_table} blob ON blob.id = attachment.blob_id"
            f" WHERE attachment.entry_id IN ({placeholders})",
            list(attachments),
        )
        for row in cursor.fetchall():
            attachment = ATTACHMENT_COLUMNS.read(row)
            join(attachment, "blob", BLOB_COLUMNS.read(row, len(ATTACHMENT_COLUMNS)))
            attachments[attachment.entry_id].append(attachment)
    for entry in timeline:
        keep_prefetched(entry, "attachments", attachments[entry.pk])
    return timeline


def _other_tickets(agent: Agent, ticket: Ticket) -> list[Ticket]:
    """The customer's ten latest updated other tickets this agent may see (``visible_tickets``)."""
    ticket_table = Ticket._meta.db_table
    visible, params = "", []
    if not agent.is_admin:
        teams = agent.team_ids()
        if teams:
            placeholders = ", ".join(["%s"] * len(teams))
            visible = (
                f" AND ({ticket_table}.team_id IN ({placeholders}) OR {ticket_table}.owner_id = %s)"
            )
            params = [*teams, agent.pk]
        else:
            visible = f" AND {ticket_table}.owner_id = %s"
            params = [agent.pk]
    with connection.cursor() as cursor:
        # Safe: table and column names from the models, every value a parameter.
        cursor.execute(
            f"SELECT {OTHER_TICKET_COLUMNS.sql} FROM {ticket_table}"  # noqa: S608
            f" WHERE {ticket_table}.customer_id = %s AND NOT ({ticket_table}.id = %s){visible}"
            f" ORDER BY {ticket_table}.updated_at DESC LIMIT 10",
            [ticket.customer_id, ticket.pk, *params],
        )
        return [OTHER_TICKET_COLUMNS.read(row) for row in cursor.fetchall()]


def _identities(customer_id: int) -> list[Identity]:
    """The customer's identities (identity_customer_idx), for the customer card and the routes."""
    with connection.cursor() as cursor:
        # Safe: table and column names from the models, the customer a parameter.
        cursor.execute(
            f"SELECT {IDENTITY_COLUMNS.sql} FROM {Identity._meta.db_table} identity"  # noqa: S608
            " WHERE identity.customer_id = %s",
            [customer_id],
        )
        return [IDENTITY_COLUMNS.read(row) for row in cursor.fetchall()]


def ticket_page(agent: Agent, number: int) -> TicketPage:
    """Raises Ticket.DoesNotExist for tickets this agent may not see, exactly as for missing ones."""
    ticket = _ticket_with_its_people(number)
    if ticket is None or not can_view(agent, ticket):
        raise Ticket.DoesNotExist
    keep_prefetched(ticket.customer, "identities", _identities(ticket.customer_id))
    timeline = _latest_entries(ticket)
    if ticket.pinned_handoff_id is not None:
        # The latest hand-off is nearly always among the entries shown; joined to the ticket's
        # query instead, it and its author tripled the time PostgreSQL spent planning it.
        ticket.pinned_handoff = next(
            (entry for entry in reversed(timeline) if entry.pk == ticket.pinned_handoff_id),
            None,
        ) or TimelineEntry.objects.select_related("author_agent").get(pk=ticket.pinned_handoff_id)
    other_tickets = _other_tickets(agent, ticket)
    return TicketPage(
        ticket=ticket,
        timeline=timeline,
        customer=ticket.customer,
        other_tickets=other_tickets,
        others_present=present_on(ticket, excluding=agent),
    )


def present_on(ticket: Ticket, *, excluding: Agent) -> list[Present]:
    """Who else is on the ticket (presence_unique's range), by username. Written out: asked by the
    ticket page and by every agent's heartbeat every 5 s, Django composed it in several times the
    database's time."""
    since = clock.now() - timedelta(seconds=settings.PRESENCE_TTL_SECONDS)
    with connection.cursor() as cursor:
        # Safe: table names from the models, every value a parameter.
        cursor.execute(
            "SELECT agent.id, presence.activity,"  # noqa: S608
            " agent.first_name, agent.last_name, agent.username"
            f" FROM {Presence._meta.db_table} presence"
            f" JOIN {Agent._meta.db_table} agent ON agent.id = presence.agent_id"
            " WHERE presence.ticket_id = %s AND presence.seen_at >= %s AND presence.agent_id <> %s"
            " ORDER BY agent.username",
            [ticket.pk, connection.ops.adapt_datetimefield_value(since), excluding.pk],
        )
        return [
            Present(agent_id, activity, display_name(first_name, last_name, username))
            for agent_id, activity, first_name, last_name, username in cursor.fetchall()
        ]


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
