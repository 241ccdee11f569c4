"""A visitor on a host site chats through the widget's endpoints: only from allowed origins, with a
token per conversation, in their language, rate limited, and every message on the ticket."""

import asyncio
import contextvars
import gzip
import math
import os
import socket
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import time_machine
from asgiref.sync import async_to_sync, sync_to_async
from django.core.cache import caches
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from attenda.channels.chat import presence
from attenda.channels.chat.models import ChatConversation, ChatState
from attenda.core import clock, live
from attenda.core.models import AuditEntry, LiveEvent
from attenda.routing.models import TeamCalendar
from attenda.tickets import arrivals, search
from attenda.tickets.models import Channel, EntryKind, PendingArrival, Ticket, TimelineEntry
from attenda.triage.models import EntryReading
from tests.channels.chat.factories import Visitor

WIDGET_JS = Path(__file__).parents[3] / "src/attenda/channels/chat/static/chat/widget.js"


def test_the_widget_script_is_at_most_30_kb_compressed(client):
    response = client.get("/chat/widget.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript"
    assert len(gzip.compress(response.content, 9)) <= 30 * 1024
    assert response.content == WIDGET_JS.read_bytes()


def test_the_config_speaks_the_visitors_browser_language_and_says_someone_can_chat(visitor, agent):
    response = visitor.client.get(
        f"/chat/w/{visitor.widget.key}/config/?lang=pl-PL,en",
        headers={"Origin": visitor.origin},
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == visitor.origin
    config = response.json()
    assert config["language"] == "pl"
    assert config["strings"]["send"] == "Wyślij"
    assert config["greeting"] == "Olá! How can we help?"
    assert config["open"] is True


def test_a_language_attenda_does_not_speak_falls_back_to_english(visitor, agent):
    response = visitor.client.get(
        f"/chat/w/{visitor.widget.key}/config/?lang=ja,de", headers={"Origin": visitor.origin}
    )

    assert response.json()["strings"]["send"] == "Send"


def test_another_site_is_refused_and_nothing_is_stored(widget, agent):
    stranger = Visitor(widget=widget, origin="https://evil.example.net")

    started = stranger.start()
    config = stranger.client.get(
        f"/chat/w/{widget.key}/config/", headers={"Origin": stranger.origin}
    )

    assert started.status_code == 403
    assert config.status_code == 403
    assert "Access-Control-Allow-Origin" not in started
    assert not Ticket.objects.exists()


def test_a_preflight_from_an_allowed_origin_is_answered(visitor):
    response = visitor.client.options(
        f"/chat/w/{visitor.widget.key}/messages/",
        headers={"Origin": visitor.origin, "Access-Control-Request-Method": "POST"},
    )

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == visitor.origin
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_the_first_message_opens_a_chat_ticket_in_the_queue(visitor, agent):
    response = visitor.start(name="Maria Santos", email="maria@example.com")

    assert response.status_code == 201
    assert response.json()["position"] == 1
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.CHAT
    assert ticket.team == visitor.widget.team
    assert ticket.customer.name == "Maria Santos"
    assert ticket.language == "pt"
    assert {identity.kind for identity in ticket.customer.identities.all()} == {"chat", "email"}
    conversation = ChatConversation.objects.get()
    assert conversation.state == ChatState.WAITING
    assert conversation.ticket == ticket


def test_later_messages_thread_into_the_same_ticket_and_reach_the_agents_stream(visitor, agent):
    visitor.start()

    response = visitor.say("É a encomenda 4411.")

    assert response.status_code == 201
    ticket = Ticket.objects.get()
    bodies = list(
        TimelineEntry.objects.filter(ticket=ticket, kind=EntryKind.MESSAGE).values_list(
            "body", flat=True
        )
    )
    assert bodies == ["Olá, a minha encomenda não chegou.", "É a encomenda 4411."]
    said = [event["text"] for event in visitor.events() if event["kind"] == "message"]
    assert said == bodies


def test_the_same_message_sent_twice_is_stored_once(visitor, agent):
    visitor.start()
    visitor.post("messages", {"token": visitor.token, "text": "Olá?", "message_id": "m7"})

    again = visitor.post("messages", {"token": visitor.token, "text": "Olá?", "message_id": "m7"})

    assert again.status_code == 201
    assert TimelineEntry.objects.filter(body="Olá?").count() == 1


def test_a_forged_or_foreign_token_is_refused(widget, agent):
    maria, joao = Visitor(widget=widget), Visitor(widget=widget, address="203.0.113.8")
    maria.start()
    joao.start("Boa tarde")

    forged = maria.post("messages", {"token": maria.token + "x", "text": "hello"})
    foreign = maria.post("messages", {"token": "", "text": "hello"})
    listening = maria.client.get(
        f"/chat/w/{widget.key}/events/?token=nope", headers={"Origin": maria.origin}
    )

    assert forged.status_code == 403
    assert foreign.status_code == 403
    assert listening.status_code == 403
    assert TimelineEntry.objects.filter(body="hello").count() == 0


def test_the_token_of_one_widget_does_not_work_on_another(visitor, agent, team):
    from tests.channels.chat.factories import ChatWidgetFactory

    visitor.start()
    other = ChatWidgetFactory(name="Other shop", team=team)

    response = Visitor(widget=other, token=visitor.token).say("hello")

    assert response.status_code == 403


def test_typing_is_heard_on_the_chat(visitor, agent):
    visitor.start()

    response = visitor.post("typing", {"token": visitor.token})

    assert response.status_code == 204
    assert {"kind": "typing", "from": "visitor"} in visitor.events()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_redis_typing_reaches_the_agents_page_and_writes_nothing(visitor, agent, live_redis):
    """A typing indicator is of no use to a page that reconnects later: it goes to the pages
    following the chat through Redis, not into the database behind its one writer."""
    visitor.start()
    stream = ChatConversation.objects.get().stream
    after = live.newest_id()

    heard, answer, statements = asyncio.run(
        asyncio.wait_for(_typing_heard(visitor, stream, after), 10)
    )

    assert heard == live.as_state("typing", {"from": "visitor"}).encode()
    assert answer == 204
    assert [sql for sql in statements if not sql.startswith("SELECT")] == []
    assert not LiveEvent.objects.filter(kind="typing").exists()


@pytest.mark.redis
def test_with_redis_typing_costs_no_statement_once_the_chat_is_kept_and_keeps_its_limit(
    visitor, agent, live_redis, settings, django_assert_num_queries
):
    """The widget and the chat are kept by the web process for a few seconds, and the rate
    counters and the indicator go to Redis in one round trip, sent only within the limits."""
    settings.CACHES = {
        **settings.CACHES,
        "rates": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": live_redis},
    }
    settings.CHAT_RATE_PER_VISITOR = 2
    visitor.start()
    visitor.post("typing", {"token": visitor.token})

    with django_assert_num_queries(0):
        again = visitor.post("typing", {"token": visitor.token})
    over = visitor.post("typing", {"token": visitor.token})

    assert again.status_code == 204
    assert over.status_code == 429
    assert int(over["Retry-After"]) >= 1


def test_the_widgets_lines_and_typing_are_served_past_the_browsers_middleware(visitor, agent):
    """The widget's endpoints check their origin and token themselves; only the first message
    reads a session (the portal's signed-in customer)."""
    started = visitor.start()

    said = visitor.say("Olá?")
    typing = visitor.post("typing", {"token": visitor.token})

    assert hasattr(started.wsgi_request, "session")
    assert not hasattr(said.wsgi_request, "session")
    assert not hasattr(typing.wsgi_request, "user")
    assert (said.status_code, typing.status_code) == (201, 204)
    assert said["Access-Control-Allow-Origin"] == typing["Access-Control-Allow-Origin"]
    assert said["X-Content-Type-Options"] == "nosniff"


def test_typing_on_an_ended_chat_is_refused_although_it_was_kept(
    visitor, agent, django_capture_on_commit_callbacks
):
    visitor.start()
    visitor.post("typing", {"token": visitor.token})
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post("end", {"token": visitor.token})

    response = visitor.post("typing", {"token": visitor.token})

    assert response.status_code == 403


async def _typing_heard(visitor: Visitor, stream: str, after: int) -> tuple[bytes, int, list[str]]:
    def typing() -> tuple[int, list[str]]:
        try:
            with CaptureQueriesContext(connection) as queries:
                answer = visitor.post("typing", {"token": visitor.token})
            return answer.status_code, [q["sql"].lstrip().upper() for q in queries.captured_queries]
        finally:
            connections.close_all()

    async def agents_page() -> bytes:
        async for chunk in live.follow([stream], after, wait_seconds=4):
            if not chunk.startswith(b"retry: ") and chunk != live.HEARTBEAT:
                return chunk
        return b""

    page = asyncio.create_task(agents_page())
    await asyncio.sleep(1.0)  # The hub has subscribed.
    answer, statements = await sync_to_async(typing, thread_sensitive=False)()
    heard = await page
    await sync_to_async(connections.close_all)()
    return heard, answer, statements


def test_too_many_messages_from_one_visitor_are_refused_with_429(visitor, agent, settings):
    settings.CHAT_RATE_PER_VISITOR = 3
    visitor.start()
    answers = [visitor.say(f"message {n}").status_code for n in range(4)]

    assert answers[:2] == [201, 201]
    assert answers[-1] == 429
    assert TimelineEntry.objects.filter(body="message 3").count() == 0


def test_too_many_requests_from_one_address_are_refused_with_429(widget, agent, settings):
    settings.CHAT_RATE_PER_ADDRESS = 2
    visitors = [Visitor(widget=widget) for _n in range(3)]

    answers = [one.start().status_code for one in visitors]

    assert answers == [201, 201, 429]
    assert visitors[2].start().has_header("Retry-After")
    assert Ticket.objects.count() == 2


@pytest.fixture
def rates_in_redis(settings):
    """The rate counters in Redis, as in a deployment with several web processes."""
    url = os.environ.get("ATTENDA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis does not answer at {url}.")
        pytest.skip(f"Redis does not answer at {url}.")
    settings.CACHES = {
        **settings.CACHES,
        "rates": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url},
    }
    caches["rates"].clear()
    yield redis.Redis.from_url(url)
    caches["rates"].clear()


@pytest.mark.redis
def test_with_the_counters_in_redis_a_visitor_over_the_limit_is_refused(
    visitor, agent, settings, rates_in_redis
):
    settings.CHAT_RATE_PER_VISITOR = 3
    visitor.start()

    answers = [visitor.say(f"message {n}").status_code for n in range(4)]

    assert answers[:2] == [201, 201]
    assert answers[-1] == 429
    assert TimelineEntry.objects.filter(body="message 3").count() == 0
    assert 0 < rates_in_redis.ttl(next(rates_in_redis.scan_iter("*chat-visitor:*"))) <= 61


@pytest.mark.redis
def test_with_redis_a_visitors_lines_are_counted_on_the_process_s_connection(
    visitor, agent, settings, rates_in_redis, live_redis, monkeypatch
):
    """Under ASGI each request runs in a context of its own, where Django makes its caches anew:
    the counters took a Redis connection of their own (connected, greeted) for every line."""
    visitor.start()
    visitor.say("first")
    opened = []
    open_socket = redis.connection.Connection._connect
    monkeypatch.setattr(
        redis.connection.Connection,
        "_connect",
        lambda connection: opened.append(connection) or open_socket(connection),
    )

    answers = [contextvars.Context().run(visitor.say, f"line {n}").status_code for n in range(3)]

    assert answers == [201, 201, 201]
    assert opened == []
    assert int(rates_in_redis.get(next(rates_in_redis.scan_iter("*chat-visitor:*")))) == 4


def test_with_nobody_available_the_widget_offers_a_message_form_and_start_is_refused(
    visitor, agent
):
    agent.status = "away"
    agent.save()

    config = visitor.client.get(
        f"/chat/w/{visitor.widget.key}/config/", headers={"Origin": visitor.origin}
    ).json()
    started = visitor.start()

    assert config["open"] is False
    assert started.status_code == 409
    assert not Ticket.objects.exists()


def test_outside_business_hours_the_chat_is_closed(visitor, agent, time_machine):
    TeamCalendar.objects.create(team=visitor.widget.team, week=[[["09:00", "17:00"]]] * 5)
    time_machine.move_to("2026-03-07 12:00:00+00:00")  # a Saturday

    config = visitor.client.get(
        f"/chat/w/{visitor.widget.key}/config/", headers={"Origin": visitor.origin}
    ).json()

    assert config["open"] is False


def test_an_offline_message_makes_a_ticket_answered_by_email(visitor, agent):
    agent.status = "away"
    agent.save()

    response = visitor.post(
        "offline",
        {"name": "Maria Santos", "email": "maria@example.com", "text": "Liguem-me, por favor."},
    )

    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.CHAT
    assert ticket.customer.identities.get().value == "maria@example.com"
    assert not ChatConversation.objects.exists()


def test_an_offline_message_needs_an_address(visitor):
    response = visitor.post("offline", {"name": "Maria", "email": "", "text": "Olá"})

    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_the_visitor_ends_the_chat(visitor, agent):
    visitor.start()

    response = visitor.post("end", {"token": visitor.token})

    assert response.status_code == 204
    assert ChatConversation.objects.get().state == ChatState.ENDED
    assert visitor.say("ainda aqui?").status_code == 400
    assert AuditEntry.objects.filter(action="chat.ended").count() == 1


def test_a_first_message_sent_again_continues_the_same_chat(visitor, agent):
    first = visitor.post("start", {"text": "Olá", "message_id": "s1"})
    again = visitor.post(
        "start", {"text": "Olá", "message_id": "s1", "visitor": first.json()["visitor"]}
    )

    assert again.status_code == 201
    assert ChatConversation.objects.count() == 1
    assert TimelineEntry.objects.filter(body="Olá").count() == 1


def test_a_later_line_reaches_the_agent_at_once_and_is_read_on_the_worker(
    visitor, agent, run_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(arrivals.READER, "delay", 0)
    visitor.start()
    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.say("Obrigada, fico à espera da encomenda.")
    line = TimelineEntry.objects.get(pk=response.json()["id"])
    said = [event["text"] for event in visitor.events() if event["kind"] == "message"]
    read_at_once = EntryReading.objects.filter(entry=line).exists()

    run_tasks()

    assert said[-1] == "Obrigada, fico à espera da encomenda."
    assert read_at_once is False
    assert EntryReading.objects.get(entry=line).language == "pt"


def test_the_lines_of_a_second_are_read_by_one_task_of_the_worker(
    visitor, agent, run_tasks, django_capture_on_commit_callbacks
):
    visitor.start()
    with django_capture_on_commit_callbacks(execute=True):
        lines = [
            visitor.say(text).json()["id"]
            for text in ("Bom dia.", "A encomenda é a 4411.", "Ainda não chegou.")
        ]
    waiting = PendingArrival.objects.count()
    readers = [
        result.args_kwargs["args"][0]
        for result in DBTaskResult.objects.all()
        if result.args_kwargs["args"][0] == arrivals.READER.task_path
    ]

    with time_machine.travel(clock.now() + timedelta(seconds=2), tick=False):
        run_tasks()

    assert waiting == 3
    assert len(readers) == 1
    assert EntryReading.objects.filter(entry__in=lines).count() == 3
    assert not PendingArrival.objects.exists()


def test_the_first_message_of_a_chat_is_read_as_it_arrives(visitor, agent):
    visitor.start()

    first = TimelineEntry.objects.get(kind=EntryKind.MESSAGE)
    assert EntryReading.objects.get(entry=first).language == "pt"


def test_a_later_line_costs_a_fixed_number_of_statements(
    visitor, agent, django_assert_num_queries, monkeypatch
):
    # The search indexer, queued in the line's transaction at most once a second by each process,
    # counts as queued: whether it is queued again depends on the clock.
    monkeypatch.setattr(search.INDEXER, "queued_until", math.inf)
    monkeypatch.setattr(arrivals.READER, "queued_until", math.inf)
    visitor.start()
    visitor.say("Olá?")

    # The line's place in the queue of messages the worker reads is one of them, in its
    # transaction; the widget is kept by the web process.
    with django_assert_num_queries(14):
        response = visitor.say("A encomenda é a 4411.")

    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_visitors_whose_streams_reconnect_together_are_seen_in_one_write(
    widget, agent, monkeypatch
):
    monkeypatch.setattr(presence, "SEEN_BATCH_SECONDS", 0.05)
    for name in ("Ana", "Bruno", "Carla"):
        Visitor(widget=widget).start(f"Olá, sou a {name}.")
    first, second, third = ChatConversation.objects.order_by("pk")
    a_minute_ago = clock.now() - timedelta(minutes=1)
    ChatConversation.objects.filter(pk__in=[first.pk, second.pk]).update(
        visitor_seen_at=a_minute_ago
    )
    first.refresh_from_db()
    second.refresh_from_db()

    async def stream_view(chat):
        return presence.visitor_heard(chat)

    def request(chat):
        # Django's synchronous middleware runs the stream's view from a thread of the request's,
        # which ends with it, before the signs of life are written.
        return async_to_sync(stream_view)(chat)

    async def reconnect_all():
        writes = [await sync_to_async(request)(chat) for chat in (first, second, third)]
        await writes[0]
        return writes

    writes = asyncio.run(reconnect_all())

    seen = dict(ChatConversation.objects.values_list("pk", "visitor_seen_at"))
    assert writes[0] is writes[1]
    assert writes[2] is None
    assert seen[first.pk] == seen[second.pk] > a_minute_ago + timedelta(seconds=59)
    assert seen[third.pk] == third.visitor_seen_at


def test_when_redis_does_not_answer_a_visitors_line_is_taken_uncounted(
    visitor, agent, settings, caplog
):
    """The rate counters' Redis gone (here a port where nothing listens): the line is taken and
    the failure logged, not answered with an error page."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = {
        **settings.CACHES,
        "rates": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
        },
    }
    visitor.start()

    answer = visitor.say("still heard")

    assert answer.status_code == 201
    assert TimelineEntry.objects.filter(body="still heard").exists()
    assert "not limited this time" in caplog.text
