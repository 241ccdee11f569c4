"""Routing data an admin edits: each team's business calendar, the service-level policies, the
customers' service tiers and the statutory rules added to the ones Attenda ships."""

from datetime import date, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Team, validate_time_zone
from attenda.core import clock
from attenda.customers.models import Customer
from attenda.routing import deadlines
from attenda.routing.calendars import BusinessCalendar, Shift

WEEKDAYS = range(7)


def parse_shifts(text: str) -> tuple[Shift, ...]:
    """``"09:00-13:00, 14:00-18:00"`` → two shifts; an empty text is a closed day. ``24:00`` ends
    a shift at midnight."""
    shifts = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        start_text, _dash, end_text = part.strip().partition("-")
        try:
            start = time.fromisoformat(start_text.strip())
            end = time(0) if end_text.strip() == "24:00" else time.fromisoformat(end_text.strip())
            shifts.append(Shift(start, end))
        except ValueError as error:
            raise ValidationError(
                _("%(shift)s is not a shift like 09:00-13:00.") % {"shift": part.strip()}
            ) from error
    shifts.sort(key=lambda shift: shift.start)
    for earlier, later in zip(shifts, shifts[1:], strict=False):
        if earlier.end == time(0) or later.start < earlier.end:
            raise ValidationError(_("The shifts of one day must not overlap."))
    return tuple(shifts)


class TeamCalendar(models.Model):
    """A team's business hours: weekly shifts (split shifts allowed) in its time zone, closed on
    the public holidays of its country (and subdivision) and on extra closed days. A team without
    one works in calendar time, every hour of every day."""

    team = models.OneToOneField(
        Team, on_delete=models.CASCADE, related_name="calendar", verbose_name=_("team")
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Lisbon", validators=[validate_time_zone]
    )
    # Seven lists (Monday first) of [start, end] pairs in local "HH:MM"; "24:00" is midnight.
    week = models.JSONField(_("weekly hours"), default=list)
    country = models.CharField(
        _("holidays of country"),
        max_length=2,
        blank=True,
        help_text=_("ISO 3166 code, such as PT; empty for no public holidays."),
    )
    subdivision = models.CharField(
        _("holidays of region"),
        max_length=10,
        blank=True,
        help_text=_("A region's code as the holidays package writes it, such as MD for Madrid."),
    )
    closed_days = models.JSONField(_("extra closed days"), default=list, blank=True)
    updated_at = models.DateTimeField(_("last change"), default=clock.now)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return str(self.team)

    def business_calendar(self) -> BusinessCalendar:
        week = {
            day: tuple(
                Shift(
                    time.fromisoformat(start),
                    time(0) if end == "24:00" else time.fromisoformat(end),
                )
                for start, end in (self.week[day] if day < len(self.week) else [])
            )
            for day in WEEKDAYS
        }
        return BusinessCalendar(
            time_zone=self.time_zone,
            week={day: shifts for day, shifts in week.items() if shifts},
            country=self.country,
            subdivision=self.subdivision,
            closed_days=frozenset(date.fromisoformat(day) for day in self.closed_days),
        )


class Tier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    BUSINESS = "business", _("Business")
    PREMIUM = "premium", _("Premium")


class CustomerTier(models.Model):
    """A customer's service tier, which service-level policies can be chosen by. Customers without
    a row are on the standard tier."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="service_tier", verbose_name=_("customer")
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)

    class Meta:
        verbose_name = _("customer tier")
        verbose_name_plural = _("customer tiers")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.tier}"


class Reassign(models.TextChoices):
    NO = "", _("Keep the owner")
    TEAM_QUEUE = "team_queue", _("Back to the team queue")
    AGENT = "agent", _("To a named agent")


class ServiceLevelPolicy(models.Model):
    """Targets a ticket must meet, chosen by its kind, priority, channel, customer tier and team.

    An empty condition matches anything. Policies are tried in ``position`` order and the first
    whose every condition matches wins, so an admin puts the specific ones first (the list page
    says so)."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    kind = models.CharField(_("kind"), max_length=20, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    tier = models.CharField(_("customer tier"), max_length=20, choices=Tier.choices, blank=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="service_level_policies",
        verbose_name=_("team"),
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"), null=True, blank=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response within (minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (minutes)"), null=True, blank=True
    )
    business_time = models.BooleanField(
        _("count business hours only"),
        default=True,
        help_text=_("Counted on the team's business calendar; otherwise every hour counts."),
    )
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at this percentage of the time"),
        default=75,
        help_text=_("When this share of the time is used, the owner is warned."),
    )
    notify_supervisors = models.BooleanField(_("notify the supervisors on breach"), default=True)
    raise_priority = models.BooleanField(_("raise the priority on breach"), default=False)
    reassign = models.CharField(
        _("reassign on breach"), max_length=20, choices=Reassign.choices, blank=True
    )
    reassign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("agent to reassign to"),
    )
    updated_at = models.DateTimeField(_("last change"), default=clock.now)

    class Meta:
        verbose_name = _("service-level policy")
        verbose_name_plural = _("service-level policies")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not 1 <= self.warn_percent <= 99:
            raise ValidationError({"warn_percent": _("Warn at a percentage between 1 and 99.")})
        if self.reassign == Reassign.AGENT and self.reassign_to_id is None:
            raise ValidationError({"reassign_to": _("Choose the agent to reassign to.")})

    def matches(self, *, kind: str, priority: int, channel: str, tier: str, team_id) -> bool:
        return (
            (not self.kind or self.kind == kind)
            and (self.priority is None or self.priority == priority)
            and (not self.channel or self.channel == channel)
            and (not self.tier or self.tier == tier)
            and (self.team_id is None or self.team_id == team_id)
        )


class StatutoryRule(models.Model):
    """A statutory deadline an admin adds (a new country, or a changed law) beside the shipped ones
    in routing.deadlines. A row from the same day as a shipped rule overrides it."""

    country = models.CharField(_("country"), max_length=2)
    kinds = models.JSONField(_("kinds of case"), default=list)
    days = models.PositiveSmallIntegerField(_("days"))
    count = models.CharField(
        _("day counting"),
        max_length=20,
        choices=[(count.value, count.value) for count in deadlines.DayCount],
    )
    end_moves_off = models.JSONField(
        _("an end on these days moves to the next day"), default=list, blank=True
    )
    consequence = models.CharField(
        _("consequence"),
        max_length=40,
        choices=[(key.value, label) for key, label in deadlines.CONSEQUENCE_LABELS.items()],
    )
    source = models.CharField(_("legal source"), max_length=300)
    valid_from = models.DateField(_("in force from"))
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    condition = models.CharField(_("condition"), max_length=40, blank=True)
    escalate_days_before = models.PositiveSmallIntegerField(_("escalate days before"), default=3)
    created_at = models.DateTimeField(_("created"), default=clock.now)

    class Meta:
        verbose_name = _("statutory rule")
        verbose_name_plural = _("statutory rules")
        ordering = ["country", "valid_from", "id"]

    def __str__(self) -> str:
        return f"{self.country} {self.days} {self.count} ({self.valid_from})"

    def as_rule(self) -> deadlines.StatutoryRule:
        return deadlines.StatutoryRule(
            country=self.country.upper(),
            kinds=frozenset(self.kinds),
            days=self.days,
            count=deadlines.DayCount(self.count),
            end_moves_off=frozenset(self.end_moves_off),
            consequence=self.consequence,
            source=self.source,
            valid_from=self.valid_from,
            time_zone=self.time_zone,
            condition=self.condition,
            escalate_days_before=self.escalate_days_before,
        )
