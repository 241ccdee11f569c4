"""What chat adds to the ticket page (registered with tickets.panels in ChatChannelConfig.ready):
while a visitor is in a chat of the ticket, the page follows the chat's live stream, so the
visitor's messages and typing appear without reloading. A ticket none of whose shown entries came
by chat costs the page no query."""

from django.urls import reverse

from attenda.agents.models import Agent
from attenda.channels.chat.models import ChatConversation, ChatState
from attenda.core import live
from attenda.tickets.models import Channel, Ticket, TimelineEntry


def open_chats_of_ticket(ticket: Ticket) -> list[int]:
    """Index chat_chatconversation_ticket_id: the ticket's chats that have not ended."""
    return list(
        ChatConversation.objects.filter(ticket=ticket)
        .exclude(state=ChatState.ENDED)
        .values_list("pk", flat=True)
    )


def page_context(agent: Agent, ticket: Ticket, entries: list[TimelineEntry]) -> dict:
    if ticket.channel != Channel.CHAT and not any(
        entry.channel == Channel.CHAT for entry in entries
    ):
        return {}
    if not open_chats_of_ticket(ticket):
        return {}
    events = reverse("chat_ticket_events", args=[ticket.pk])
    return {
        "ticket_live": {
            "template": "chat/ticket_live.html",
            "events": f"{events}?after={live.newest_id()}",
        }
    }
