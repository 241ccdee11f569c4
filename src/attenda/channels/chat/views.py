"""The widget's endpoints (called from other web sites: allowed origins only, CORS, rate limits,
a signed token per conversation), the agents' Chats pages, and the admins' widget settings."""

import time
from functools import wraps
from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from attenda.channels.chat import presence, queries, services
from attenda.channels.chat.forms import ChatLimitForm, ChatWidgetForm, ChatWidgetSettings
from attenda.channels.chat.identity import (
    conversation_of_token,
    conversation_token,
    new_visitor,
    portal_claims,
    signed_claims,
    visitor_of,
)
from attenda.channels.chat.inbound import parse_post
from attenda.channels.chat.models import ChatConversation, ChatState, ChatWidget
from attenda.channels.chat.panels import open_chats_of_ticket
from attenda.channels.chat.widget import widget_strings
from attenda.core import live
from attenda.core.middleware import ApiRateLimitMiddleware, client_ip
from attenda.tickets import services as ticket_services
from attenda.tickets.permissions import visible_tickets

WIDGET_SCRIPT = Path(__file__).parent / "static" / "chat" / "widget.js"
# A chat's stream is held this long (saying it is still there every live.HEARTBEAT_SECONDS), less
# than live.WAIT_SECONDS: each reconnection of the visitor's stream tells that they are still
# there (services.VISITOR_GONE).
STREAM_SECONDS = 60


# The widget's endpoints ---------------------------------------------------------------------------


def _language(request: HttpRequest) -> str:
    """The first of the visitor's browser languages Attenda speaks, else English."""
    for code in request.GET.get("lang", "").split(","):
        try:
            return translation.get_supported_language_variant(code.strip().lower())
        except LookupError:
            continue
    return "en"


def _with_cors(
    response: HttpResponseBase, origin: str, *, credentials: bool = False
) -> HttpResponseBase:
    response["Access-Control-Allow-Origin"] = origin
    if credentials:
        # Only the first message is sent with the browser's cookies (the portal's session).
        response["Access-Control-Allow-Credentials"] = "true"
    response["Access-Control-Allow-Methods"] = "GET, POST"
    response["Access-Control-Allow-Headers"] = "Content-Type, Last-Event-ID"
    response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response


def _refused(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _rate_counters(request: HttpRequest, visitor: str) -> list[tuple[str, int]]:
    """This minute's counters of the address and the visitor, with their limits."""
    minute = int(time.time() // 60)
    counters = [(f"chat-address:{client_ip(request)}:{minute}", settings.CHAT_RATE_PER_ADDRESS)]
    if visitor:
        counters.append((f"chat-visitor:{visitor}:{minute}", settings.CHAT_RATE_PER_VISITOR))
    return counters


def _wait_if_over(counts: list[int], counters: list[tuple[str, int]]) -> int | None:
    """Seconds to wait when a count is over its limit: the rest of the minute."""
    if any(count > limit for count, (_counter, limit) in zip(counts, counters, strict=True)):
        return max(1, int(60 - time.time() % 60 + 0.999))
    return None


def _over_limit(request: HttpRequest, visitor: str) -> int | None:
    """Seconds to wait when the visitor or their address has sent too much this minute."""
    counters = _rate_counters(request, visitor)
    return _wait_if_over(_counted(caches["rates"], [key for key, _limit in counters]), counters)


def _typing_within_limits(request: HttpRequest, visitor: str, chat: queries.KeptChat) -> int | None:
    """Counts a visitor's typing indicator and sends it when within the limits, else returns the
    seconds to wait. With Redis both in one round trip (live.signal's counters)."""
    counters = _rate_counters(request, visitor)
    rates = caches["rates"]
    if isinstance(rates, RedisCache) and settings.REDIS_URL:
        stored = [(rates.make_and_validate_key(key), limit) for key, limit in counters]
        return _wait_if_over(services.typing(conversation=chat, counters=stored), counters)
    wait = _wait_if_over(_counted(rates, [key for key, _limit in counters]), counters)
    if wait is None:
        services.typing(conversation=chat)
    return wait


def _counted(rates, keys: list[str]) -> list[int]:
    """Each of this minute's counters raised by one. In Redis all of them in one round trip on the
    process's connection (live.count): Django's cache client is made anew for each request under
    ASGI, and with it a connection, and its add and incr take three round trips a counter; in one
    process's memory (no Redis) as the API's middleware counts."""
    if isinstance(rates, RedisCache) and settings.REDIS_URL:
        return live.count([rates.make_and_validate_key(key) for key in keys])
    return [ApiRateLimitMiddleware._count(rates, key, 60) for key in keys]


def widget_endpoint(view):
    """The widget is found by its key; requests from an origin it does not allow are refused before
    anything else; answers carry CORS headers for the allowed origin; preflights are answered."""

    @csrf_exempt
    @wraps(view)
    def endpoint(request: HttpRequest, key: str, **kwargs) -> HttpResponseBase:
        origin = request.headers.get("Origin", "")
        widget, allowed = _widget_for(key, origin)
        if widget is None:
            return _refused(404, _("This chat is not available."))
        if not allowed:
            return _refused(403, _("This site may not use this chat."))
        if request.method == "OPTIONS":
            return _with_cors(HttpResponse(status=204), origin)
        with translation.override(_language(request)):
            response = view(request, widget, **kwargs)
        return _with_cors(response, origin, credentials=view is start_view)

    return endpoint


def _widget_for(key: str, origin: str) -> tuple[ChatWidget | None, bool]:
    """The active widget of ``key`` (kept a few seconds, queries.widget_of_key) and whether it
    allows ``origin``: what the kept copy refuses is read again, so that a newly allowed site is
    let in at once."""
    widget = queries.widget_of_key(key)
    if widget is not None and not widget.allows(origin):
        widget = queries.widget_of_key(key, kept=False)
    return widget, widget is not None and widget.allows(origin)


def _conversation(widget: ChatWidget, token: str) -> ChatConversation | None:
    found = conversation_of_token(token)
    if found is None:
        return None
    conversation_id, visitor = found
    # Only the conversation's own row: the services read what they change under their lock, and
    # joining the widget, team and ticket cost more than the query for every message and every
    # reconnection of a visitor's stream.
    conversation = ChatConversation.objects.filter(
        pk=conversation_id, widget=widget, visitor=visitor
    ).first()
    if conversation is not None:
        conversation.widget = widget
    return conversation


def _posted(request: HttpRequest, widget: ChatWidget, *, visitor: str = ""):
    if request.method != "POST":
        return None, _refused(405, _("Use POST."))
    try:
        posted = parse_post(request.body)
    except ValidationError as error:
        return None, _refused(400, " ".join(error.messages))
    wait = _over_limit(request, visitor or posted["token"][:80])
    if wait is not None:
        return None, _too_many(wait)
    return posted, None


def _too_many(wait: int) -> JsonResponse:
    response = _refused(429, widget_strings()["tooMany"])
    response["Retry-After"] = str(wait)
    return response


def _errors(error: ValidationError) -> JsonResponse:
    return _refused(400, " ".join(error.messages))


def widget_script(request: HttpRequest) -> HttpResponse:
    """The one script a web site adds; it reads its widget key from its own tag."""
    response = HttpResponse(WIDGET_SCRIPT.read_bytes(), content_type="text/javascript")
    response["Cache-Control"] = "public, max-age=300"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@widget_endpoint
def widget_config(request: HttpRequest, widget: ChatWidget) -> HttpResponse:
    """The strings in the visitor's language, the greeting, and whether anyone can chat now."""
    return JsonResponse(
        {
            "language": translation.get_language(),
            "strings": widget_strings(),
            "greeting": widget.greeting,
            "open": services.is_open(widget),
        }
    )


def start_view(request: HttpRequest, widget: ChatWidget) -> HttpResponse:
    posted, refused = _posted(request, widget)
    if refused:
        return refused
    visitor = visitor_of(posted["visitor"])
    signed_visitor = posted["visitor"]
    if visitor is None:
        visitor, signed_visitor = new_visitor()
    # The portal's own session first: Attenda signed it in; the host site's signature vouches next.
    claims = portal_claims(request) + signed_claims(
        widget, posted["user_id"], posted["user_email"], posted["signature"]
    )
    try:
        conversation = services.start_chat(
            widget=widget,
            visitor=visitor,
            text=posted["text"],
            name=posted["name"],
            email=posted["email"],
            language=translation.get_language(),
            claims=claims,
            message_id=posted["message_id"][:64],
        )
    except ValidationError as error:
        response = _errors(error)
        response.status_code = 409 if not services.is_open(widget) else 400
        return response
    place = services.queue_place(conversation)
    return JsonResponse(
        {
            "token": conversation_token(conversation.pk, visitor),
            "visitor": signed_visitor,
            "position": place.position,
            "wait": place.wait,
            "after": live.newest_id(),
        },
        status=201,
    )


start = widget_endpoint(start_view)


@widget_endpoint
def send(request: HttpRequest, widget: ChatWidget) -> HttpResponse:
    posted, refused = _posted(request, widget)
    if refused:
        return refused
    # The token's chat is read once, under the service's lock, and not first here as well.
    found = conversation_of_token(posted["token"])
    entry_id = None
    try:
        if found is not None:
            entry_id = services.visitor_says(
                widget=widget,
                conversation_id=found[0],
                visitor=found[1],
                text=posted["text"],
                message_id=posted["message_id"][:64],
            )
    except ValidationError as error:
        return _errors(error)
    if entry_id is None:
        return _refused(403, _("This chat is not yours or has expired."))
    return JsonResponse({"id": entry_id}, status=201)


@widget_endpoint
def visitor_typing(request: HttpRequest, widget: ChatWidget) -> HttpResponse:
    """Two thirds of a chat's requests: no database statement while the widget and the chat are
    kept (queries.KEPT_SECONDS), and one Redis round trip for the rate counters and the signal."""
    if request.method != "POST":
        return _refused(405, _("Use POST."))
    try:
        posted = parse_post(request.body)
    except ValidationError as error:
        return _errors(error)
    chat = _visitors_chat(widget, posted["token"])
    if chat is None:
        wait = _over_limit(request, posted["token"][:80])
        if wait is not None:
            return _too_many(wait)
        return _refused(403, _("This chat is not yours or has expired."))
    wait = _typing_within_limits(request, posted["token"][:80], chat)
    if wait is not None:
        return _too_many(wait)
    return HttpResponse(status=204)


def _visitors_chat(widget: ChatWidget, token: str) -> queries.KeptChat | None:
    """The token's chat, if it is this widget's and has not ended; what the kept copy refuses is
    read again."""
    found = conversation_of_token(token)
    if found is None:
        return None
    conversation_id, visitor = found

    def open_of_visitor(chat: queries.KeptChat | None) -> bool:
        return (
            chat is not None
            and chat.widget_id == widget.pk
            and chat.visitor == visitor
            and chat.state != ChatState.ENDED
        )

    chat = queries.kept_chat(conversation_id)
    if not open_of_visitor(chat):
        chat = queries.kept_chat(conversation_id, kept=False)
    return chat if open_of_visitor(chat) else None


@widget_endpoint
def visitor_ends(request: HttpRequest, widget: ChatWidget) -> HttpResponse:
    posted, refused = _posted(request, widget)
    if refused:
        return refused
    conversation = _conversation(widget, posted["token"])
    if conversation is None:
        return _refused(403, _("This chat is not yours or has expired."))
    services.end_chat(conversation=conversation)
    return HttpResponse(status=204)


@widget_endpoint
def offline(request: HttpRequest, widget: ChatWidget) -> HttpResponse:
    posted, refused = _posted(request, widget)
    if refused:
        return refused
    try:
        ticket = services.leave_message(
            widget=widget,
            name=posted["name"],
            email=posted["email"],
            text=posted["text"],
            language=translation.get_language(),
        )
    except ValidationError as error:
        return _errors(error)
    return JsonResponse({"ticket": ticket.pk}, status=201)


def _visitor_stream(request: HttpRequest, key: str) -> tuple[ChatConversation, str] | HttpResponse:
    origin = request.headers.get("Origin", "")
    widget, allowed = _widget_for(key, origin)
    if widget is None:
        return _refused(404, "")
    if not allowed:
        return _refused(403, "")
    conversation = _conversation(widget, request.GET.get("token", ""))
    if conversation is None:
        return _with_cors(_refused(403, ""), origin)
    return conversation, origin


async def visitor_events(request: HttpRequest, key: str) -> HttpResponseBase:
    """The visitor's side of the chat as server-sent events: messages, typing, queue, joined, ended."""
    found = await sync_to_async(_visitor_stream)(request, key)
    if isinstance(found, HttpResponse):
        return found
    conversation, origin = found
    presence.visitor_heard(conversation)
    response = await live.event_stream(request, [conversation.stream], wait_seconds=STREAM_SECONDS)
    return _with_cors(response, origin)


# The agents' Chats pages -------------------------------------------------------------------------


@login_required
def chat_list(request: HttpRequest) -> HttpResponse:
    agent = request.user
    context = {
        "nav": "chats",
        "waiting": queries.waiting_for(agent),
        "mine": queries.open_chats_of(agent),
        "limit": services.chat_limit(agent),
        "team_ids": agent.team_ids(),
        "live_after": live.newest_id(),
    }
    template = "chat/chat_list.html"
    if request.GET.get("part") == "lists":
        template += "#lists"
    return render(request, template, context)


async def chat_list_events(request: HttpRequest) -> HttpResponseBase:
    agent = await request.auser()
    if not agent.is_authenticated:
        return HttpResponse(status=401)
    team_ids = await sync_to_async(agent.team_ids)()
    return await live.event_stream(request, [services.team_stream(pk) for pk in team_ids])


def _agent_conversation(agent, chat_id: int) -> ChatConversation:
    conversation = get_object_or_404(
        ChatConversation.objects.select_related("widget", "ticket"), pk=chat_id
    )
    services.require_takes_chats(agent, conversation)
    return conversation


@login_required
@require_POST
def accept(request: HttpRequest, chat_id: int) -> HttpResponse:
    conversation = _agent_conversation(request.user, chat_id)
    try:
        services.accept_chat(conversation=conversation, agent=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("chat_list")
    return redirect("chat_conversation", chat_id=conversation.pk)


@login_required
def conversation_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    conversation = _agent_conversation(request.user, chat_id)
    context = {
        "nav": "chats",
        "chat": conversation,
        "lines": queries.transcript(conversation),
        "live_after": live.newest_id(),
        "may_write": conversation.agent_id == request.user.pk
        and conversation.state == ChatState.ACTIVE,
    }
    return render(request, "chat/conversation.html", context)


async def conversation_events(request: HttpRequest, chat_id: int) -> HttpResponseBase:
    agent = await request.auser()
    if not agent.is_authenticated:
        return HttpResponse(status=401)
    try:
        await sync_to_async(_agent_conversation)(agent, chat_id)
    except (PermissionDenied, Http404):
        return HttpResponse(status=403)
    return await live.event_stream(request, [f"chat:{chat_id}"], wait_seconds=STREAM_SECONDS)


@login_required
@require_POST
def agent_says(request: HttpRequest, chat_id: int) -> HttpResponse:
    """The agent's composer: a reply through reply(), which reaches the visitor at once."""
    conversation = _agent_conversation(request.user, chat_id)
    if conversation.agent_id != request.user.pk:
        raise PermissionDenied
    try:
        entry = ticket_services.reply(
            ticket=conversation.ticket, agent=request.user, body=request.POST.get("body", "")
        )
    except ValidationError as error:
        if request.headers.get("Accept") == "application/json":
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        messages.error(request, " ".join(error.messages))
        return redirect("chat_conversation", chat_id=conversation.pk)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"id": entry.pk, "delivery": entry.delivery}, status=201)
    return redirect("chat_conversation", chat_id=conversation.pk)


@login_required
@require_POST
def agent_typing(request: HttpRequest, chat_id: int) -> HttpResponse:
    """The chat as kept a few seconds (queries.kept_chat): what the kept copy refuses is read
    again before it is refused."""
    agent = request.user

    def agents_open_chat(chat: queries.KeptChat | None) -> bool:
        return (
            chat is not None
            and chat.agent_id == agent.pk
            and chat.state == ChatState.ACTIVE
            and (chat.team_id in agent.team_ids() or agent.is_admin)
        )

    chat = queries.kept_chat(chat_id)
    if not agents_open_chat(chat):
        chat = queries.kept_chat(chat_id, kept=False)
        if chat is None:
            raise Http404
        if not agents_open_chat(chat):
            raise PermissionDenied
    services.typing(conversation=chat, by_agent=agent)
    return HttpResponse(status=204)


@login_required
@require_POST
def agent_ends(request: HttpRequest, chat_id: int) -> HttpResponse:
    conversation = _agent_conversation(request.user, chat_id)
    services.end_chat(conversation=conversation, agent=request.user)
    return redirect("chat_list")


def _ticket_chat_streams(agent, number: int) -> list[str] | None:
    """The live streams of the ticket's chats that have not ended; None when the agent may not see
    the ticket (or it does not exist)."""
    ticket = visible_tickets(agent).filter(pk=number).first()
    if ticket is None:
        return None
    return [f"chat:{pk}" for pk in open_chats_of_ticket(ticket)]


async def ticket_events(request: HttpRequest, number: int) -> HttpResponseBase:
    """The ticket page of a chat hears the chat as the Chats page does: messages, typing, the end.
    A ticket without an open chat answers 204, which tells the browser to stop asking."""
    agent = await request.auser()
    if not agent.is_authenticated:
        return HttpResponse(status=401)
    streams = await sync_to_async(_ticket_chat_streams)(agent, number)
    if streams is None:
        return HttpResponse(status=404)
    if not streams:
        return HttpResponse(status=204)
    return await live.event_stream(request, streams, wait_seconds=STREAM_SECONDS)


# Admins' settings ---------------------------------------------------------------------------------


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
def widget_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = ChatLimitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.set_chat_limit(actor=request.user, **form.cleaned_data)
        messages.success(request, _("The chat limit was saved."))
        return redirect("chat_widget_list")
    context = {
        "nav": "chat_widgets",
        "widgets": ChatWidget.objects.select_related("team"),
        "limits": queries.chat_limits(),
        "limit_form": form,
    }
    return render(request, "chat/widget_list.html", context, status=422 if form.errors else 200)


@login_required
def widget_form(request: HttpRequest, widget_id: int | None = None) -> HttpResponse:
    _require_admin(request)
    widget = get_object_or_404(ChatWidget, pk=widget_id) if widget_id else None
    form = ChatWidgetForm(request.POST or None, instance=widget)
    if request.method == "POST" and form.is_valid():
        widget = services.save_widget(
            widget=widget,
            actor=request.user,
            settings=ChatWidgetSettings(**form.cleaned_data),
            new_secret=bool(request.POST.get("new_secret")),
        )
        messages.success(request, _("The chat widget was saved."))
        return redirect("chat_widget", widget_id=widget.pk)
    context = {
        "nav": "chat_widgets",
        "widget": widget,
        "form": form,
        "script_url": request.build_absolute_uri("/chat/widget.js"),
    }
    return render(request, "chat/widget_form.html", context, status=422 if form.errors else 200)
