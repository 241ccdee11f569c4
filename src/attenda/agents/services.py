"""Every write to agents, teams and API tokens, and to how agents sign in: passwords, invitations,
second factors and deactivation."""

import hashlib
import logging
import time
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from attenda.agents.models import (
    Agent,
    AgentStatus,
    ApiToken,
    AssignmentMode,
    Role,
    SignInPolicy,
    Team,
    invitation_tokens,
    password_reset_tokens,
)
from attenda.core import audit, clock

logger = logging.getLogger(__name__)


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
    """Made by an admin without a password, the agent is mailed an invitation to choose one (a link
    that expires after settings.INVITATION_TIMEOUT and works once). ``actor`` is None only for
    set-up from the command line and the demo, which set passwords themselves."""
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
    if password is None and agent.email and actor is not None:
        from attenda.agents.tasks import mail_invitation

        mail_invitation.enqueue_on_commit(agent.pk)
        audit.record(actor=actor, action="agent.invited", target=agent)
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
    now = clock.now()
    if token.needs_last_used_at(now):
        # Conditional, so that concurrent requests of one token write it once between them.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - ApiToken.LAST_USED_PRECISION)
        ).update(last_used_at=now)
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
    """An admin changes who an agent is and what they may do. Deactivating an agent ends their
    sessions and revokes their API tokens for good: reactivating them brings neither back."""
    _require_admin(actor)
    if agent.pk == actor.pk and (role != Role.ADMIN or not is_active):
        raise ValidationError({"role": _("You cannot remove your own admin rights.")})
    before = {"role": agent.role, "is_active": agent.is_active, "teams": sorted(agent.team_ids())}
    if agent.is_active and not is_active:
        _end_access(agent=agent, actor=actor)
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


def _end_access(*, agent: Agent, actor: Agent | None) -> None:
    """Every session signed in so far stops counting (Agent.access_version is part of the check
    Django makes on each request) and every API token is revoked."""
    Agent.objects.filter(pk=agent.pk).update(access_version=F("access_version") + 1)
    agent.refresh_from_db(fields=["access_version"])
    revoked = ApiToken.objects.filter(agent=agent, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    audit.record(actor=actor, action="agent.access_ended", target=agent, tokens_revoked=revoked)


def _validate_new_password(password: str, agent: Agent) -> None:
    try:
        password_validation.validate_password(password, agent)
    except ValidationError as error:
        raise ValidationError({"new_password": error.messages}) from error


@transaction.atomic
def change_password(*, agent: Agent, old_password: str, new_password: str) -> Agent:
    """A signed-in agent chooses a new password; the old one is asked so that a session left open
    on a shared desk cannot be used to take the account."""
    if not agent.check_password(old_password):
        raise ValidationError({"old_password": _("Your old password was entered incorrectly.")})
    _validate_new_password(new_password, agent)
    agent.set_password(new_password)
    agent.save(update_fields=["password"])
    audit.record(actor=agent, action="agent.password_changed", target=agent)
    return agent


PASSWORD_RESETS_PER_HOUR = 3


def request_password_reset(*, email: str) -> None:
    """Mails a single-use link to each active agent with this address. Whether anyone has it is
    never told: the mail goes out from the worker, so the answer takes the same time either way."""
    from attenda.agents.tasks import mail_password_reset

    email = email.strip().lower()
    # A few links an hour per address: enough for someone who lost one, too few to flood a mailbox.
    hour = int(time.time() // 3600)
    rates = caches["rates"]
    key = f"password-reset:{hashlib.sha256(email.encode()).hexdigest()}:{hour}"
    rates.add(key, 0, timeout=3601)
    if rates.incr(key) > PASSWORD_RESETS_PER_HOUR:
        logger.warning("Password reset refused: too many for one address this hour")
        return
    mail_password_reset.enqueue_on_commit(email)


def agent_for_link(*, uid: str, token: str, purpose: str) -> Agent | None:
    """The agent a mailed link (password reset or invitation) is for, if it is still valid."""
    generator = invitation_tokens if purpose == "invitation" else password_reset_tokens
    try:
        agent = Agent.objects.get(pk=int(force_str(urlsafe_base64_decode(uid))), is_active=True)
    except (ValueError, TypeError, OverflowError, Agent.DoesNotExist):
        return None
    return agent if generator.check_token(agent, token) else None


@transaction.atomic
def set_password_from_link(*, uid: str, token: str, purpose: str, new_password: str) -> Agent:
    """Uses a password-reset or invitation link once: setting the password changes the hash the
    link is signed over, so the same link cannot be used again."""
    agent = agent_for_link(uid=uid, token=token, purpose=purpose)
    if agent is None:
        raise PermissionDenied
    _validate_new_password(new_password, agent)
    agent.set_password(new_password)
    agent.last_login = clock.now()
    agent.save(update_fields=["password", "last_login"])
    audit.record(actor=agent, action=f"agent.password_set_by_{purpose}", target=agent)
    return agent


def account_link(*, agent: Agent, purpose: str) -> str:
    """The address of a fresh password-reset or invitation link for ``agent``."""
    generator = invitation_tokens if purpose == "invitation" else password_reset_tokens
    name = "accept_invitation" if purpose == "invitation" else "password_reset_confirm"
    path = reverse(
        name,
        kwargs={
            "uid": urlsafe_base64_encode(force_bytes(agent.pk)),
            "token": generator.make_token(agent),
        },
    )
    return settings.BASE_URL + path


@transaction.atomic
def invite_agent(*, agent: Agent, actor: Agent) -> None:
    """Mails the agent a link to choose their first password (again, if the first was lost)."""
    from attenda.agents.tasks import mail_invitation

    _require_admin(actor)
    if not agent.is_active or not agent.email:
        raise ValidationError(_("Only an active agent with an email address can be invited."))
    mail_invitation.enqueue_on_commit(agent.pk)
    audit.record(actor=actor, action="agent.invited", target=agent)


@transaction.atomic
def set_sign_in_policy(*, actor: Agent, require_two_factor: bool) -> SignInPolicy:
    _require_admin(actor)
    policy = SignInPolicy.current()
    before = policy.require_two_factor
    policy.require_two_factor = require_two_factor
    policy.updated_at = clock.now()
    policy.save()
    audit.record(
        actor=actor,
        action="sign_in_policy.changed",
        target=policy,
        before={"require_two_factor": before},
        after={"require_two_factor": require_two_factor},
    )
    return policy


RECOVERY_CODES = 10


def pending_authenticator(*, agent: Agent) -> TOTPDevice:
    """The authenticator an agent is setting up: made on first sight, confirmed by a code."""
    device = TOTPDevice.objects.filter(user=agent, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(
        user=agent, name=_("Authenticator app"), confirmed=False
    )


def has_second_factor(agent: Agent) -> bool:
    return TOTPDevice.objects.filter(user=agent, confirmed=True).exists()


@transaction.atomic
def confirm_authenticator(*, agent: Agent, code: str) -> tuple[TOTPDevice, list[str]]:
    """The code the app shows proves it holds the key; from then on signing in asks for a code.
    Returns the device and new recovery codes, each good once, shown this one time."""
    device = pending_authenticator(agent=agent)
    allowed, _details = device.verify_is_allowed()
    if not allowed or not device.verify_token(code.replace(" ", "")):
        raise ValidationError(
            {"code": _("This code is not right; type the one the app shows now.")}
        )
    TOTPDevice.objects.filter(user=agent).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=agent).delete()
    recovery = StaticDevice.objects.create(user=agent, name=_("Recovery codes"), confirmed=True)
    codes = [StaticToken.random_token() for _number in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    audit.record(actor=agent, action="agent.second_factor_set", target=agent)
    return device, codes


@transaction.atomic
def reset_second_factor(*, agent: Agent, actor: Agent) -> None:
    """An admin removes an agent's authenticator and recovery codes (a lost phone); the agent sets
    up a new one at next sign-in when admins require it."""
    _require_admin(actor)
    TOTPDevice.objects.filter(user=agent).delete()
    StaticDevice.objects.filter(user=agent).delete()
    audit.record(actor=actor, action="agent.second_factor_reset", target=agent)
