"""Agents' replies on a chat: while the visitor is still in the chat a reply reaches them at once on
the chat's live stream; once they have gone the route says so, and the composer offers email when
the customer left an address."""

from django.utils.translation import gettext as _

from attenda.channels.chat.models import ChatConversation, ChatState
from attenda.channels.chat.services import VISITOR_GONE
from attenda.core import clock, live
from attenda.tickets.delivery import Route
from attenda.tickets.models import Channel, Delivery, Ticket, TimelineEntry


def open_conversation(ticket: Ticket) -> ChatConversation | None:
    """The ticket's chat the visitor is still in, if any."""
    conversation = (
        ChatConversation.objects.filter(ticket=ticket)
        .exclude(state=ChatState.ENDED)
        .order_by("-started_at")
        .first()
    )
    if conversation is None or clock.now() - conversation.visitor_seen_at > VISITOR_GONE:
        return None
    return conversation


# reply() asks the route, then hands the reply to send_reply, in one transaction with the ticket
# locked: the chat the route found is kept on the ticket for send_reply, not read twice.
_FOUND = "_chat_route_found"


def chat_route(ticket: Ticket) -> Route:
    conversation = open_conversation(ticket)
    setattr(ticket, _FOUND, conversation)
    if conversation is None:
        return Route(
            channel=Channel.CHAT,
            can_deliver=False,
            reason=_("The visitor is no longer in the chat."),
        )
    return Route(channel=Channel.CHAT, can_deliver=True, address=_("the open chat"))


def send_reply(entry: TimelineEntry) -> None:
    """Puts the reply in the visitor's chat inside reply()'s transaction: it is heard when the
    reply is committed, and marked sent with it."""
    ticket = entry.ticket
    if hasattr(ticket, _FOUND):
        conversation = getattr(ticket, _FOUND)
        delattr(ticket, _FOUND)
    else:
        conversation = open_conversation(ticket)
    if conversation is None:
        entry.delivery = Delivery.FAILED
        entry.delivery_note = _("The visitor is no longer in the chat.")
    else:
        agent = entry.author_agent
        live.publish(
            conversation.stream,
            "message",
            {
                "id": entry.pk,
                "from": "agent",
                "name": (agent.first_name or agent.display_name) if agent else "",
                "text": entry.body,
                "at": entry.created_at.isoformat(),
            },
        )
        entry.delivery = Delivery.SENT
    TimelineEntry.objects.filter(pk=entry.pk).update(
        delivery=entry.delivery, delivery_note=entry.delivery_note
    )
