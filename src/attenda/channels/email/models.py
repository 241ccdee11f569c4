"""Mailboxes, and every mail that came in or went out through them. Inbound mail is kept whole (its
raw bytes in a Blob) whatever became of it; outbound mail carries the state the timeline shows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Team
from attenda.core import clock
from attenda.tickets.models import Blob, Ticket, TimelineEntry


class Security(models.TextChoices):
    SSL = "ssl", _("TLS from the start")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (local servers only)")


class Mailbox(models.Model):
    """An address customers write to. Mail to it comes in by IMAP, by Attenda's SMTP receiver or by
    the API, lands in its team, and replies leave From it through its SMTP server."""

    address = models.EmailField(_("address"), unique=True)
    name = models.CharField(_("name shown to customers"), max_length=100)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("team")
    )
    language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    is_active = models.BooleanField(_("active"), default=True)
    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=Security.choices, default=Security.SSL
    )
    imap_user = models.CharField(_("IMAP user"), max_length=255, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    # Where taken mail is moved; empty leaves it in the folder, marked as read.
    imap_archive_folder = models.CharField(_("move taken mail to"), max_length=255, blank=True)
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True)
    imap_last_uid = models.BigIntegerField(default=0)
    smtp_host = models.CharField(_("SMTP server"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=10, choices=Security.choices, default=Security.STARTTLS
    )
    smtp_user = models.CharField(_("SMTP user"), max_length=255, blank=True)
    smtp_password = models.CharField(_("SMTP password"), max_length=255, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=clock.now)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address

    @property
    def receives_by_imap(self) -> bool:
        return bool(self.is_active and self.imap_host)


class MailState(models.TextChoices):
    TAKEN = "taken", _("Taken")
    BOUNCE = "bounce", _("Delivery report")
    HELD = "held", _("Held: the sender wrote too often")
    UNPROCESSABLE = "unprocessable", _("Unprocessable: kept for a person")
    # Kept, and waiting for the worker to read it: mail that may be a delivery report, or that is
    # costly to read (inbound.costly_to_read).
    READING = "reading", _("Waiting to be read by the worker")


class SetAsideReason(models.TextChoices):
    """Why a message is in the unprocessable store instead of on a ticket."""

    OVER_BUDGET = "budget", _("Too large or too costly to process")
    FAILED = "failed", _("Attenda failed while processing it")
    UNCLEAR_SENDER = "sender", _("Its sender is unclear")


class InboundMail(models.Model):
    """One message as it reached a mailbox. (mailbox, message_id) is unique: the same message
    fetched twice — after a crash, or by two ways in — is taken once."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="inbound")
    message_id = models.CharField(max_length=998)
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    received_at = models.DateTimeField(default=clock.now)
    source = models.CharField(max_length=10)  # imap, smtp, api
    state = models.CharField(max_length=20, choices=MailState.choices)
    set_aside_reason = models.CharField(max_length=10, choices=SetAsideReason.choices, blank=True)
    raw = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(
        TimelineEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    problems = models.JSONField(default=list, blank=True)
    # The addresses the sending server delivered to (a signed reply address may be only there),
    # kept for mail read after it was taken in.
    envelope_recipients = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mail")
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "message_id"], name="inbound_mail_unique")
        ]
        indexes = [
            # The flood check: how much one sender wrote to one mailbox lately.
            models.Index(fields=["mailbox", "sender", "received_at"], name="inbound_sender_idx"),
            # Held mail and the unprocessable store, newest first.
            models.Index(fields=["state", "received_at"], name="inbound_state_idx"),
        ]

    def __str__(self) -> str:
        return self.message_id


class OutboundMail(models.Model):
    """A reply or acknowledgement as mail: its headers and recipients, the attempts to send it and a
    delivery report about it. Whether it left is on its timeline entry (``delivery``)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="outbound_mail")
    entry = models.OneToOneField(
        TimelineEntry, on_delete=models.CASCADE, related_name="outbound_mail"
    )
    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="outbound")
    message_id = models.CharField(max_length=998, unique=True)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list)
    subject = models.CharField(max_length=998)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    bounce = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("outbound mail")
        verbose_name_plural = _("outbound mail")

    def __str__(self) -> str:
        return self.message_id
