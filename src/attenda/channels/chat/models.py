"""Chat widgets that admins put on their web sites, the conversations visitors hold through them,
and how many chats an agent takes at once. The messages themselves are timeline entries of the
conversation's ticket."""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Agent, Team
from attenda.core import clock
from attenda.customers.models import Customer
from attenda.tickets.models import Ticket

DEFAULT_CHAT_LIMIT = 3


def new_widget_key() -> str:
    return secrets.token_urlsafe(12)


def new_widget_secret() -> str:
    return secrets.token_hex(32)


class ChatWidget(models.Model):
    """One script tag on a web site: whose chats it brings (its team), which sites may embed it, and
    the secret the site signs its signed-in users with."""

    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(max_length=32, unique=True, default=new_widget_key, editable=False)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, verbose_name=_("team"))
    allowed_origins = models.TextField(
        _("allowed origins"),
        help_text=_("One origin a line, such as https://www.example.com; other sites are refused."),
    )
    secret = models.CharField(
        _("identity secret"), max_length=128, default=new_widget_secret, editable=False
    )
    greeting = models.CharField(_("greeting"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=clock.now)

    class Meta:
        verbose_name = _("chat widget")
        verbose_name_plural = _("chat widgets")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def origins(self) -> list[str]:
        return [
            line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()
        ]

    def allows(self, origin: str | None) -> bool:
        return bool(origin) and origin.rstrip("/") in self.origins()


class ChatState(models.TextChoices):
    WAITING = "waiting", _("Waiting for an agent")
    ACTIVE = "active", _("With an agent")
    ENDED = "ended", _("Ended")


class ChatConversation(models.Model):
    """A visitor's chat: its ticket, the agent who took it, and when the visitor was last heard from
    (a reply reaches the visitor only while the chat is open and the visitor is still there)."""

    widget = models.ForeignKey(ChatWidget, on_delete=models.PROTECT, related_name="conversations")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="chats")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="chats")
    visitor = models.CharField(max_length=64, db_index=True)
    state = models.CharField(max_length=10, choices=ChatState.choices, default=ChatState.WAITING)
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="chats"
    )
    # A returning customer's own agent is offered the chat first, until OFFER_SECONDS pass.
    offered_to = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="chat_offers"
    )
    started_at = models.DateTimeField(default=clock.now)
    visitor_seen_at = models.DateTimeField(default=clock.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "widget", "started_at"], name="chat_waiting_idx"),
            models.Index(fields=["agent", "state"], name="chat_agent_state_idx"),
        ]

    def __str__(self) -> str:
        return f"chat {self.pk} on ticket {self.ticket_id}"

    @property
    def stream(self) -> str:
        return f"chat:{self.pk}"


class ChatLimit(models.Model):
    """How many open chats an agent takes at once: set for the agent, else for a team they are in,
    else DEFAULT_CHAT_LIMIT."""

    agent = models.OneToOneField(
        Agent, null=True, blank=True, on_delete=models.CASCADE, related_name="chat_limit"
    )
    team = models.OneToOneField(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="chat_limit"
    )
    limit = models.PositiveSmallIntegerField(_("chat limit"), default=DEFAULT_CHAT_LIMIT)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agent__isnull=False) ^ models.Q(team__isnull=False),
                name="chat_limit_agent_xor_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent or self.team}: {self.limit}"
