"""Reads about agents for routing: who is in a team and how many open tickets each holds. Each names
the index it relies on, so an assignment decision costs the same however many tickets there are."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from attenda.agents.models import Agent, AgentStatus, absent_at, display_name
from attenda.tickets.models import Ticket
from attenda.tickets.queries import OPEN


@dataclass(frozen=True)
class Member:
    """An active member of a team as routing sees it, read as plain values (a team may have many)."""

    pk: int
    name: str
    available: bool
    languages: tuple[str, ...]
    skills: tuple[str, ...]
    backup_id: int | None


def team_members(team_id: int, *, at: datetime) -> dict[int, Member]:
    """One query on the membership table's team_id index, joined to the agents by primary key."""
    rows = Agent.objects.filter(teams=team_id, is_active=True).values_list(
        "pk",
        "first_name",
        "last_name",
        "username",
        "status",
        "absent_from",
        "absent_until",
        "languages_spoken",
        "skills",
        "backup_id",
    )
    return {
        pk: Member(
            pk=pk,
            name=display_name(first, last, username),
            available=status == AgentStatus.AVAILABLE and not absent_at(start, end, at),
            languages=tuple(languages or ()),
            skills=tuple(skills or ()),
            backup_id=backup_id,
        )
        for pk, first, last, username, status, start, end, languages, skills, backup_id in rows
    }


def backup_of(agent_id: int) -> int | None:
    """The backup of an agent outside the ticket's team (the members' own are read with them)."""
    return Agent.objects.filter(pk=agent_id).values_list("backup_id", flat=True).first()


def open_loads(agent_ids: list[int]) -> dict[int, int]:
    """Open tickets owned by each agent: one grouped range per agent of ticket_owner_wait_idx
    (owner, is_open, …). Agents without open tickets are missing from the answer."""
    if not agent_ids:
        return {}
    rows = (
        Ticket.objects.filter(OPEN, owner_id__in=agent_ids)
        .values("owner_id")
        .annotate(count=Count("id"))
        .values_list("owner_id", "count")
        .order_by()
    )
    return dict(rows)
