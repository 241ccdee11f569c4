"""Replies through messaging apps: the route (which account, to whom, and whether the provider's
rules allow it now), and a task that sends each reply through the provider's HTTP API, retried with
growing waits by the task queue (core.tasks) while the provider fails for a while."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attenda.channels.social.inbound import PROVIDERS
from attenda.channels.social.models import Provider, SocialAccount, SocialReply
from attenda.channels.social.wire import ProviderError
from attenda.core import clock
from attenda.core.tasks import background
from attenda.tickets import services
from attenda.tickets.delivery import Route
from attenda.tickets.models import Channel, Delivery, Ticket, TimelineEntry

logger = logging.getLogger(__name__)

# WhatsApp and Messenger take free replies only this long after the customer's last message.
SERVICE_WINDOW = timedelta(hours=24)
# Messenger's HUMAN_AGENT tag lets a person answer up to this long after it.
HUMAN_AGENT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Reach:
    """How a reply can reach the customer now, or why it cannot."""

    account: SocialAccount | None
    recipient: str = ""
    template: str = ""
    tag: str = ""
    reason: str = ""


def _last_message(ticket: Ticket) -> TimelineEntry | None:
    """The customer's latest message on the ticket by a messaging app (entry_ticket_idx)."""
    return (
        TimelineEntry.objects.filter(
            ticket=ticket, channel=Channel.SOCIAL, author_customer__isnull=False
        )
        .order_by("-created_at", "-id")
        .first()
    )


def reach(ticket: Ticket) -> Reach:
    last = _last_message(ticket)
    if last is None or "account" not in last.data:
        return Reach(None, reason=_("The customer has not written by a messaging app here."))
    account = SocialAccount.objects.filter(pk=last.data["account"], is_active=True).first()
    if account is None:
        return Reach(None, reason=_("The messaging account the customer wrote to is not active."))
    recipient = str(last.data.get("conversation", ""))
    waited = clock.now() - last.created_at
    if account.provider == Provider.WHATSAPP and waited > SERVICE_WINDOW:
        if not account.template_name:
            return Reach(
                None,
                reason=_(
                    "The customer last wrote by WhatsApp more than 24 hours ago: WhatsApp now "
                    "takes only an approved template, and this account has none."
                ),
            )
        return Reach(account, recipient, template=account.template_name)
    if account.provider == Provider.MESSENGER and waited > SERVICE_WINDOW:
        if waited > HUMAN_AGENT_WINDOW:
            return Reach(
                None,
                reason=_(
                    "The customer last wrote by Messenger more than 7 days ago: Messenger no "
                    "longer takes a reply."
                ),
            )
        return Reach(account, recipient, tag="HUMAN_AGENT")
    return Reach(account, recipient)


def reply_route(ticket: Ticket) -> Route:
    """What the composer shows: the account and the customer's chat, and outside WhatsApp's window
    that the reply leaves as the approved template (or why it cannot leave at all)."""
    found = reach(ticket)
    if found.account is None:
        return Route(channel=Channel.SOCIAL, can_deliver=False, reason=found.reason)
    sender = str(found.account)
    if found.template:
        sender = _("%(account)s, as the approved template %(template)s") % {
            "account": sender,
            "template": found.template,
        }
    return Route(
        channel=Channel.SOCIAL,
        can_deliver=True,
        address=f"{found.account.get_provider_display()} {found.recipient}",
        sender=sender,
    )


def queue_reply(entry: TimelineEntry) -> None:
    found = reach(entry.ticket)
    if found.account is None:
        services.delivery_failed(entry_id=entry.pk, state=Delivery.FAILED, note=found.reason)
        return
    social_reply = SocialReply.objects.create(
        entry=entry,
        account=found.account,
        recipient=found.recipient,
        template=found.template,
        tag=found.tag,
    )
    TimelineEntry.objects.filter(pk=entry.pk).update(delivery=Delivery.QUEUED, delivery_note="")
    send_reply.enqueue_on_commit(social_reply.pk)


def _gave_up(reply_id: int, *, error: Exception) -> None:
    social_reply = SocialReply.objects.filter(pk=reply_id).first()
    if social_reply is not None and social_reply.sent_at is None:
        services.delivery_failed(
            entry_id=social_reply.entry_id,
            state=Delivery.FAILED,
            note=_("The messaging app did not take it: %(error)s") % {"error": error},
        )


@background(gave_up=_gave_up, label=gettext_lazy("Sending a reply by messaging app"))
def send_reply(reply_id: int) -> None:
    """Sends one reply; a refusal (a bad token, a closed window) shows "not sent" at once with the
    provider's words, anything else is tried again later."""
    social_reply = SocialReply.objects.select_related("account", "entry").get(pk=reply_id)
    if social_reply.sent_at is not None:
        return  # sent already: a retry after a lost answer must not send it twice
    social_reply.attempts += 1
    provider = PROVIDERS[social_reply.account.provider]
    try:
        message_id = provider.send(social_reply.account, social_reply, social_reply.entry.body)
    except ProviderError as error:
        social_reply.last_error = str(error)[:2000]
        social_reply.save(update_fields=["attempts", "last_error"])
        if error.permanent:
            services.delivery_failed(
                entry_id=social_reply.entry_id,
                state=Delivery.FAILED,
                note=_("The messaging app refused it: %(reason)s") % {"reason": error},
            )
            return
        TimelineEntry.objects.filter(pk=social_reply.entry_id).update(
            delivery_note=_("Attempt %(number)s failed: %(error)s")
            % {"number": social_reply.attempts, "error": error}
        )
        raise
    social_reply.message_id, social_reply.sent_at = message_id[:255], clock.now()
    social_reply.save(update_fields=["attempts", "message_id", "sent_at", "last_error"])
    # A receipt may have come first; only a reply still waiting becomes "sent".
    TimelineEntry.objects.filter(
        pk=social_reply.entry_id, delivery__in=[Delivery.QUEUED, ""]
    ).update(delivery=Delivery.SENT, delivery_note="")
