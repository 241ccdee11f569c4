"""Who gets a ticket: a pure decision over what the team looks like now (``decide``), and the services
that read that picture, apply the decision and write it on the timeline with its reason.

The order, for a new ticket, a reopened one, or on demand:

0. a reopened ticket goes back to its previous owner, when available;
1. the customer's standing agent ("your agent": the account owner set on the customer, else the
   owner of their last ticket), when available and in the ticket's team; else that agent's backup,
   on the same conditions. Capacity does not hold them back: continuity is the point;
2. an available agent with room who speaks the ticket's language and has the skill its kind needs
   (KIND_SKILLS; only skills the team routes by, ``Team.skills``, are asked for);
3. any available agent with room (fewer open tickets than ``Team.capacity``);
4. otherwise the team queue.

In 2 and 3 the team's mode picks among the agents: round robin takes the next after the last one
given a ticket; load balanced takes the least loaded, in turn among equals. A team in manual mode
gets no automatic assignment on arrival: its tickets wait in the queue until someone takes them
(asked on demand, Attenda still chooses, load balanced).

"Available" means active, status available and not within an absence (``Agent.is_available``).
A decision costs two reads, each index-backed (agents.queries): the team with its members and their
open loads, and the customer's agent with that agent's backup, whatever the number of agents and
tickets; tests/routing/test_assignment.py pins the count.
"""

import enum
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from attenda.agents.models import Agent, AssignmentMode, Skill, Team
from attenda.agents.queries import Member, TeamRouting, standing_agent, team_routing
from attenda.core import audit, clock
from attenda.tickets.models import EntryKind, Kind, Ticket, TimelineEntry
from attenda.tickets.permissions import require_view

# What a ticket's kind asks of the agent who takes it. Kinds missing here need no particular skill.
KIND_SKILLS: dict[str, str] = {
    Kind.COMPLAINT: Skill.COMPLAINTS,
    Kind.WARRANTY_CLAIM: Skill.COMPLAINTS,
    Kind.TECHNICAL_SERVICE: Skill.TECHNICAL,
    Kind.ORDER: Skill.BILLING,
}


class Rule(enum.StrEnum):
    """Why a ticket went where it went; stored on the timeline entry, read by its headline."""

    PREVIOUS_OWNER = "previous_owner"
    STANDING_AGENT = "standing_agent"
    BACKUP = "backup"
    QUALIFIED = "qualified"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    NOBODY_AVAILABLE = "nobody_available"
    EVERYONE_FULL = "everyone_full"
    MANUAL = "manual"


QUEUED = (Rule.NOBODY_AVAILABLE, Rule.EVERYONE_FULL)


@dataclass(frozen=True)
class Situation:
    """What the decision looks at, read by ``situation_of``."""

    mode: str
    capacity: int
    team_skills: tuple[str, ...]
    cursor: int | None
    language: str
    kind: str
    members: dict[int, Member]
    loads: dict[int, int]
    previous_owner_id: int | None = None
    standing_agent_id: int | None = None
    standing_backup_id: int | None = None


@dataclass(frozen=True)
class Decision:
    owner_id: int | None
    rule: Rule
    # What the reason mentions: the standing agent a backup stands in for, the language and skill
    # matched, the capacity everyone had reached.
    details: dict = field(default_factory=dict)


def _next_in_turn(pool: list[Member], cursor: int | None) -> Member:
    """The first agent after the cursor in id order, wrapping around."""
    ordered = sorted(pool, key=lambda member: member.pk)
    if cursor is not None:
        for member in ordered:
            if member.pk > cursor:
                return member
    return ordered[0]


def _choose(pool: list[Member], situation: Situation) -> Member:
    if situation.mode == AssignmentMode.ROUND_ROBIN:
        return _next_in_turn(pool, situation.cursor)
    least = min(situation.loads.get(member.pk, 0) for member in pool)
    return _next_in_turn(
        [member for member in pool if situation.loads.get(member.pk, 0) == least],
        situation.cursor,
    )


def decide(situation: Situation, *, on_demand: bool = False) -> Decision:
    """The assignment order of the module docstring, over a picture of the team; no database."""
    if situation.mode == AssignmentMode.MANUAL and not on_demand:
        return Decision(owner_id=None, rule=Rule.MANUAL)
    members = situation.members

    def available(agent_id: int | None) -> bool:
        return agent_id is not None and agent_id in members and members[agent_id].available

    if available(situation.previous_owner_id):
        return Decision(owner_id=situation.previous_owner_id, rule=Rule.PREVIOUS_OWNER)
    standing = situation.standing_agent_id
    if available(standing):
        return Decision(owner_id=standing, rule=Rule.STANDING_AGENT)
    if standing is not None and available(situation.standing_backup_id):
        return Decision(
            owner_id=situation.standing_backup_id, rule=Rule.BACKUP, details={"for": standing}
        )
    present = [member for member in members.values() if member.available]
    if not present:
        return Decision(owner_id=None, rule=Rule.NOBODY_AVAILABLE)
    with_room = [
        member for member in present if situation.loads.get(member.pk, 0) < situation.capacity
    ]
    if not with_room:
        return Decision(
            owner_id=None, rule=Rule.EVERYONE_FULL, details={"capacity": situation.capacity}
        )
    language = situation.language
    skill = KIND_SKILLS.get(situation.kind)
    if skill not in situation.team_skills:
        skill = None
    if language or skill:
        qualified = [
            member
            for member in with_room
            if (not language or language in member.languages)
            and (not skill or skill in member.skills)
        ]
        if qualified:
            return Decision(
                owner_id=_choose(qualified, situation).pk,
                rule=Rule.QUALIFIED,
                details={"language": language, "skill": skill or ""},
            )
    rule = Rule.ROUND_ROBIN if situation.mode == AssignmentMode.ROUND_ROBIN else Rule.LEAST_LOADED
    return Decision(owner_id=_choose(with_room, situation).pk, rule=rule)


def situation_of(
    ticket: Ticket, team: TeamRouting, *, at: datetime, reopened: bool = False
) -> Situation:
    """Completes what ``decide`` needs with one query: the customer's agent with that agent's
    backup (agents.queries; the team was read with its members and their loads)."""
    members = team.members
    standing = standing_agent(ticket.customer, excluding_ticket=ticket.pk)
    return Situation(
        mode=team.mode,
        capacity=team.capacity,
        team_skills=team.skills,
        cursor=team.cursor,
        language=ticket.language,
        kind=ticket.kind,
        members=members,
        loads={member.pk: member.load for member in members.values()},
        previous_owner_id=ticket.owner_id if reopened else None,
        standing_agent_id=standing[0] if standing else None,
        standing_backup_id=standing[1] if standing else None,
    )


def _apply(ticket: Ticket, team: TeamRouting, decision: Decision, *, actor: Agent | None) -> None:
    """Writes the decision: the owner, the entry with its reason, the team's turn, the audit."""
    if decision.rule in (Rule.ROUND_ROBIN, Rule.LEAST_LOADED, Rule.QUALIFIED):
        Team.objects.filter(pk=team.pk).update(round_robin_cursor=decision.owner_id)
    # Not indexed for search: the same few sentences are on every ticket.
    TimelineEntry.objects.create(
        ticket=ticket,
        kind=EntryKind.ASSIGNMENT,
        author_agent=actor,
        data={
            "from": ticket.owner_id,
            "to": decision.owner_id,
            "rule": decision.rule.value,
            "team": team.pk,
            **decision.details,
        },
    )
    if decision.owner_id != ticket.owner_id:
        ticket.owner_id = decision.owner_id
        ticket.save(update_fields=["owner"])
    audit.record(
        actor=actor,
        action="ticket.routed",
        target=ticket,
        owner=decision.owner_id,
        rule=decision.rule.value,
    )


def route_received(*, ticket: Ticket, opened: bool, reopened: bool) -> Decision | None:
    """Called by ``receive()`` inside its transaction: a new ticket, or a solved one the customer
    wrote on again, finds its owner. Anything else that arrives leaves the owner as it is."""
    if not (opened or reopened) or ticket.team_id is None:
        return None
    now = clock.now()
    team = team_routing(ticket.team_id, at=now)
    if team.mode == AssignmentMode.MANUAL:
        return None
    decision = decide(situation_of(ticket, team, at=now, reopened=reopened))
    _apply(ticket, team, decision, actor=None)
    return decision


@transaction.atomic
def assign_automatically(*, ticket: Ticket, actor: Agent) -> Decision:
    """ "Assign automatically" on the ticket page and the API. Supervisors may ask for any ticket of
    their team; agents for one that is unassigned or theirs, as for letting it go."""
    require_view(actor, ticket)
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("customer").get(pk=ticket.pk)
    )
    if not (actor.manages_team(ticket.team_id) or ticket.owner_id in (None, actor.pk)):
        raise PermissionDenied
    if ticket.team_id is None:
        raise ValidationError(_("This ticket has no team to choose an agent from."))
    now = clock.now()
    team = team_routing(ticket.team_id, at=now)
    decision = decide(situation_of(ticket, team, at=now), on_demand=True)
    _apply(ticket, team, decision, actor=actor)
    return decision
