"""Every write of the chat channel: a visitor starts a chat, writes, types, leaves, or leaves a
message when nobody can answer; an agent accepts a chat, types, ends it. Messages go through
``receive()`` and ``reply()`` like any other channel's, and every change is told to the open pages
through ``core.live`` inside the same transaction."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext as _

from attenda.agents.models import Agent, Team
from attenda.agents.queries import team_routing
from attenda.channels.chat import queries
from attenda.channels.chat.identity import visitor_claim
from attenda.channels.chat.models import (
    DEFAULT_CHAT_LIMIT,
    ChatConversation,
    ChatLimit,
    ChatState,
    ChatWidget,
    new_widget_secret,
)
from attenda.core import audit, clock, live
from attenda.customers.models import IdentityKind
from attenda.customers.services import IdentityClaim
from attenda.routing import assignment
from attenda.routing.service_levels import calendar_of
from attenda.routing.waiting import describe_wait, expected_first_response
from attenda.tickets import services as tickets
from attenda.tickets.messages import Inbound
from attenda.tickets.models import Channel, Ticket

# An offer to a returning customer's own agent lasts this long; then anyone in the team may take it.
OFFER_SECONDS = 60
# A visitor not heard from for this long has gone. Their stream reconnects every
# views.STREAM_SECONDS; a reconnection writes their sign of life within presence.SEEN_BATCH_SECONDS
# when the last one written is SEEN_EVERY old, so a visitor still there was last written at most
# SEEN_EVERY + STREAM_SECONDS + SEEN_BATCH_SECONDS ago, plus the browser's reconnection (85 s and a
# second or two). With SEEN_EVERY at 30 s and VISITOR_GONE at 75, a stream that connected 15-30 s
# after the last write left the visitor taken for gone for up to 20 s, and agents' lines meanwhile
# were marked not sent.
VISITOR_GONE = timedelta(seconds=90)
SEEN_EVERY = timedelta(seconds=20)
MAX_TEXT = 5000
OFFERED_RULES = (
    assignment.Rule.PREVIOUS_OWNER,
    assignment.Rule.STANDING_AGENT,
    assignment.Rule.BACKUP,
)
QUEUE_TOLD = 100


def team_stream(team_id: int) -> str:
    return f"chats:team:{team_id}"


def chat_limits_of(teams_of: dict[int, list[int]]) -> dict[int, int]:
    """Each agent's chat limit (``teams_of``: agent id → their team ids), in one query however
    many agents: their own limit, else the highest of their teams', else DEFAULT_CHAT_LIMIT."""
    if not teams_of:
        return {}
    wanted = {team_id for team_ids in teams_of.values() for team_id in team_ids}
    own, of_team = {}, {}
    for limit in ChatLimit.objects.filter(Q(agent__in=list(teams_of)) | Q(team__in=wanted)):
        if limit.agent_id is not None:
            own[limit.agent_id] = limit.limit
        else:
            of_team[limit.team_id] = limit.limit
    limits = {}
    for agent_id, team_ids in teams_of.items():
        of_teams = [of_team[pk] for pk in team_ids if pk in of_team]
        limits[agent_id] = own.get(agent_id, max(of_teams, default=DEFAULT_CHAT_LIMIT))
    return limits


def chat_limit(agent: Agent) -> int:
    """The agent's own limit, else the highest of their teams', else DEFAULT_CHAT_LIMIT."""
    return chat_limits_of({agent.pk: agent.team_ids()})[agent.pk]


def open_chats(agent_ids: list[int]) -> dict[int, int]:
    """Index chat_agent_state_idx: the chats each agent holds now."""
    rows = (
        ChatConversation.objects.filter(agent_id__in=agent_ids, state=ChatState.ACTIVE)
        .values("agent_id")
        .annotate(count=Count("id"))
    )
    return {row["agent_id"]: row["count"] for row in rows}


def agents_with_room(widget: ChatWidget, *, at=None) -> list[int]:
    """The team's members who are available now and hold fewer chats than their limit."""
    at = at or clock.now()
    members = team_routing(widget.team_id, at=at).members
    present = [pk for pk, member in members.items() if member.available]
    if not present:
        return []
    held = open_chats(present)
    teams_of: dict[int, list[int]] = {pk: [] for pk in present}
    for agent_id, team_id in Agent.teams.through.objects.filter(agent_id__in=present).values_list(
        "agent_id", "team_id"
    ):
        teams_of[agent_id].append(team_id)
    limits = chat_limits_of(teams_of)
    return [pk for pk in present if held.get(pk, 0) < limits[pk]]


def is_open(widget: ChatWidget, *, at=None) -> bool:
    """Whether a visitor can chat now: within the team's business hours and someone has room.
    Otherwise the widget offers to leave a message."""
    at = at or clock.now()
    if not widget.is_active or not calendar_of(widget.team_id).is_open(at):
        return False
    return bool(agents_with_room(widget, at=at))


@dataclass(frozen=True)
class QueuePlace:
    position: int
    wait: str


def queue_place(conversation: ChatConversation) -> QueuePlace:
    """The visitor's place among the team's waiting chats, and the team's expected wait."""
    ahead = ChatConversation.objects.filter(
        widget__team_id=conversation.widget.team_id,
        state=ChatState.WAITING,
        started_at__lt=conversation.started_at,
    ).count()
    wait = expected_first_response(conversation.widget.team, ahead_of=conversation.ticket)
    return QueuePlace(position=ahead + 1, wait=describe_wait(wait) if wait else "")


def _tell_queue(team: Team) -> None:
    """Each waiting visitor of the team hears their new place (bounded: the first QUEUE_TOLD), with
    the team's expected wait: a fixed number of queries, however long the queue, reading only the
    two columns it tells from (a page of whole conversations with their tickets cost more than
    the rest of accepting a chat)."""
    waiting = list(
        ChatConversation.objects.filter(widget__team_id=team.pk, state=ChatState.WAITING)
        .order_by("started_at")
        .values_list("pk", "ticket__language")[:QUEUE_TOLD]
    )
    if not waiting:
        return
    wait = expected_first_response(team)
    told: dict[str, str] = {}
    events = []
    for position, (pk, language) in enumerate(waiting, start=1):
        language = language or "en"
        if language not in told:
            with translation.override(language):
                told[language] = describe_wait(wait) if wait else ""
        events.append((f"chat:{pk}", "queue", {"position": position, "wait": told[language]}))
    live.publish_many(events)


def _offer(ticket: Ticket, widget: ChatWidget) -> int | None:
    """The returning customer's own agent (routing's previous owner, standing agent or that agent's
    backup), if they have room for one more chat. Any other chat is anyone's in the team to take."""
    now = clock.now()
    team = team_routing(widget.team_id, at=now)
    decision = assignment.decide(assignment.situation_of(ticket, team, at=now), on_demand=True)
    if decision.rule not in OFFERED_RULES or decision.owner_id is None:
        return None
    if decision.owner_id not in agents_with_room(widget, at=now):
        return None
    return decision.owner_id


def _visitor_message(conversation: ChatConversation, entry_id: int, text: str) -> None:
    live.publish(
        conversation.stream,
        "message",
        {"id": entry_id, "from": "visitor", "text": text, "at": clock.now().isoformat()},
    )


def _require_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write a message first.")})
    if len(text) > MAX_TEXT:
        raise ValidationError(
            {"text": _("A message is at most %(count)d characters.") % {"count": MAX_TEXT}}
        )
    return text


@transaction.atomic
def start_chat(
    *,
    widget: ChatWidget,
    visitor: str,
    text: str,
    name: str = "",
    email: str = "",
    language: str = "",
    claims: list[IdentityClaim] = (),
    message_id: str = "",
) -> ChatConversation:
    """The first message of a chat opens (or continues) the customer's ticket through receive() and
    puts the chat in the team's queue, offered first to the agent routing would choose."""
    text = _require_text(text)
    if not is_open(widget):
        raise ValidationError(_("Nobody can chat right now; leave a message instead."))
    all_claims = [*claims, visitor_claim(visitor)]
    if email and not any(claim.kind == IdentityKind.EMAIL for claim in all_claims):
        all_claims.append(IdentityClaim(kind=IdentityKind.EMAIL, value=email.strip()))
    received = tickets.receive(
        Inbound(
            channel=Channel.CHAT,
            claims=all_claims,
            body=text,
            sender_name=name.strip()[:200],
            language=language,
            team_id=widget.team_id,
            external_id=f"chat:{visitor}:{message_id}" if message_id else None,
            entry_data={"widget": widget.pk},
        )
    )
    if received.duplicate:
        # The widget sent its first message again (a retry after a lost answer): the same chat.
        earlier = ChatConversation.objects.filter(ticket=received.ticket, visitor=visitor).first()
        if earlier is not None:
            return earlier
    conversation = ChatConversation.objects.create(
        widget=widget,
        ticket=received.ticket,
        customer=received.ticket.customer,
        visitor=visitor,
        started_at=received.entry.created_at,
        offered_to_id=_offer(received.ticket, widget),
    )
    live.publish(team_stream(widget.team_id), "waiting", {"chat": conversation.pk})
    _visitor_message(conversation, received.entry.pk, text)
    audit.record(actor=None, action="chat.started", target=conversation, ticket=received.ticket.pk)
    return conversation


@transaction.atomic
def visitor_says(
    *, widget: ChatWidget, conversation_id: int, visitor: str, text: str, message_id: str = ""
) -> int | None:
    """A later line of the visitor's chat (``conversation_id`` and ``visitor`` as their token
    says). It goes through receive() like the first, at the cost of a line: the customer and the
    ticket are the chat's, routing is done, and triage reads the line on the worker once it is
    committed, while the agent already hears it from the same transaction. A closed ticket makes a
    new one (read at once, as any new ticket), which the chat then follows. Returns the timeline
    entry's id, or None when the chat is not this visitor's."""
    text = _require_text(text)
    conversation = (
        ChatConversation.objects.select_for_update(of=("self",))
        .filter(pk=conversation_id, widget=widget, visitor=visitor)
        .first()
    )
    if conversation is None:
        return None
    if conversation.state == ChatState.ENDED:
        raise ValidationError(_("This chat has ended."))
    received = tickets.receive(
        Inbound(
            channel=Channel.CHAT,
            claims=[visitor_claim(visitor)],
            customer_id=conversation.customer_id,
            ticket_number=conversation.ticket_id,
            body=text,
            team_id=widget.team_id,
            external_id=f"chat:{visitor}:{message_id}" if message_id else None,
            entry_data={"widget": widget.pk},
            read_later=True,
        )
    )
    # The visitor's last sign of life, as their stream's reconnection writes it (presence.py).
    now = clock.now()
    fields = ["visitor_seen_at"] if now - conversation.visitor_seen_at >= SEEN_EVERY else []
    conversation.visitor_seen_at = now
    if received.ticket.pk != conversation.ticket_id:
        conversation.ticket = received.ticket
        fields.append("ticket")
    if fields:
        conversation.save(update_fields=fields)
    if not received.duplicate:
        _visitor_message(conversation, received.entry.pk, text)
    return received.entry.pk


def typing(
    *,
    conversation: ChatConversation | queries.KeptChat,
    by_agent: Agent | None = None,
    counters: Sequence[tuple[str, int]] = (),
) -> list[int]:
    """Someone is writing: the other side shows it for a few seconds. A passing event, of no use
    to a page that reconnects later: with Redis it is no write for the database's one writer.
    ``counters``: the rate counters (Redis keys and limits) raised in the same round trip, the
    indicator sent only within them (live.signal); returns their counts."""
    payload = {"from": "agent" if by_agent else "visitor"}
    return live.signal(conversation.stream, "typing", payload, counters=counters)


def visitors_seen(conversation_ids: list[int]) -> None:
    """The visitors of these chats are still there (their streams reconnected): one statement for
    all of them (presence.py gathers them)."""
    if conversation_ids:
        ChatConversation.objects.filter(pk__in=conversation_ids).update(visitor_seen_at=clock.now())


def require_takes_chats(agent: Agent, conversation: ChatConversation) -> None:
    if conversation.widget.team_id not in agent.team_ids() and not agent.is_admin:
        raise PermissionDenied


@transaction.atomic
def accept_chat(*, conversation: ChatConversation, agent: Agent) -> ChatConversation:
    """An agent of the widget's team takes a waiting chat, within their chat limit; the ticket
    becomes theirs and the visitor is told who joined."""
    require_takes_chats(agent, conversation)
    conversation = (
        ChatConversation.objects.select_for_update(of=("self",))
        .select_related("widget__team", "ticket")
        .get(pk=conversation.pk)
    )
    if conversation.state != ChatState.WAITING:
        raise ValidationError(_("Someone else has taken this chat, or it has ended."))
    offered = conversation.offered_to_id
    if offered not in (None, agent.pk) and clock.now() - conversation.started_at < timedelta(
        seconds=OFFER_SECONDS
    ):
        raise ValidationError(_("This chat is offered to the customer's own agent for now."))
    if open_chats([agent.pk]).get(agent.pk, 0) >= chat_limit(agent):
        raise ValidationError(_("You have as many open chats as your limit allows."))
    conversation.state = ChatState.ACTIVE
    conversation.agent = agent
    conversation.save(update_fields=["state", "agent"])
    transaction.on_commit(lambda: queries.forget_chat(conversation.pk))
    if conversation.ticket.owner_id != agent.pk:
        tickets.assign(ticket=conversation.ticket, owner=agent, actor=agent)
    live.publish(conversation.stream, "joined", {"agent": agent.first_name or agent.display_name})
    live.publish(team_stream(conversation.widget.team_id), "taken", {"chat": conversation.pk})
    _tell_queue(conversation.widget.team)
    audit.record(actor=agent, action="chat.accepted", target=conversation)
    return conversation


@transaction.atomic
def end_chat(*, conversation: ChatConversation, agent: Agent | None = None) -> ChatConversation:
    """The visitor closed the chat, or the agent ended it; the ticket stays as it is."""
    if agent is not None:
        require_takes_chats(agent, conversation)
    conversation = (
        ChatConversation.objects.select_for_update(of=("self",))
        .select_related("widget__team")
        .get(pk=conversation.pk)
    )
    if conversation.state == ChatState.ENDED:
        return conversation
    was_waiting = conversation.state == ChatState.WAITING
    conversation.state = ChatState.ENDED
    conversation.ended_at = clock.now()
    conversation.save(update_fields=["state", "ended_at"])
    transaction.on_commit(lambda: queries.forget_chat(conversation.pk))
    live.publish(conversation.stream, "ended", {"by": "agent" if agent else "visitor"})
    team_id = conversation.widget.team_id
    live.publish(team_stream(team_id), "ended", {"chat": conversation.pk})
    if was_waiting:
        _tell_queue(conversation.widget.team)
    audit.record(actor=agent, action="chat.ended", target=conversation)
    return conversation


@transaction.atomic
def leave_message(
    *, widget: ChatWidget, name: str, email: str, text: str, language: str = ""
) -> Ticket:
    """Nobody could chat: the visitor's message makes a ticket that is answered by email."""
    text = _require_text(text)
    if not email.strip():
        raise ValidationError({"email": _("Give an email address so that we can answer you.")})
    received = tickets.receive(
        Inbound(
            channel=Channel.CHAT,
            claims=[IdentityClaim(kind=IdentityKind.EMAIL, value=email.strip())],
            body=text,
            sender_name=name.strip()[:200],
            language=language,
            team_id=widget.team_id,
            entry_data={"widget": widget.pk, "offline": True},
        )
    )
    return received.ticket


@transaction.atomic
def save_widget(
    *, widget: ChatWidget | None, actor: Agent, settings, new_secret: bool = False
) -> ChatWidget:
    """Admins add or change a widget; a new secret makes every earlier host signature invalid."""
    if not actor.is_admin:
        raise PermissionDenied
    created = widget is None
    widget = widget or ChatWidget()
    widget.name = settings.name
    widget.team = settings.team
    widget.allowed_origins = settings.allowed_origins
    widget.greeting = settings.greeting
    widget.is_active = settings.is_active
    if new_secret and not created:
        widget.secret = new_widget_secret()
    widget.full_clean()
    widget.save()
    audit.record(
        actor=actor,
        action="chat.widget_added" if created else "chat.widget_changed",
        target=widget,
        origins=widget.origins(),
        team=widget.team_id,
        new_secret=new_secret and not created,
    )
    return widget


@transaction.atomic
def set_chat_limit(*, actor: Agent, limit: int, agent: Agent | None = None, team=None) -> ChatLimit:
    if not actor.is_admin:
        raise PermissionDenied
    found, _created = ChatLimit.objects.update_or_create(
        agent=agent, team=team, defaults={"limit": limit}
    )
    audit.record(
        actor=actor,
        action="chat.limit_set",
        target=found,
        agent=agent.pk if agent else None,
        team=team.pk if team else None,
        limit=limit,
    )
    return found
