"""Live events: what a page following a stream hears, in order, once, and soon after the write."""

import asyncio
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import redis
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.db import connection, connections, transaction

from attenda.core import clock, live
from attenda.core.models import LiveEvent

REDIS_URL = os.environ.get("ATTENDA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_a_page_hears_the_events_of_its_streams_after_the_last_it_heard(db):
    live.publish("chat:1", "message", {"text": "Olá"})
    live.publish("chat:2", "message", {"text": "another conversation"})
    live.publish("chat:1", "typing", {"who": "agent"})

    first, second = live.events_after(["chat:1"], 0)
    assert (first.kind, second.kind) == ("message", "typing")
    assert first.position < second.position
    assert live.events_after(["chat:1"], first.position) == [second]
    assert live.as_sse(first) == (
        f'id: {first.position}\nevent: message\ndata: {{"kind":"message","text":"Olá"}}\n\n'
    )


@pytest.mark.django_db(transaction=True)
def test_every_committed_event_has_its_place():
    """The trigger that places events (core migration 0005) is there, on either engine."""
    live.publish("chat:1", "message", {"text": "Olá"})
    live.publish_many([("chat:1", "typing", {}), ("chat:2", "typing", {})])

    positions = list(LiveEvent.objects.order_by("pk").values_list("position", flat=True))
    assert None not in positions
    assert positions == sorted(positions)
    assert live.newest_id() == positions[-1]


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_after_a_later_written_one_is_still_heard_after_it():
    """On PostgreSQL an id is taken as the row is written: the chat line written first and
    committed last came behind a line the hub had already passed, and no page heard it. Events
    are read in the order their transactions committed. (SQLite's one writer cannot interleave.)"""
    if connection.vendor != "postgresql":
        pytest.skip("On SQLite one writer at a time commits in the order it writes.")
    after = live.newest_id()
    first_written = threading.Event()
    second_committed = threading.Event()

    def write_first_commit_last():
        try:
            with transaction.atomic():
                live.publish("chat:1", "message", {"text": "written first"})
                first_written.set()
                assert second_committed.wait(5)
        finally:
            connections.close_all()

    writer = threading.Thread(target=write_first_commit_last)
    writer.start()
    assert first_written.wait(5)
    live.publish("chat:2", "message", {"text": "written second, committed first"})
    heard_before = live.newest_id()
    second_committed.set()
    writer.join(5)

    heard = [event.payload["text"] for event in live.events_after(["chat:1", "chat:2"], after)]
    assert heard == ["written second, committed first", "written first"]
    # A page that heard the first commit (or started after it) still hears the second.
    assert [e.payload["text"] for e in live.events_after(["chat:1"], heard_before)] == [
        "written first"
    ]
    # And so does the hub that wakes the pages of a web process.
    assert asyncio.run(_hub_hears(after)) == [
        b"written second, committed first",
        b"written first",
    ]


async def _hub_hears(after: int) -> list[bytes]:
    the_hub = live.Hub()
    the_hub.floor = the_hub.seen = after
    await the_hub.look()
    await sync_to_async(connections.close_all)()
    return [text.split(b'"text":"')[1].split(b'"')[0] for _position, _stream, text in the_hub.kept]


def test_an_event_written_in_a_transaction_that_rolls_back_is_never_heard(db):
    try:
        with transaction.atomic():
            live.publish("office:1", "called", {"number": "B-042"})
            raise RuntimeError("the call failed")
    except RuntimeError:
        pass

    assert live.events_after(["office:1"], 0) == []


@pytest.mark.django_db(transaction=True)
def test_a_waiting_page_hears_an_event_written_by_another_thread_within_a_second():
    after = live.newest_id()

    started = asyncio.run(asyncio.wait_for(_first_event(after), timeout=5))

    assert started < 1.5


async def _first_event(after: int) -> float:
    loop = asyncio.get_running_loop()
    began = loop.time()

    def write():
        try:
            live.publish("counter:7", "called", {"number": "A-001"})
        finally:
            connections.close_all()

    async def write_later():
        await asyncio.sleep(0.3)
        await sync_to_async(write, thread_sensitive=False)()

    writer = asyncio.create_task(write_later())
    async for chunk in live.follow(["counter:7"], after, wait_seconds=4):
        if chunk.startswith(b"id: "):
            waited = loop.time() - began
            await writer
            await sync_to_async(connections.close_all)()
            return waited
    raise AssertionError("nothing was heard")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_redis_a_waiting_page_is_woken_by_the_announcement(settings):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis does not answer at {REDIS_URL}.")
        pytest.skip(f"Redis does not answer at {REDIS_URL}.")
    settings.REDIS_URL = REDIS_URL
    after = live.newest_id()

    waited = asyncio.run(asyncio.wait_for(_first_event(after), timeout=5))

    assert waited < 1.0


def test_events_older_than_an_hour_are_pruned(db):
    old = live.publish("chat:1", "message", {"text": "old"})
    LiveEvent.objects.filter(pk=old.pk).update(created_at=clock.now() - timedelta(hours=2))
    kept = live.publish("chat:1", "message", {"text": "new"})

    assert live.prune() == 1
    assert list(LiveEvent.objects.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.django_db(transaction=True)
def test_the_hub_outlives_the_request_of_the_page_that_started_it(caplog):
    """Each request runs in a thread-sensitive context of its own (asgi.RequestThreads); the hub
    once inherited the first page's, stopped when that request ended, and left every other page
    to look at the database itself every five seconds. Nor may it wait behind that thread's
    requests."""
    after = live.newest_id()

    waited = asyncio.run(asyncio.wait_for(_heard_after_the_first_page_left(after), timeout=10))

    assert waited < 1.0
    assert "hub stopped" not in caplog.text


async def _heard_after_the_first_page_left(after: int) -> float:
    loop = asyncio.get_running_loop()
    request_thread = ThreadPoolExecutor(max_workers=1)
    heard = asyncio.Event()

    async def first_page():
        async with ThreadSensitiveContext(executor=request_thread):
            async for _chunk in live.follow(["counter:8"], after, wait_seconds=0.6):
                pass

    async def second_page():
        async for chunk in live.follow(["counter:8"], after, wait_seconds=8):
            if chunk.startswith(b"id: "):
                heard.set()
                return

    first = asyncio.create_task(first_page())
    await asyncio.sleep(0.2)
    second = asyncio.create_task(second_page())
    await first  # The page that started the hub has left; the second still follows.
    await asyncio.sleep(0.5)

    def write():
        try:
            live.publish("counter:8", "called", {"number": "B-001"})
        finally:
            connections.close_all()

    began = loop.time()
    await sync_to_async(write, thread_sensitive=False)()
    await heard.wait()
    waited = loop.time() - began
    await second
    await loop.run_in_executor(request_thread, connections.close_all)
    await sync_to_async(connections.close_all)()
    request_thread.shutdown()
    return waited


@pytest.mark.django_db(transaction=True)
def test_a_page_with_nothing_to_hear_says_it_is_still_there_until_its_time_is_up(monkeypatch):
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.3)

    chunks, lasted = asyncio.run(asyncio.wait_for(_everything_said(1.0), timeout=5))

    assert chunks[0] == f"retry: {live.RETRY_MS}\nid: {live.newest_id()}\n\n".encode()
    assert chunks[1:] == [live.HEARTBEAT] * len(chunks[1:])
    assert len(chunks[1:]) >= 2
    assert 0.9 <= lasted < 1.5


async def _everything_said(wait_seconds: float) -> tuple[list[bytes], float]:
    loop = asyncio.get_running_loop()
    after = await sync_to_async(live.newest_id)()
    began = loop.time()
    chunks = [chunk async for chunk in live.follow(["office:9"], after, wait_seconds=wait_seconds)]
    lasted = loop.time() - began
    await sync_to_async(connections.close_all)()
    return chunks, lasted


@pytest.mark.django_db(transaction=True)
def test_pages_that_start_listening_together_do_not_all_reconnect_together():
    async def pages() -> list[float]:
        after = await sync_to_async(live.newest_id)()
        loop = asyncio.get_running_loop()

        async def page() -> float:
            async for _chunk in live.follow(["office:9"], after, wait_seconds=1.0):
                pass
            return loop.time()

        ended = await asyncio.gather(*(page() for _ in range(20)))
        await sync_to_async(connections.close_all)()
        return ended

    ended = asyncio.run(asyncio.wait_for(pages(), timeout=5))

    assert max(ended) - min(ended) >= 0.02


@pytest.mark.django_db(transaction=True)
def test_events_written_together_are_heard_in_order_in_one_piece():
    after = live.newest_id()
    first, second = live.publish_many(
        [
            ("office:3:queue", "queued", {"number": "B-007"}),
            ("office:3", "called", {"number": "B-006"}),
        ]
    )

    chunks = asyncio.run(asyncio.wait_for(_first_chunks(["office:3", "office:3:queue"], after), 5))

    first.refresh_from_db()  # Placed as the transaction committed.
    second.refresh_from_db()
    assert chunks[1] == (live.as_sse(first) + live.as_sse(second)).encode()


async def _first_chunks(streams: list[str], after: int) -> list[bytes]:
    chunks = []
    async for chunk in live.follow(streams, after, wait_seconds=2):
        chunks.append(chunk)
        if len(chunks) == 2:
            break
    await sync_to_async(connections.close_all)()
    return chunks


@pytest.mark.django_db(transaction=True)
def test_while_the_hub_cannot_listen_pages_look_at_the_database_themselves(
    settings, monkeypatch, caplog
):
    """Redis is configured but does not answer: the hub stops, and the pages it would have woken
    hear their events from their own looks."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(live, "FALLBACK_LOOK_SECONDS", 0.3)
    after = live.newest_id()

    waited = asyncio.run(asyncio.wait_for(_first_event(after), timeout=5))

    assert waited < 1.2
    assert "hub stopped" in caplog.text


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_redis_a_passing_event_reaches_every_process_following_and_is_never_a_row(live_redis):
    """Two event loops stand for two web processes, each with its hub: a typing signal sent from
    neither reaches both pages, without an id (their place in the stream stays), and writes
    nothing to the database."""
    after = live.newest_id()

    heard = asyncio.run(asyncio.wait_for(_passing_heard_in_two_hubs(after), timeout=10))

    typing = live.as_state("typing", {"from": "visitor"}).encode()
    assert heard == [typing, typing]
    assert not LiveEvent.objects.exists()


async def _passing_heard_in_two_hubs(after: int) -> list[bytes]:
    ready = ThreadPoolExecutor(max_workers=2)
    loop = asyncio.get_running_loop()

    def other_process_page() -> bytes:
        return asyncio.run(_first_after_opening(["chat:5"], after))

    other = loop.run_in_executor(ready, other_process_page)
    this = asyncio.create_task(_first_after_opening(["chat:5"], after))
    await asyncio.sleep(1.0)  # Both hubs have subscribed.
    await sync_to_async(live.signal, thread_sensitive=False)(
        "chat:5", "typing", {"from": "visitor"}
    )
    heard = [await this, await other]
    ready.shutdown()
    await sync_to_async(connections.close_all)()
    return heard


async def _first_after_opening(streams: list[str], after: int) -> bytes:
    try:
        async for chunk in live.follow(streams, after, wait_seconds=4):
            if not chunk.startswith(b"retry: ") and chunk != live.HEARTBEAT:
                return chunk
        return b""
    finally:
        await sync_to_async(connections.close_all)()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_redis_a_page_that_starts_later_does_not_hear_an_earlier_passing_event(live_redis):
    after = live.newest_id()

    heard = asyncio.run(asyncio.wait_for(_passing_then_a_new_page(after), timeout=10))

    assert heard == [b"", live.as_sse(LiveEvent.objects.get()).encode()]


async def _passing_then_a_new_page(after: int) -> list[bytes]:
    first = asyncio.create_task(_first_after_opening(["chat:6"], after))
    await asyncio.sleep(1.0)
    await sync_to_async(live.signal, thread_sensitive=False)("chat:7", "typing", {"from": "agent"})
    await asyncio.sleep(0.5)
    second = asyncio.create_task(_first_after_opening(["chat:7"], after))
    await asyncio.sleep(0.5)

    def write():
        try:
            live.publish("chat:7", "message", {"text": "Olá"})
        finally:
            connections.close_all()

    await sync_to_async(write, thread_sensitive=False)()
    return [await first, await second]


@pytest.mark.redis
def test_with_redis_a_passing_event_with_rate_counters_is_sent_only_within_their_limits(
    live_redis,
):
    """The counters and the event in one round trip: a typing indicator over the visitor's limit
    is counted and refused, and nobody hears it."""
    client = redis.Redis.from_url(live_redis)
    key = f"test-counter:{os.getpid()}:{clock.now().timestamp()}"
    listener = client.pubsub()
    listener.subscribe(live._channel(live.PASSING))
    listener.get_message(timeout=1)  # The subscription is in place.

    counts = [live.signal("chat:9", "typing", {"n": n}, counters=[(key, 2)]) for n in range(3)]

    heard = []
    for _try in range(10):
        message = listener.get_message(timeout=0.2)
        if message is not None:
            heard.append(message["data"])
    assert counts == [[1], [2], [3]]
    assert heard == [
        json.dumps(["chat:9", live.as_state("typing", {"n": n})], separators=(",", ":")).encode()
        for n in (0, 1)
    ]
    assert 0 < client.ttl(key) <= live.COUNTER_SECONDS


def test_without_redis_a_passing_event_is_written_as_any_event(db, settings):
    """The database is all the web processes share then: a page in any of them hears it."""
    settings.REDIS_URL = ""

    live.signal("chat:8", "typing", {"from": "agent"})

    assert [(e.stream, e.kind, e.payload) for e in live.events_after(["chat:8"], 0)] == [
        ("chat:8", "typing", {"from": "agent"})
    ]


def test_redis_channels_are_named_after_the_database_so_installations_do_not_hear_each_other(
    settings,
):
    settings.REDIS_URL = "redis://127.0.0.1:6379/4"
    fourth = live._channel(live.PASSING)
    settings.REDIS_URL = "redis://127.0.0.1:6379/5"

    assert (fourth, live._channel(live.PASSING)) == (
        "attenda:4:live:passing",
        "attenda:5:live:passing",
    )


@pytest.mark.django_db(transaction=True)
def test_the_hub_gives_its_thread_s_connection_back_when_no_page_follows_any_more():
    """Its connection is closed on the hub's own thread: closing it from the event loop's thread
    failed (DatabaseWrapper objects created in a thread can only be used in that same thread)."""
    after = live.newest_id()

    asyncio.run(asyncio.wait_for(_hub_after_its_page_left(after), timeout=5))


async def _hub_after_its_page_left(after: int) -> None:
    async for _chunk in live.follow(["office:12"], after, wait_seconds=0.3):
        pass
    await live.hub().task  # Raises what ended it.
    await sync_to_async(connections.close_all)()
