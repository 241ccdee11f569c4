"""Every write to agents, teams and API tokens."""

from collections.abc import Iterable

from django.db import transaction

from attenda.agents.models import Agent, ApiToken, Role, Team
from attenda.core import audit, clock


@transaction.atomic
def create_team(*, name: str, actor: Agent | None) -> Team:
    team = Team.objects.create(name=name)
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
