"""Replies through messaging apps: the route (which account, to whom, and whether the provider's
rules allow it now), and a task that sends each reply through the provider's HTTP API, retried with
growing waits by the task queue (core.tasks) while the provider fails for a while."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attenda.channels.social.inbound import PROVIDERS
from attenda.channels.social.models import Provider, SocialAccount, SocialReply
from attenda.channels.social.wire import FileRefused, OutboundFile, ProviderError
from attenda.core import clock
from attenda.core.tasks import background
from attenda.tickets import services
from attenda.tickets.delivery import Route
from attenda.tickets.models import Attachment, Channel, Delivery, Ticket, TimelineEntry

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
    social_reply = SocialReply.objects.select_related("entry__author_agent").filter(pk=reply_id)
    social_reply = social_reply.first()
    if social_reply is None:
        return
    with _agent_language(social_reply.entry):
        if social_reply.sent_at is None:
            services.delivery_failed(
                entry_id=social_reply.entry_id,
                state=Delivery.FAILED,
                note=_("The messaging app did not take it: %(error)s") % {"error": error},
            )
            return
        # The words went; the files still waiting are said as not sent, each with the reason.
        reason = _("the messaging app did not take it: %(error)s") % {"error": error}
        for attachment in social_reply.entry.attachments.all():
            social_reply.files.setdefault(str(attachment.pk), {"refused": reason})
        social_reply.save(update_fields=["files"])
        _say_files(social_reply)


def _agent_language(entry: TimelineEntry):
    """Notes on a reply are read by the agents of the ticket: in the language of the one who wrote."""
    agent = entry.author_agent
    return translation.override(getattr(agent, "language", None) or settings.LANGUAGE_CODE)


def _say_files(social_reply: SocialReply) -> None:
    """Files the provider did not take, each by name with its reason, on the reply's entry."""
    names = dict(social_reply.entry.attachments.values_list("pk", "filename"))
    refused = [
        _("%(filename)s was not sent: %(reason)s")
        % {"filename": names.get(int(key), key), "reason": done["refused"]}
        for key, done in social_reply.files.items()
        if "refused" in done
    ]
    if social_reply.files:
        TimelineEntry.objects.filter(pk=social_reply.entry_id).update(
            delivery_note=" · ".join(refused)[:500]
        )


def _outbound_file(attachment: Attachment) -> OutboundFile:
    with attachment.blob.content.open("rb") as stored:
        content = stored.read()
    return OutboundFile(
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
        content=content,
    )


@background(gave_up=_gave_up, label=gettext_lazy("Sending a reply by messaging app"))
def send_reply(reply_id: int) -> None:
    """Sends one reply: its words, then each attachment as the provider takes files. A refusal (a
    bad token, a closed window) shows "not sent" at once with the provider's words, a file the
    provider does not take is named on the reply with the reason, anything else is tried again
    later, and a retry sends only what has not gone yet."""
    social_reply = SocialReply.objects.select_related(
        "account", "entry", "entry__author_agent"
    ).get(pk=reply_id)
    with _agent_language(social_reply.entry):
        if social_reply.sent_at is None and not _send_words(social_reply):
            return  # the words were refused: the reply is not sent, nor are its files
        _send_files(social_reply)


def _failed_attempt(social_reply: SocialReply, error: ProviderError) -> None:
    social_reply.last_error = str(error)[:2000]
    social_reply.save(update_fields=["attempts", "last_error", "files"])
    TimelineEntry.objects.filter(pk=social_reply.entry_id).update(
        delivery_note=_("Attempt %(number)s failed: %(error)s")
        % {"number": social_reply.attempts, "error": error}
    )


def _send_words(social_reply: SocialReply) -> bool:
    """The reply's text; False when the provider refused it for good (the reply is not sent)."""
    social_reply.attempts += 1
    provider = PROVIDERS[social_reply.account.provider]
    try:
        message_id = provider.send(social_reply.account, social_reply, social_reply.entry.body)
    except ProviderError as error:
        if error.permanent:
            social_reply.last_error = str(error)[:2000]
            social_reply.save(update_fields=["attempts", "last_error"])
            services.delivery_failed(
                entry_id=social_reply.entry_id,
                state=Delivery.FAILED,
                note=_("The messaging app refused it: %(reason)s") % {"reason": error},
            )
            return False
        _failed_attempt(social_reply, error)
        raise
    social_reply.message_id, social_reply.sent_at = message_id[:255], clock.now()
    social_reply.save(update_fields=["attempts", "message_id", "sent_at", "last_error"])
    # A receipt may have come first; only a reply still waiting becomes "sent".
    TimelineEntry.objects.filter(
        pk=social_reply.entry_id, delivery__in=[Delivery.QUEUED, ""]
    ).update(delivery=Delivery.SENT, delivery_note="")
    return True


def _send_files(social_reply: SocialReply) -> None:
    provider = PROVIDERS[social_reply.account.provider]
    for attachment in social_reply.entry.attachments.select_related("blob").order_by("pk"):
        key = str(attachment.pk)
        if key in social_reply.files:
            continue  # sent, or refused, on an earlier attempt
        try:
            message_id = provider.send_file(
                social_reply.account, social_reply, _outbound_file(attachment)
            )
        except FileRefused as refused:
            social_reply.files[key] = {"refused": str(refused)}
        except ProviderError as error:
            if not error.permanent:
                social_reply.attempts += 1
                _failed_attempt(social_reply, error)
                raise
            social_reply.files[key] = {
                "refused": _("%(provider)s refused it (%(reason)s).")
                % {"provider": social_reply.account.get_provider_display(), "reason": error}
            }
        else:
            social_reply.files[key] = {"message_id": message_id[:255]}
        social_reply.save(update_fields=["files"])
    _say_files(social_reply)
