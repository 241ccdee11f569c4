"""Reads for the Chats pages: the waiting queue of an agent's teams (chat_waiting_idx), the agent's
own open chats (chat_agent_state_idx), and a chat's transcript. And for the widget's endpoints, the
widget of a key and what a typing indicator checks of its chat, kept a few seconds per web process."""

import threading
import time
from dataclasses import dataclass

from django.db.models import Q

from attenda.agents.models import Agent
from attenda.channels.chat.models import ChatConversation, ChatLimit, ChatState, ChatWidget
from attenda.tickets.models import EntryKind, TimelineEntry

SHOWN = 100

# A widget, and what a typing indicator checks of its chat, are read once per web process and
# kept this long: every request of every visitor read the widget's row, and each typing
# indicator (two thirds of a chat's requests) its chat's too. A change saved in this process
# clears the widgets at once (apps.py) and an end the chat; other processes read them again
# within this. What the kept copy refuses is read again before it is refused (views.py), so only
# a widget switched off or a chat ended in another process goes on a few seconds more: a chat's
# typing indicator, nothing written.
KEPT_SECONDS = 10.0

_widgets: dict[str, tuple[float, ChatWidget]] = {}
_chats: dict[int, tuple[float, "KeptChat"]] = {}
_kept_lock = threading.Lock()


def widget_of_key(key: str, *, kept: bool = True) -> ChatWidget | None:
    """The active widget whose key is ``key`` (its unique index), with its team, or None: read at
    most once in KEPT_SECONDS, or now with kept=False. Unknown keys are not kept, so that made-up
    keys cannot fill the memory."""
    now = time.monotonic()
    held = _widgets.get(key) if kept else None
    if held is not None and now - held[0] < KEPT_SECONDS:
        return held[1]
    widget = ChatWidget.objects.filter(key=key, is_active=True).select_related("team").first()
    with _kept_lock:
        if widget is None:
            _widgets.pop(key, None)
        else:
            _widgets[key] = (now, widget)
    return widget


def forget_widgets(**_signal) -> None:
    """Every kept widget is read again at its next request (a widget was changed or deleted)."""
    with _kept_lock:
        _widgets.clear()


@dataclass(frozen=True)
class KeptChat:
    """What a typing indicator checks: whose chat it is, through which widget, and its state."""

    pk: int
    widget_id: int
    team_id: int
    visitor: str
    agent_id: int | None
    state: str

    @property
    def stream(self) -> str:
        return f"chat:{self.pk}"


def kept_chat(conversation_id: int, *, kept: bool = True) -> KeptChat | None:
    """The chat's KeptChat, read at most once in KEPT_SECONDS (or now with kept=False); None when
    there is no such chat."""
    now = time.monotonic()
    held = _chats.get(conversation_id) if kept else None
    if held is not None and now - held[0] < KEPT_SECONDS:
        return held[1]
    row = (
        ChatConversation.objects.filter(pk=conversation_id)
        .values_list("widget_id", "widget__team_id", "visitor", "agent_id", "state")
        .first()
    )
    with _kept_lock:
        if row is None:
            _chats.pop(conversation_id, None)
            return None
        chat = KeptChat(conversation_id, *row)
        if len(_chats) > 10_000:
            # Chats come and go: what a busy day left behind is dropped, not kept forever.
            _chats.clear()
        _chats[conversation_id] = (now, chat)
    return chat


def forget_chat(conversation_id: int) -> None:
    """The chat changed in this process (taken, ended): read again at its next typing indicator."""
    with _kept_lock:
        _chats.pop(conversation_id, None)


def forget_chats() -> None:
    with _kept_lock:
        _chats.clear()


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
