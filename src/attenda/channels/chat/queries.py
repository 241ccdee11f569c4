"""Reads for the Chats pages: the waiting queue of an agent's teams (chat_waiting_idx), the agent's
own open chats (chat_agent_state_idx), and a chat's transcript."""

from django.db.models import Q

from attenda.agents.models import Agent
from attenda.channels.chat.models import ChatConversation, ChatLimit, ChatState
from attenda.tickets.models import EntryKind, TimelineEntry

SHOWN = 100


def waiting_for(agent: Agent) -> list[ChatConversation]:
    return list(
        ChatConversation.objects.filter(
            state=ChatState.WAITING, widget__team_id__in=agent.team_ids()
        )
        .select_related("ticket", "widget", "offered_to")
        .order_by("started_at")[:SHOWN]
    )


def open_chats_of(agent: Agent) -> list[ChatConversation]:
    return list(
        ChatConversation.objects.filter(agent=agent, state=ChatState.ACTIVE)
        .select_related("ticket")
        .order_by("started_at")
    )


def transcript(conversation: ChatConversation) -> list[TimelineEntry]:
    """The messages and replies of the chat's ticket since the chat began (ticket_id, created_at)."""
    return list(
        TimelineEntry.objects.filter(
            Q(kind=EntryKind.MESSAGE) | Q(kind=EntryKind.REPLY),
            ticket_id=conversation.ticket_id,
            created_at__gte=conversation.started_at,
        )
        .select_related("author_agent")
        .order_by("created_at", "pk")[:500]
    )


def chat_limits() -> list[ChatLimit]:
    return list(
        ChatLimit.objects.select_related("agent", "team").order_by("team__name", "agent__username")
    )
