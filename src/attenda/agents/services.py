"""Every write to agents, teams and API tokens."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from attenda.agents.models import Agent, AgentStatus, ApiToken, AssignmentMode, Role, Team
from attenda.core import audit, clock


def _require_admin(actor: Agent | None) -> None:
    if actor is not None and not actor.is_admin:
        raise PermissionDenied


@transaction.atomic
def create_team(*, name: str, actor: Agent | None) -> Team:
    """``actor`` is None only for set-up from the command line."""
    _require_admin(actor)
    team = Team(name=name.strip())
    team.full_clean()
    team.save()
    audit.record(actor=actor, action="team.created", target=team, name=name)
    return team


@transaction.atomic
def create_agent(
    *,
    username: str,
    password: str | None,
    email: str = "",
    full_name: str = "",
    role: Role = Role.AGENT,
    language: str = "en",
    time_zone: str = "Europe/Lisbon",
    languages_spoken: Iterable[str] = (),
    teams: Iterable[Team] = (),
    actor: Agent | None,
) -> Agent:
    _require_admin(actor)
    first, _space, last = full_name.partition(" ")
    agent = Agent(
        username=username,
        email=email,
        first_name=first,
        last_name=last,
        role=role,
        language=language,
        time_zone=time_zone,
        languages_spoken=list(languages_spoken),
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password is None:
        agent.set_unusable_password()
    else:
        agent.set_password(password)
    agent.full_clean(exclude=["password"])
    agent.save()
    agent.teams.set(teams)
    audit.record(actor=actor, action="agent.created", target=agent, role=role)
    return agent


@transaction.atomic
def update_preferences(*, agent: Agent, language: str, time_zone: str) -> Agent:
    agent.language = language
    agent.time_zone = time_zone
    agent.full_clean(exclude=["password"])
    agent.save(update_fields=["language", "time_zone"])
    audit.record(
        actor=agent,
        action="agent.preferences_changed",
        target=agent,
        language=language,
        time_zone=time_zone,
    )
    return agent


@transaction.atomic
def issue_api_token(*, agent: Agent, name: str) -> tuple[ApiToken, str]:
    """Returns the token and its key; the key is never stored and cannot be shown again."""
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        agent=agent, name=name, prefix=key[:10], key_hash=ApiToken.hash_key(key)
    )
    audit.record(actor=agent, action="api_token.issued", target=token, name=name)
    return token, key


@transaction.atomic
def revoke_api_token(*, token: ApiToken, actor: Agent) -> None:
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action="api_token.revoked", target=token)


def agent_for_api_key(key: str) -> Agent | None:
    token = (
        ApiToken.objects.select_related("agent")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, agent__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=clock.now())
    return token.agent


@transaction.atomic
def update_agent(
    *,
    agent: Agent,
    actor: Agent,
    full_name: str,
    email: str,
    role: Role,
    teams: Iterable[Team],
    languages_spoken: Iterable[str],
    is_active: bool,
) -> Agent:
    """An admin changes who an agent is and what they may do. A deactivated agent's sessions and API
    tokens stop working at once (inactive accounts are refused by the authentication backend)."""
    _require_admin(actor)
    if agent.pk == actor.pk and (role != Role.ADMIN or not is_active):
        raise ValidationError({"role": _("You cannot remove your own admin rights.")})
    before = {"role": agent.role, "is_active": agent.is_active, "teams": sorted(agent.team_ids())}
    first, _space, last = full_name.strip().partition(" ")
    agent.first_name, agent.last_name = first, last
    agent.email = email
    agent.role = role
    agent.is_staff = agent.is_superuser = role == Role.ADMIN
    agent.languages_spoken = sorted(set(languages_spoken))
    agent.is_active = is_active
    agent.full_clean(exclude=["password"])
    agent.save()
    agent.teams.set(teams)
    if hasattr(agent, "_team_ids"):
        del agent._team_ids
    audit.record(
        actor=actor,
        action="agent.updated",
        target=agent,
        before=before,
        after={"role": role, "is_active": is_active, "teams": sorted(agent.team_ids())},
    )
    return agent


def manages_agent(actor: Agent, agent: Agent) -> bool:
    """Agents keep their own availability; supervisors that of their teams' members; admins all."""
    return actor.pk == agent.pk or actor.manages_any(agent.team_ids()) or actor.is_admin


@transaction.atomic
def set_status(*, agent: Agent, status: AgentStatus, actor: Agent) -> Agent:
    """Available, away or offline: only available agents are given tickets (routing.assignment)."""
    if not (actor.is_active and manages_agent(actor, agent)):
        raise PermissionDenied
    if status not in AgentStatus.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    if agent.status == status:
        return agent
    before = agent.status
    agent.status = status
    agent.save(update_fields=["status"])
    audit.record(
        actor=actor, action="agent.status_changed", target=agent, before=before, after=status
    )
    return agent


@transaction.atomic
def set_availability(
    *,
    agent: Agent,
    actor: Agent,
    status: AgentStatus,
    absent_from: datetime | None,
    absent_until: datetime | None,
    backup: Agent | None,
    skills: Iterable[str] | None = None,
) -> Agent:
    """Status, a planned absence and who stands in meanwhile. Skills (None leaves them) are for
    supervisors to set: they decide which tickets reach the agent first."""
    if not (actor.is_active and manages_agent(actor, agent)):
        raise PermissionDenied
    if skills is not None and not (actor.is_admin or actor.manages_any(agent.team_ids())):
        raise PermissionDenied
    errors = {}
    if absent_from and absent_until and absent_until <= absent_from:
        errors["absent_until"] = [_("The absence must end after it starts.")]
    if backup is not None and backup.pk == agent.pk:
        errors["backup"] = [_("Choose someone else as backup.")]
    elif backup is not None and not backup.is_active:
        errors["backup"] = [_("%(agent)s cannot take tickets.") % {"agent": backup}]
    if errors:
        raise ValidationError(errors)
    fields = ["status", "absent_from", "absent_until", "backup"]
    agent.status = status
    agent.absent_from, agent.absent_until = absent_from, absent_until
    agent.backup = backup
    if skills is not None:
        agent.skills = sorted(set(skills))
        fields.append("skills")
    agent.full_clean(exclude=["password"])
    agent.save(update_fields=fields)
    audit.record(
        actor=actor,
        action="agent.availability_changed",
        target=agent,
        status=status,
        absent_from=absent_from.isoformat() if absent_from else None,
        absent_until=absent_until.isoformat() if absent_until else None,
        backup=backup.pk if backup else None,
        skills=agent.skills,
    )
    return agent


@transaction.atomic
def update_team_routing(
    *,
    team: Team,
    actor: Agent,
    languages: Iterable[str],
    skills: Iterable[str],
    capacity: int,
    assignment_mode: AssignmentMode,
) -> Team:
    """How the team's new tickets find an owner; its supervisors and admins decide."""
    if not (actor.is_active and actor.manages_team(team.pk)):
        raise PermissionDenied
    before = {
        "languages": team.languages,
        "skills": team.skills,
        "capacity": team.capacity,
        "assignment_mode": team.assignment_mode,
    }
    team.languages = sorted(set(languages))
    team.skills = sorted(set(skills))
    team.capacity = capacity
    team.assignment_mode = assignment_mode
    team.full_clean()
    team.save(update_fields=["languages", "skills", "capacity", "assignment_mode"])
    audit.record(
        actor=actor,
        action="team.routing_changed",
        target=team,
        before=before,
        after={
            "languages": team.languages,
            "skills": team.skills,
            "capacity": capacity,
            "assignment_mode": assignment_mode,
        },
    )
    return team
