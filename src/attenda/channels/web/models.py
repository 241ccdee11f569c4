"""Every submission of the contact form, kept as it came: the ones that became tickets, and the ones
held as likely spam until an admin releases them (nothing a visitor sent is dropped)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from attenda.core import clock


class HoldReason(models.TextChoices):
    HONEYPOT = "honeypot", _("Filled in the hidden field")
    TOO_FAST = "too_fast", _("Sent too fast after the form opened")
    BAD_TIMESTAMP = "bad_timestamp", _("Form stamp missing, forged or too old")
    REUSED_STAMP = "reused_stamp", _("Form stamp already used by another submission")
    RATE_ADDRESS = "rate_address", _("Too many from this network address")
    RATE_EMAIL = "rate_email", _("Too many from this email address")


class SubmissionState(models.TextChoices):
    ACCEPTED = "accepted", _("Became a ticket")
    HELD = "held", _("Held as possible spam")
    RELEASED = "released", _("Released by an admin")


class WebSubmission(models.Model):
    name = models.CharField(_("name"), max_length=200)
    email = models.CharField(_("email"), max_length=320)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    message = models.TextField(_("message"))
    kind = models.CharField(_("kind"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # The files as stored blobs ({"blob", "filename", "content_type"}), so a held one keeps them.
    files = models.JSONField(default=list, blank=True)
    # Whatever the hidden field was filled with, shown to the admin who decides.
    honeypot = models.CharField(max_length=500, blank=True)
    address = models.GenericIPAddressField(_("network address"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=SubmissionState.choices)
    hold_reason = models.CharField(
        _("why held"), max_length=20, choices=HoldReason.choices, blank=True
    )
    # The team the embedding page named (data-team), else that of the desk's first mailbox.
    team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("received"), default=clock.now)
    # The random part of the form's signed stamp: a stamp makes one submission (web_stamp_once).
    stamp_nonce = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("web form submission")
        verbose_name_plural = _("web form submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["stamp_nonce"], name="web_stamp_once", condition=~models.Q(stamp_nonce="")
            )
        ]
        indexes = [
            # The admins' list of held submissions, newest first.
            models.Index(
                fields=["-created_at"],
                name="web_held_idx",
                condition=models.Q(state="held"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.subject}"
