"""Reads about agents for routing: who is in a team, how many open tickets each holds, and who is a
customer's agent. Each names the index it relies on, so an assignment decision costs the same
however many tickets there are."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.utils.dateparse import parse_datetime

from attenda.agents.models import Agent, AgentStatus, absent_at, display_name
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

MEMBERS_SQL = f"""
    SELECT a.id, a.first_name, a.last_name, a.username, a.status, a.absent_from, a.absent_until,
           a.languages_spoken, a.skills, a.backup_id,
           (SELECT COUNT(*) FROM {_TICKET} t WHERE t.owner_id = a.id AND t.is_open = %s)
    FROM {_MEMBERSHIP} m JOIN {_AGENT} a ON a.id = m.agent_id
    WHERE m.team_id = %s AND a.is_active = %s
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


def team_members(team_id: int, *, at: datetime) -> dict[int, Member]:
    """One query: the membership table's team_id index, the agents by primary key, and each one's
    open tickets counted in its own range of ticket_owner_wait_idx (owner, is_open, …), so a
    member's closed history is never read."""
    with connection.cursor() as cursor:
        cursor.execute(MEMBERS_SQL, [True, team_id, True])
        rows = cursor.fetchall()
    members = {}
    for pk, first, last, username, status, start, end, languages, skills, backup_id, load in rows:
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
    return members


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
