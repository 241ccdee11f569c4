"""Chats over the API, for integrators who build their own agent desk: the chats waiting for the
agent's teams and those under way, taking one, writing in it and ending it, with the services the
Chats pages use. A chat of a team that is not the agent's answers 404, as one that does not exist."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from attenda.agents.models import Agent
from attenda.api.errors import Conflict, refused_as_conflict
from attenda.api.schemas import WRITTEN, ErrorOut, Input, PathId, ReplyOut
from attenda.channels.chat import services
from attenda.channels.chat.models import ChatConversation, ChatState
from attenda.tickets import services as tickets
from attenda.tickets.models import Channel

router = Router(tags=["chats"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
MAX_LISTED = 100


class ChatOut(Schema):
    id: int
    state: Literal["waiting", "active", "ended"]
    ticket: int = Field(description="The number of the chat's ticket, where its messages are.")
    customer_id: int
    customer_name: str
    team_id: int = Field(description="The team of the widget the visitor wrote through.")
    agent_id: int | None = Field(description="The agent who took the chat; null while waiting.")
    offered_to_id: int | None = Field(
        description="The returning customer's own agent, who is offered the chat first for a "
        "minute; null when anyone of the team may take it at once."
    )
    started_at: datetime
    visitor_seen_at: datetime = Field(description="When the visitor was last heard from.")
    ended_at: datetime | None

    @staticmethod
    def resolve_ticket(chat: ChatConversation) -> int:
        return chat.ticket_id

    @staticmethod
    def resolve_customer_name(chat: ChatConversation) -> str:
        return chat.ticket.customer_name

    @staticmethod
    def resolve_team_id(chat: ChatConversation) -> int:
        return chat.widget.team_id


class ChatListOut(Schema):
    items: list[ChatOut] = Field(description="Oldest first; at most limit.")


class ChatsQuery(Input):
    state: Literal["waiting", "active"] | None = Field(
        None,
        description="Only chats waiting for an agent, or only those under way; both by default.",
    )
    limit: int = Field(50, ge=1, le=MAX_LISTED)


class ChatMessageIn(Input):
    body: str = Field(pattern=WRITTEN, max_length=services.MAX_TEXT)


def _chats_of(agent: Agent):
    """Chats of the agent's teams (any team for an admin); chat_waiting_idx (state, widget, started_at)."""
    chats = ChatConversation.objects.select_related("widget", "ticket")
    return chats if agent.is_admin else chats.filter(widget__team_id__in=agent.team_ids())


def _chat(agent: Agent, chat_id: int) -> ChatConversation:
    """Raises ChatConversation.DoesNotExist (404) for a chat of another team."""
    return _chats_of(agent).get(pk=chat_id)


@router.get("", response={200: ChatListOut, **ERRORS}, summary="List waiting and open chats")
def list_chats(request: HttpRequest, query: Query[ChatsQuery]) -> dict:
    """The chats of the agent's teams that are waiting for an agent or under way, oldest first."""
    states = [query.state] if query.state else [ChatState.WAITING, ChatState.ACTIVE]
    chats = _chats_of(request.auth).filter(state__in=states).order_by("started_at", "pk")
    return {"items": list(chats[: query.limit])}


@router.get("/{chat_id}", response={200: ChatOut, **ERRORS}, summary="Read a chat")
def get_chat(request: HttpRequest, chat_id: PathId) -> ChatConversation:
    return _chat(request.auth, chat_id)


@router.post(
    "/{chat_id}/accept", response={200: ChatOut, 409: ErrorOut, **ERRORS}, summary="Take a chat"
)
def accept_chat(request: HttpRequest, chat_id: PathId) -> ChatConversation:
    """The chat and its ticket become the agent's; the visitor is told who joined. 409 (code
    cannot_accept) when someone else took it, it has ended, it is offered to the customer's own
    agent for now, or the agent holds as many chats as their limit."""
    chat = _chat(request.auth, chat_id)
    with refused_as_conflict("cannot_accept"):
        services.accept_chat(conversation=chat, agent=request.auth)
    return _chat(request.auth, chat_id)


@router.post(
    "/{chat_id}/messages",
    response={201: ReplyOut, 409: ErrorOut, **ERRORS},
    summary="Write to the visitor",
)
def send_message(request: HttpRequest, chat_id: PathId, payload: ChatMessageIn) -> Status:
    """A reply on the chat's ticket, which reaches the visitor at once while they are in the chat
    (delivery sent), and is kept as not sent when they have gone (delivery failed, with the
    reason). 409 (code not_your_chat) unless the agent took the chat and it has not ended."""
    chat = _chat(request.auth, chat_id)
    if chat.agent_id != request.auth.pk or chat.state != ChatState.ACTIVE:
        raise Conflict("not_your_chat", _("Only the agent who took the chat writes in it."))
    entry = tickets.reply(
        ticket=chat.ticket, agent=request.auth, body=payload.body, channel=Channel.CHAT
    )
    return Status(201, entry)


@router.post("/{chat_id}/end", response={200: ChatOut, **ERRORS}, summary="End a chat")
def end_chat(request: HttpRequest, chat_id: PathId) -> ChatConversation:
    """The visitor is told; the ticket stays as it is. Ending an ended chat changes nothing."""
    chat = _chat(request.auth, chat_id)
    services.end_chat(conversation=chat, agent=request.auth)
    return _chat(request.auth, chat_id)
