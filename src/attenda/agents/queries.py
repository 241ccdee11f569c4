"""Reads about agents for routing: who is in a team, how many open tickets each holds, and who is a
customer's agent. Each names the index it relies on, so an assignment decision costs the same
however many tickets there are."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.utils.dateparse import parse_datetime

from attenda.agents.models import Agent, AgentStatus, Team, absent_at, display_name
from attenda.core.pagination import Page, keyset_page
from attenda.customers.models import Customer
from attenda.tickets.models import Ticket


@dataclass(frozen=True)
class Member:
    """An active member of a team as routing sees it, read as plain values (a team may have many)."""

    pk: int
    name: str
    available: bool
    languages: tuple[str, ...]
    skills: tuple[str, ...]
    backup_id: int | None
    load: int


# The two reads of every assignment decision, written as SQL once: building them through the ORM
# (joins, a correlated subquery) took most of a decision's time, more than the database did. Both
# are plain SQL that SQLite and PostgreSQL read alike; is_open is compared with a value so SQLite
# matches it to the index (tickets.queries.OPEN says why).
_AGENT = Agent._meta.db_table
_MEMBERSHIP = Agent.teams.through._meta.db_table
_TICKET = Ticket._meta.db_table

_TEAM = Team._meta.db_table

# The team's row and its active members, each with its open tickets: a team without members still
# gives its one row, with NULL for the member's columns.
TEAM_SQL = f"""
    SELECT tm.assignment_mode, tm.capacity, tm.skills, tm.round_robin_cursor,
           a.id, a.first_name, a.last_name, a.username, a.status, a.absent_from, a.absent_until,
           a.languages_spoken, a.skills, a.backup_id,
           (SELECT COUNT(*) FROM {_TICKET} t WHERE t.owner_id = a.id AND t.is_open = %s)
    FROM {_TEAM} tm
    LEFT JOIN {_MEMBERSHIP} m ON m.team_id = tm.id
    LEFT JOIN {_AGENT} a ON a.id = m.agent_id AND a.is_active = %s
    WHERE tm.id = %s
"""  # noqa: S608 - table names from the models, values as parameters

ACCOUNT_OWNER_SQL = f"SELECT id, backup_id FROM {_AGENT} WHERE id = %s"  # noqa: S608

LAST_OWNER_SQL = f"""
    SELECT t.owner_id, a.backup_id
    FROM {_TICKET} t JOIN {_AGENT} a ON a.id = t.owner_id
    WHERE t.customer_id = %s AND t.owner_id IS NOT NULL AND t.id <> %s
    ORDER BY t.updated_at DESC
    LIMIT 1
"""  # noqa: S608


def _json_list(value: object) -> tuple[str, ...]:
    """JSON columns come back as text from a plain cursor on both engines."""
    if isinstance(value, str):
        value = json.loads(value)
    return tuple(value or ())


def _aware(value: datetime | str | None) -> datetime | None:
    """SQLite gives stored UTC times back naive (or as text); PostgreSQL gives them aware."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class TeamRouting:
    """What assignment needs of a team: its settings and its active members."""

    pk: int
    mode: str
    capacity: int
    skills: tuple[str, ...]
    cursor: int | None
    members: dict[int, Member]


def team_routing(team_id: int, *, at: datetime) -> TeamRouting:
    """One query: the team by primary key, its members through the membership table's team_id
    index, and each member's open tickets counted in its own range of a ticket_owner_*_idx (owner,
    is_open, …), so a member's closed history is never read. Raises Team.DoesNotExist."""
    with connection.cursor() as cursor:
        cursor.execute(TEAM_SQL, [True, True, team_id])
        rows = cursor.fetchall()
    if not rows:
        raise Team.DoesNotExist
    members = {}
    for row in rows:
        pk, first, last, username, status, start, end, languages, skills, backup_id, load = row[4:]
        if pk is None:
            continue  # no members, or a membership of an inactive agent
        members[pk] = Member(
            pk=pk,
            name=display_name(first, last, username),
            available=status == AgentStatus.AVAILABLE
            and not absent_at(_aware(start), _aware(end), at),
            languages=_json_list(languages),
            skills=_json_list(skills),
            backup_id=backup_id,
            load=load,
        )
    mode, capacity, team_skills, cursor_id = rows[0][:4]
    return TeamRouting(
        pk=team_id,
        mode=mode,
        capacity=capacity,
        skills=_json_list(team_skills),
        cursor=cursor_id,
        members=members,
    )


def standing_agent(customer: Customer, *, excluding_ticket: int) -> tuple[int, int | None] | None:
    """The customer's agent and that agent's backup, in one query: the account owner set on the
    customer (by primary key), else the owner of their most recently active other ticket that had
    one (ticket_customer_idx, newest first, joined to the owner by primary key)."""
    with connection.cursor() as cursor:
        if customer.standing_agent_id is not None:
            cursor.execute(ACCOUNT_OWNER_SQL, [customer.standing_agent_id])
        else:
            cursor.execute(LAST_OWNER_SQL, [customer.pk, excluding_ticket])
        return cursor.fetchone()


def team_page(*, cursor: str | None, size: int) -> Page:
    """Every team by name, for picking where to transfer a ticket (the unique index on name).
    Raises InvalidCursor for a cursor that was not made here."""
    return keyset_page(Team.objects.all(), order=("name", "id"), cursor=cursor, size=size)


def agent_page(
    *, cursor: str | None, size: int, team_id: int | None = None, active: bool | None = None
) -> Page:
    """Agents by username (its unique index), each with their teams; within a team, through the
    membership table's (team, agent) index. Raises InvalidCursor for a cursor that was not made
    here."""
    agents = Agent.objects.prefetch_related("teams")
    if team_id is not None:
        agents = agents.filter(teams=team_id)
    if active is not None:
        agents = agents.filter(is_active=active)
    return keyset_page(agents, order=("username", "id"), cursor=cursor, size=size)
