"""Agents (the people who answer customers), the teams they belong to, and their API tokens."""

import hashlib
import secrets
import zoneinfo
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int
from django.utils.translation import gettext_lazy as _

from attenda.core import clock


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(zone)s is not a known time zone.") % {"zone": value})


class Skill(models.TextChoices):
    """What a ticket may need of the agent who takes it (routing.assignment maps kinds to skills)."""

    BILLING = "billing", _("Billing")
    TECHNICAL = "technical", _("Technical")
    COMPLAINTS = "complaints", _("Complaints")
    SALES = "sales", _("Sales")


class AssignmentMode(models.TextChoices):
    MANUAL = "manual", _("Manual: tickets wait in the team queue")
    ROUND_ROBIN = "round_robin", _("Round robin: each available agent in turn")
    LOAD_BALANCED = "load_balanced", _("Load balanced: the least busy available agent")


class AgentStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


def validate_skills(value: object) -> None:
    if not isinstance(value, list) or not all(item in Skill.values for item in value):
        raise ValidationError(_("Choose skills from the list."), code="invalid_choice")


def validate_languages(value: object) -> None:
    if not isinstance(value, list) or not all(item in dict(settings.LANGUAGES) for item in value):
        raise ValidationError(_("Choose languages from the list."), code="invalid_choice")


class Team(models.Model):
    """A department that owns a queue of tickets, such as Billing or Technical support. Its routing
    settings say how new tickets find an owner (routing.assignment)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created"), default=clock.now)
    languages = models.JSONField(
        _("languages answered"), default=list, blank=True, validators=[validate_languages]
    )
    # The skills this team routes by: a ticket whose kind needs one of them goes first to an agent
    # who has it. A skill the team does not list is not asked of its agents.
    skills = models.JSONField(_("skills"), default=list, blank=True, validators=[validate_skills])
    capacity = models.PositiveSmallIntegerField(
        _("capacity"),
        default=20,
        validators=[MinValueValidator(1)],
        help_text=_("The most open tickets one agent is given automatically."),
    )
    assignment_mode = models.CharField(
        _("assignment"),
        max_length=16,
        choices=AssignmentMode.choices,
        default=AssignmentMode.MANUAL,
    )
    # The agent who was given the last ticket in turn; the next turn starts after them.
    round_robin_cursor = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Admin")


def absent_at(absent_from: datetime | None, absent_until: datetime | None, at: datetime) -> bool:
    """Shared by Agent.is_absent and the assignment engine, which reads agents as plain values."""
    if absent_from is None and absent_until is None:
        return False
    return (absent_from is None or absent_from <= at) and (
        absent_until is None or at < absent_until
    )


def display_name(first_name: str, last_name: str, username: str) -> str:
    """How Attenda names an agent: the full name, or the username when there is none."""
    return f"{first_name} {last_name}".strip() or username


class Agent(AbstractUser):
    """A person who works tickets. Agents see their teams' tickets, supervisors manage their teams,
    admins configure Attenda."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    language = models.CharField(
        _("interface language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Lisbon", validators=[validate_time_zone]
    )
    languages_spoken = models.JSONField(_("languages spoken"), default=list, blank=True)
    teams = models.ManyToManyField(Team, related_name="agents", blank=True, verbose_name=_("teams"))
    skills = models.JSONField(_("skills"), default=list, blank=True, validators=[validate_skills])
    status = models.CharField(
        _("status"), max_length=10, choices=AgentStatus.choices, default=AgentStatus.AVAILABLE
    )
    absent_from = models.DateTimeField(_("absent from"), null=True, blank=True)
    absent_until = models.DateTimeField(_("absent until"), null=True, blank=True)
    backup = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backing_up",
        verbose_name=_("backup"),
        help_text=_("Who takes this agent's customers while they are away or absent."),
    )
    # Raised when the agent is deactivated: every session signed in before stops counting, and
    # reactivating the agent does not bring it back (see _get_session_auth_hash).
    access_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return display_name(self.first_name, self.last_name, self.username)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)

    def is_absent(self, at: datetime) -> bool:
        """Absent within [absent_from, absent_until); an open end reaches as far as it can."""
        return absent_at(self.absent_from, self.absent_until, at)

    def is_available(self, at: datetime) -> bool:
        """May be given tickets now: active, marked available, and not within an absence."""
        return self.is_active and self.status == AgentStatus.AVAILABLE and not self.is_absent(at)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django checks this against the copy kept in each session; a version mixed in ends every
        session at once. Version 0 keeps Django's own value, so sessions survive the upgrade."""
        if not self.access_version:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "attenda.agents.Agent.session",
            f"{self.password}:{self.access_version}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def team_ids(self) -> list[int]:
        if not hasattr(self, "_team_ids"):
            self._team_ids = list(self.teams.values_list("id", flat=True))
        return self._team_ids

    def team_names(self) -> list[tuple[int, str]]:
        """The agent's teams as (id, name); the one query answers ``team_ids()`` too."""
        if not hasattr(self, "_team_names"):
            self.remember_teams(self.teams.values_list("id", "name"))
        return self._team_names

    def remember_teams(self, team_names: Iterable[tuple[int, str]]) -> None:
        """The agent's teams as (id, name), read with something else (the inbox reads them with
        the colleagues of those teams), so that ``team_names()`` and ``team_ids()`` ask nothing."""
        self._team_names = list(team_names)
        self._team_ids = [team_id for team_id, _name in self._team_names]

    def manages_team(self, team_id: int | None) -> bool:
        return self.is_admin or (self.role == Role.SUPERVISOR and team_id in self.team_ids())

    def manages_any(self, team_ids: list[int]) -> bool:
        return any(self.manages_team(team_id) for team_id in team_ids)


class ApiToken(models.Model):
    """A per-agent key for the JSON API. Only its hash is stored; the key is shown once."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=clock.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    # Writing last_used_at on every request would make each API call a write; once a minute tells
    # an admin as much about whether a token is still in use.
    LAST_USED_PRECISION = timedelta(minutes=1)

    def needs_last_used_at(self, now: datetime) -> bool:
        return self.last_used_at is None or now - self.last_used_at >= self.LAST_USED_PRECISION

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return "att_" + secrets.token_urlsafe(32)


class SignInPolicy(models.Model):
    """Desk-wide rules for signing in, set by admins; one row, made when first read."""

    require_two_factor = models.BooleanField(
        _("require a second factor for every agent"),
        default=False,
        help_text=_(
            "Agents without an authenticator app must set one up when they next sign in. "
            "API tokens are not affected."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), default=clock.now)

    class Meta:
        verbose_name = _("sign-in policy")
        verbose_name_plural = _("sign-in policies")

    def __str__(self) -> str:
        return str(_("Sign-in policy"))

    @classmethod
    def current(cls) -> "SignInPolicy":
        return cls.objects.order_by("pk").first() or cls()


class AccountLinkTokens(PasswordResetTokenGenerator):
    """Links mailed to an agent to choose a password. Each is single use, because it is signed
    over the current password hash and last sign-in, which using it changes; and it expires after
    ``timeout`` seconds."""

    def __init__(self, purpose: str, timeout_setting: str) -> None:
        super().__init__()
        self.key_salt = f"attenda.agents.{purpose}"
        self.timeout_setting = timeout_setting

    @property
    def timeout(self) -> int:  # Read each time, so tests and settings can change it.
        return int(getattr(settings, self.timeout_setting))

    def _make_hash_value(self, user: "Agent", timestamp: int) -> str:
        return (
            super()._make_hash_value(user, timestamp) + f":{user.is_active}:{user.access_version}"
        )

    def check_token(self, user: "Agent | None", token: str | None) -> bool:
        """Django's check, with this purpose's own lifetime instead of PASSWORD_RESET_TIMEOUT."""
        if user is None or not token:
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - timestamp <= self.timeout


password_reset_tokens = AccountLinkTokens("password_reset", "PASSWORD_RESET_TIMEOUT")
invitation_tokens = AccountLinkTokens("invitation", "INVITATION_TIMEOUT")
