"""What triage keeps: how each inbound message was read, the suggestion it makes for its ticket,
tickets flagged for a supervisor, customers flagged for abuse, who revealed an abusive message, the
admin's kind rules and threshold, and the models learnt from agents' labels.

Triage owns these tables so that tickets, customers and agents keep their own shape; each row points
at the ticket, entry or customer it is about."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Team
from attenda.core import clock
from attenda.customers.models import Customer
from attenda.tickets.models import Kind, Ticket, TimelineEntry

# The languages triage tells apart (the engine's LANGUAGES), with their names for the pages.
LANGUAGE_CHOICES = [
    ("pt", _("Portuguese")),
    ("es", _("Spanish")),
    ("ro", _("Romanian")),
    ("pl", _("Polish")),
    ("en", _("English")),
]


class Abuse(models.TextChoices):
    INSULT = "insult", _("Insult")
    THREAT = "threat", _("Threat")


def new_version() -> str:
    return uuid.uuid4().hex


class TriageSettings(models.Model):
    """The one row of what an admin decides about triage. ``version`` changes with every change to
    the rules or the model, so a process knows when to reload them without reading them each time.
    Random rather than counted, so that a row made again (a restored database) never matches what
    a process loaded before."""

    auto_apply_threshold = models.FloatField(
        _("apply suggestions automatically above this confidence"),
        default=0.9,
        help_text=_(
            "Between 0.5 and 1; 1 applies none. Up to it, a suggestion waits for an agent to"
            " accept it."
        ),
    )
    version = models.CharField(max_length=32, default=new_version)
    model = models.ForeignKey(
        "TrainedModel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("triage settings")
        verbose_name_plural = _("triage settings")

    def __str__(self) -> str:
        return "triage settings"


class KindRule(models.Model):
    """An admin's keywords for one kind in one language. It replaces Attenda's own rule for that
    kind and language; without one, Attenda's rule applies."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    keywords = models.TextField(_("keywords"), help_text=_("One word or phrase a line."))
    weight = models.FloatField(_("weight"), default=1.0)
    updated_at = models.DateTimeField(_("changed"), default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("kind rule")
        verbose_name_plural = _("kind rules")
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="kind_rule_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.language}"

    @property
    def keyword_list(self) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.keywords.splitlines() if line.strip())


class TrainedModel(models.Model):
    """A kind and team classifier learnt from agents' labelled tickets, with how it did on tickets
    held out of its training, beside what the keyword rules alone did on the same tickets."""

    created_at = models.DateTimeField(_("trained"), default=clock.now)
    data = models.BinaryField()
    trained_on = models.PositiveIntegerField(_("tickets learnt from"))
    held_out = models.PositiveIntegerField(_("tickets held out"))
    accuracy = models.FloatField(_("accuracy"))
    macro_f1 = models.FloatField(_("macro-F1"))
    rules_accuracy = models.FloatField(_("accuracy of the rules alone"))
    rules_macro_f1 = models.FloatField(_("macro-F1 of the rules alone"))
    kind_counts = models.JSONField(_("labelled tickets per kind"), default=dict)

    class Meta:
        verbose_name = _("trained model")
        verbose_name_plural = _("trained models")

    def __str__(self) -> str:
        return f"model {self.pk} ({self.created_at:%Y-%m-%d %H:%M})"


class EntryReading(models.Model):
    """How one inbound message was read when it arrived. ``owner`` is who owned the ticket then: the
    agent who received an abusive message, counted for supervisors to spread the load."""

    entry = models.OneToOneField(
        TimelineEntry, primary_key=True, on_delete=models.CASCADE, related_name="reading"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    language = models.CharField(max_length=8)
    language_confidence = models.FloatField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    kind_confidence = models.FloatField()
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="+")
    team_confidence = models.FloatField(default=0.0)
    anger = models.FloatField(default=0.0)
    urgent = models.BooleanField(default=False)
    leaving = models.BooleanField(default=False)
    abusive = models.BooleanField(default=False)
    abuse = models.CharField(max_length=10, choices=Abuse.choices, blank=True)
    cues = models.JSONField(default=list)

    class Meta:
        indexes = [
            # Abusive messages each agent received in a period (queries.abuse_received).
            models.Index(
                fields=["owner", "created_at"],
                name="reading_abuse_owner_idx",
                condition=Q(abusive=True),
            ),
        ]

    def __str__(self) -> str:
        return f"reading of entry {self.entry_id}"


class SuggestionState(models.TextChoices):
    PENDING = "pending", _("Waiting for an agent")
    ACCEPTED = "accepted", _("Accepted")
    APPLIED = "applied", _("Applied automatically")


class TicketTriage(models.Model):
    """What triage suggests for one ticket, from its first message, and what became of it."""

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="triage"
    )
    entry = models.ForeignKey(TimelineEntry, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("suggested kind"), max_length=20, choices=Kind.choices)
    kind_confidence = models.FloatField()
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="+")
    team_confidence = models.FloatField(default=0.0)
    state = models.CharField(
        max_length=10, choices=SuggestionState.choices, default=SuggestionState.PENDING
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Anger or urgency raise a ticket's priority once, not once per angry message.
    priority_raised = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # Tickets an agent labelled, for learning (services.labelled_tickets).
            models.Index(fields=["state", "ticket"], name="ticket_triage_state_idx"),
        ]

    def __str__(self) -> str:
        return f"triage of #{self.ticket_id}"


class FlagReason(models.TextChoices):
    LEAVING = "leaving", _("The customer speaks of leaving or escalating")
    ABUSE = "abuse", _("The customer was abusive")


class SupervisorFlag(models.Model):
    """A ticket that needs a supervisor's eyes, until a supervisor clears it. The supervisors of the
    ticket's team see it, wherever the ticket goes; ``team`` keeps the team it was flagged in."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(TimelineEntry, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=10, choices=FlagReason.choices)
    flagged_at = models.DateTimeField(_("flagged"), default=clock.now)
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("ticket flagged for a supervisor")
        verbose_name_plural = _("tickets flagged for a supervisor")
        constraints = [
            # One open flag per ticket: a second reason adds to the timeline, not to the list.
            models.UniqueConstraint(
                fields=["ticket"], name="flag_one_open", condition=Q(cleared_at__isnull=True)
            ),
        ]
        indexes = [
            # The supervisors' list: open flags, newest first (queries.flagged_page).
            models.Index(
                fields=["-flagged_at", "-id"],
                name="flag_open_idx",
                condition=Q(cleared_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} on #{self.ticket_id}"


class CustomerFlag(models.Model):
    """A customer was abusive: one row per abusive message, kept as history after a supervisor
    lifts the flag."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(TimelineEntry, on_delete=models.CASCADE, related_name="+")
    abuse = models.CharField(_("abuse"), max_length=10, choices=Abuse.choices)
    raised_at = models.DateTimeField(_("raised"), default=clock.now)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("customer abuse flag")
        verbose_name_plural = _("customer abuse flags")
        indexes = [models.Index(fields=["customer", "-raised_at"], name="customer_flag_idx")]

    def __str__(self) -> str:
        return f"{self.abuse} by customer {self.customer_id}"


class Reveal(models.Model):
    """An agent chose to read an abusive message. Per agent: a colleague still sees it hidden."""

    entry = models.ForeignKey(TimelineEntry, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    revealed_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "agent"], name="reveal_unique"),
        ]

    def __str__(self) -> str:
        return f"entry {self.entry_id} revealed to {self.agent_id}"
