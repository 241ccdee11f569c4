"""Offices with their services and counters, and the walk-in visits queued at them: the counter
channel's own state. A visit becomes a timeline entry (kind visit, channel counter) only when an
agent serves it, through receive()."""

import secrets
from datetime import date, time

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Team, validate_time_zone
from attenda.core import clock
from attenda.customers.models import Customer
from attenda.routing.calendars import BusinessCalendar, Shift
from attenda.routing.models import WEEKDAYS


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Office(models.Model):
    """A place with counters where customers walk in. Its hours are a business calendar in its own
    time zone; the kiosk gives numbers only while it is open."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offices",
        verbose_name=_("team"),
        help_text=_("The team that gets the tickets of visits served here."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Lisbon", validators=[validate_time_zone]
    )
    # Seven lists (Monday first) of [start, end] pairs in local "HH:MM"; "24:00" is midnight.
    week = models.JSONField(_("weekly hours"), default=list)
    country = models.CharField(_("holidays of country"), max_length=2, blank=True)
    subdivision = models.CharField(_("holidays of region"), max_length=10, blank=True)
    closed_days = models.JSONField(_("extra closed days"), default=list, blank=True)
    # A visitor who left a phone number or address is told when this many or fewer are ahead.
    notify_when_ahead = models.PositiveSmallIntegerField(
        _("tell visitors when this many are ahead"),
        default=3,
        validators=[MaxValueValidator(50)],
    )
    # Secret parts of the kiosk's and the waiting-room display's addresses: those screens are
    # signed in by nobody, so the address is what lets them in. Replaced to shut out an old screen.
    kiosk_token = models.CharField(max_length=64, default=new_token, unique=True, editable=False)
    display_token = models.CharField(max_length=64, default=new_token, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=clock.now)

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def stream(self) -> str:
        """The calls: what the waiting-room display follows."""
        return f"office:{self.pk}"

    @property
    def queue_stream(self) -> str:
        """Numbers taken and visits ended: only the counters follow these, so a display is not
        woken for what it does not show."""
        return f"office:{self.pk}:queue"

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


class Service(models.Model):
    """What a visitor comes for ("Billing", "New contract"). Its letter starts its queue numbers
    (B-042); counters call the service of highest priority first."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="services", verbose_name=_("office")
    )
    name = models.CharField(_("name"), max_length=100)
    letter = models.CharField(
        _("letter"),
        max_length=1,
        validators=[RegexValidator(r"^[A-Z]$", _("One capital letter, A to Z."))],
        help_text=_("Starts the queue numbers of this service, such as B in B-042."),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text=_("1 is called first; services of equal priority by waiting time."),
    )
    is_active = models.BooleanField(_("offered at the kiosk"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["priority", "name"]
        constraints = [
            models.UniqueConstraint(fields=["office", "letter"], name="service_unique_letter"),
            models.UniqueConstraint(fields=["office", "name"], name="service_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Counter(models.Model):
    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="counters", verbose_name=_("office")
    )
    name = models.CharField(_("name"), max_length=50, help_text=_("As the display shows it."))
    is_active = models.BooleanField(_("open"), default=True)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["office", "name"], name="counter_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class QueueDay(models.Model):
    """The last number given for a service on one local day: incremented in one UPDATE, so two
    kiosks taking a number at once never get the same one."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "day"], name="queue_day_unique")]

    def __str__(self) -> str:
        return f"{self.service_id} {self.day}: {self.last_number}"


class VisitStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CALLED = "called", _("Called")
    DONE = "done", _("Served")
    NO_SHOW = "no_show", _("Did not come")
    TRANSFERRED = "transferred", _("Transferred")


class Visit(models.Model):
    """One queue number taken at the kiosk. A transfer ends this visit and starts another in the
    other service, keeping the hand-off note, so each service's times stay its own."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="visits")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="visits")
    day = models.DateField(_("day"))
    number = models.PositiveIntegerField(_("number"))
    label = models.CharField(_("queue number"), max_length=8)
    status = models.CharField(
        _("status"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.WAITING
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    phone = models.CharField(_("phone number"), max_length=32, blank=True)
    email = models.CharField(_("email address"), max_length=320, blank=True)
    # Copied from the service when the number is taken, so calling next reads one index.
    priority = models.PositiveSmallIntegerField(_("priority"))
    # When the visitor joined the queue (kept across a transfer): ordering within equal priority.
    waiting_since = models.DateTimeField(_("waiting since"))
    created_at = models.DateTimeField(_("taken at"), default=clock.now)
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    times_called = models.PositiveSmallIntegerField(default=0)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Seconds from joining this queue to the first call, and from that call to the end.
    waiting_seconds = models.PositiveIntegerField(_("waiting time (s)"), null=True, blank=True)
    service_seconds = models.PositiveIntegerField(_("service time (s)"), null=True, blank=True)
    counter = models.ForeignKey(
        Counter, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    agent = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    transferred_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="transferred_to"
    )
    handoff_note = models.TextField(_("hand-off note"), blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            # A transfer keeps the visitor's number in the other service's queue.
            models.UniqueConstraint(
                fields=["service", "day", "number"],
                condition=models.Q(transferred_from=None),
                name="visit_unique_number",
            )
        ]
        indexes = [
            # Call next: the office's waiting visitors by service, then waiting time.
            models.Index(
                fields=["office", "status", "priority", "waiting_since"], name="visit_queue_idx"
            ),
            # Reports and the wait estimate: recent visits of one service by when they ended.
            models.Index(fields=["service", "ended_at"], name="visit_service_ended_idx"),
            models.Index(fields=["office", "day"], name="visit_office_day_idx"),
        ]

    def __str__(self) -> str:
        return self.label
