"""Messaging-app accounts (a WhatsApp number, a Telegram bot, a Facebook page, an X account), every
event their webhooks brought, kept as it came, and every reply sent through them. An event is
unique per provider and id, so a provider's repeated delivery makes one message."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Team
from attenda.core import clock
from attenda.tickets.models import TimelineEntry


class Provider(models.TextChoices):
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    MESSENGER = "messenger", _("Facebook Messenger")
    X = "x", _("X (Twitter)")


def new_webhook_key() -> str:
    return secrets.token_urlsafe(18)


class SocialAccount(models.Model):
    """Where customers write to us in one messaging app, with the credentials Attenda answers with.
    Its webhook address carries a random key; every request to it is checked with its secret."""

    provider = models.CharField(_("messaging app"), max_length=10, choices=Provider.choices)
    name = models.CharField(_("name shown to agents"), max_length=100)
    external_id = models.CharField(
        _("account id at the provider"),
        max_length=64,
        help_text=_(
            "WhatsApp: the phone number id. Telegram: the bot's user id. Messenger: the page id. "
            "X: the account's user id."
        ),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("team")
    )
    language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    is_active = models.BooleanField(_("active"), default=True)
    webhook_key = models.CharField(max_length=40, unique=True, default=new_webhook_key)
    access_token = models.CharField(_("access token"), max_length=512, blank=True)
    app_secret = models.CharField(
        _("app secret"),
        max_length=255,
        blank=True,
        help_text=_(
            "Meta: the app secret. X: the consumer secret. Telegram: the secret token given to "
            "setWebhook."
        ),
    )
    verify_token = models.CharField(
        _("verify token"),
        max_length=255,
        blank=True,
        help_text=_("WhatsApp and Messenger: the token you typed when subscribing the webhook."),
    )
    template_name = models.CharField(
        _("approved template"),
        max_length=512,
        blank=True,
        help_text=_(
            "WhatsApp: an approved template with one text parameter, used for replies more than "
            "24 hours after the customer last wrote."
        ),
    )
    template_language = models.CharField(_("template language"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("created"), default=clock.now)

    class Meta:
        verbose_name = _("messaging account")
        verbose_name_plural = _("messaging accounts")
        ordering = ["provider", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="social_account_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} · {self.name}"


class EventKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    STATUS = "status", _("Delivery or read receipt")
    IGNORED = "ignored", _("Not needed: our own echo, a typing mark")
    UNSUPPORTED = "unsupported", _("Not supported")


class EventState(models.TextChoices):
    PENDING = "pending", _("Waiting to be taken")
    TAKEN = "taken", _("Taken")
    UNSUPPORTED = "unsupported", _("Kept: Attenda does not read this kind")
    FAILED = "failed", _("Kept: Attenda failed on it")


class SocialEvent(models.Model):
    """One event of a webhook (a message, a receipt, anything else), stored before the provider is
    answered and turned into a message by a task afterwards. What Attenda cannot read stays here,
    raw, for an admin."""

    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="events")
    provider = models.CharField(max_length=10, choices=Provider.choices)
    event_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    # Who the customer is at the provider (a chat, a number, a page-scoped id): threads messages.
    conversation = models.CharField(max_length=64, blank=True)
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=EventState.choices)
    problem = models.TextField(blank=True)
    received_at = models.DateTimeField(default=clock.now)
    entry = models.ForeignKey(
        TimelineEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("messaging event")
        verbose_name_plural = _("messaging events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="social_event_unique")
        ]
        indexes = [
            # The kept events page, newest first.
            models.Index(fields=["state", "received_at", "id"], name="social_event_state_idx"),
            # The conversation's latest message, which a new one threads after.
            models.Index(
                fields=["account", "conversation", "received_at"],
                name="social_event_chat_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class SocialReply(models.Model):
    """A reply on its way through a messaging app: to whom, how (free text or an approved template),
    the attempts and the provider's id for it, which its receipts name."""

    entry = models.OneToOneField(
        TimelineEntry, on_delete=models.CASCADE, related_name="social_reply"
    )
    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="replies")
    recipient = models.CharField(max_length=64)
    template = models.CharField(max_length=512, blank=True)
    tag = models.CharField(max_length=40, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The entry's attachments done, by attachment id: {"message_id": ...} once sent, or
    # {"refused": reason} when the provider does not take it. A retry sends only the others.
    files = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("messaging reply")
        verbose_name_plural = _("messaging replies")
        indexes = [
            # Receipts name the provider's message id.
            models.Index(fields=["account", "message_id"], name="social_reply_message_idx"),
            # Messenger's read receipts cover everything sent to a person before a moment.
            models.Index(
                fields=["account", "recipient", "sent_at"], name="social_reply_recipient_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} → {self.recipient}"
