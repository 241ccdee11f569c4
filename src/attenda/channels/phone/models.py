"""The phone channel's own state: the lines customers call, their voice menus, the calls as the
provider or the desk's PBX reported them, blocked numbers, and webhook bodies that could not be
read. Tickets know nothing of these; a call reaches a ticket through ``receive()``."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Team
from attenda.core import clock
from attenda.customers.models import Customer
from attenda.tickets.models import Kind, Ticket

# The Ley 10/2025 target: a person on the line within this many seconds of being asked for.
PERSON_TARGET_SECONDS = 180


class PhoneLine(models.Model):
    """A number customers dial. Its voice menus (one per language) and its team, whose business
    calendar says when it is open, belong to it."""

    number = models.CharField(_("number"), max_length=20, unique=True, help_text=_("E.164"))
    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("team")
    )
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )

    class Meta:
        verbose_name = _("phone line")
        verbose_name_plural = _("phone lines")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class VoiceMenu(models.Model):
    """What a caller hears and may choose, in one language. A sub-menu has a parent option."""

    line = models.ForeignKey(
        PhoneLine, on_delete=models.CASCADE, related_name="menus", verbose_name=_("phone line")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    is_main = models.BooleanField(_("main menu"), default=True)
    title = models.CharField(_("title"), max_length=100)
    greeting = models.TextField(_("greeting"))
    closed_message = models.TextField(_("closed message"), blank=True)
    # Admin-recorded audio, played instead of the spoken greeting when given.
    greeting_audio = models.FileField(_("recorded greeting"), upload_to="phone/", blank=True)
    when_closed = models.CharField(
        _("when closed"),
        max_length=10,
        choices=[("voicemail", _("Voicemail")), ("callback", _("Call-back"))],
        default="voicemail",
    )

    class Meta:
        verbose_name = _("voice menu")
        verbose_name_plural = _("voice menus")
        constraints = [
            models.UniqueConstraint(
                fields=["line", "language"], condition=Q(is_main=True), name="menu_main_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} [{self.language}]"


class Action(models.TextChoices):
    TEAM = "team", _("Talk to a team")
    KIND = "kind", _("Talk to the line's team about a kind of matter")
    SUBMENU = "submenu", _("Open a sub-menu")
    CALLBACK = "callback", _("Ask for a call-back")
    VOICEMAIL = "voicemail", _("Leave a voicemail")


class MenuOption(models.Model):
    menu = models.ForeignKey(VoiceMenu, on_delete=models.CASCADE, related_name="options")
    digit = models.PositiveSmallIntegerField(
        _("key"), validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    label = models.CharField(_("what the caller hears"), max_length=200)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("team"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, blank=True)
    submenu = models.ForeignKey(
        VoiceMenu,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sub-menu"),
    )

    class Meta:
        verbose_name = _("menu option")
        verbose_name_plural = _("menu options")
        ordering = ["digit"]
        constraints = [models.UniqueConstraint(fields=["menu", "digit"], name="option_unique")]

    def __str__(self) -> str:
        return f"{self.digit}: {self.label}"


class Direction(models.TextChoices):
    IN = "in", _("Incoming")
    OUT = "out", _("Outgoing")


class CallState(models.TextChoices):
    NEW = "newCall", _("Ringing")
    ANSWER = "answer", _("Answered")
    HANGUP = "hangup", _("Ended")


class Provider(models.TextChoices):
    TWILIO = "twilio", _("Voice menu")
    CTI = "cti", _("Desk telephone system")
    PLACETEL = "placetel", _("Placetel")


class Call(models.Model):
    """One call, as the provider reported it. The provider's call id is unique, so a retried or
    repeated event finds the call it already made."""

    provider = models.CharField(max_length=10, choices=Provider.choices)
    call_id = models.CharField(max_length=200)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    state = models.CharField(_("state"), max_length=10, choices=CallState.choices)
    # As the provider wrote them (Zammad's CTI log keeps these), and the caller in E.164.
    from_number = models.CharField(_("from"), max_length=64, blank=True)
    to_number = models.CharField(_("to"), max_length=64, blank=True)
    from_comment = models.CharField(max_length=500, blank=True)
    to_comment = models.CharField(max_length=500, blank=True)
    queue = models.CharField(_("queue"), max_length=200, blank=True)
    comment = models.CharField(_("cause"), max_length=200, blank=True)
    number = models.CharField(_("customer's number"), max_length=20, blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    line = models.ForeignKey(
        PhoneLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    language = models.CharField(max_length=8, blank=True)
    ringing_agents = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started"), default=clock.now)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # Ley 10/2025: when the caller asked for a person, and when a person answered.
    person_requested_at = models.DateTimeField(null=True, blank=True)
    person_answered_at = models.DateTimeField(null=True, blank=True)
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    missed = models.BooleanField(_("missed"), default=False)
    # The ticket the agent chose for this call (or ``file_as_new``), and the ticket it went on.
    chosen_ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_as_new = models.BooleanField(default=False)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    callback_ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.UniqueConstraint(fields=["provider", "call_id"], name="call_provider_id_unique")
        ]
        indexes = [
            # A customer's calls, newest first (the customer page).
            models.Index(fields=["customer", "-started_at"], name="call_customer_idx"),
            # Missed calls nobody called back yet, newest first.
            models.Index(
                fields=["-started_at"],
                name="call_missed_idx",
                condition=Q(missed=True, done=False),
            ),
            # Calls ringing now, newest first (a page opened while the phone rings shows them).
            models.Index(
                fields=["-started_at"],
                name="call_ringing_idx",
                condition=Q(state=CallState.NEW),
            ),
            # Calls where a person was asked for (the Ley 10/2025 measure).
            models.Index(
                fields=["person_requested_at"],
                name="call_person_idx",
                condition=Q(person_requested_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.call_id}"

    @property
    def duration(self):
        if self.answered_at and self.ended_at:
            return self.ended_at - self.answered_at
        return None


class BlockedNumber(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True, help_text=_("E.164"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("blocked number")
        verbose_name_plural = _("blocked numbers")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


def new_token() -> str:
    return secrets.token_urlsafe(24)


class CtiEndpoint(models.Model):
    """The desk's PBX (Asterisk, FreePBX, Placetel, sipgate...) posts its events to
    /api/v1/cti/<token>, /api/v1/sipgate/<token>/in|out or /api/v1/placetel/<token>, as it does to
    Zammad's."""

    name = models.CharField(_("name"), max_length=100)
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    enabled = models.BooleanField(_("enabled"), default=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("team"),
    )
    default_caller_id = models.CharField(_("default caller id"), max_length=32, blank=True)
    # [{"dest": "41*", "caller_id": "41715880339000"}, ...]: the caller id shown for outgoing calls.
    routing_table = models.JSONField(_("outgoing caller ids"), default=list, blank=True)
    # Placetel and many PBXs send national numbers ("030 …", "0111 …"): read as this country's.
    region = models.CharField(
        _("country of national numbers"),
        max_length=2,
        blank=True,
        help_text=_(
            "Two letters, such as DE: numbers sent without a country code are read as this "
            "country's. Empty: the customers' default country."
        ),
    )
    # Placetel's Web API token: the names of its SIP users (the agents' phones) are fetched with it.
    placetel_api_token = models.CharField(
        _("Placetel API token"),
        max_length=200,
        blank=True,
        help_text=_("From Placetel's Web API menu; used to show the names of your SIP users."),
    )

    class Meta:
        verbose_name = _("desk telephone system")
        verbose_name_plural = _("desk telephone systems")

    def __str__(self) -> str:
        return self.name


class UnreadWebhook(models.Model):
    """A webhook body that could not be read (unknown event, missing fields): kept as it came, for
    an admin to look at, never dropped."""

    provider = models.CharField(max_length=10, choices=Provider.choices)
    path = models.CharField(max_length=500)
    content_type = models.CharField(max_length=200, blank=True)
    body = models.BinaryField()
    reason = models.CharField(max_length=500)
    received_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("unread webhook")
        verbose_name_plural = _("unread webhooks")
        indexes = [models.Index(fields=["-received_at"], name="webhook_received_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {self.received_at:%Y-%m-%d %H:%M}"
