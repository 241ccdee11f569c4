"""Live events: what open pages hear without reloading (a chat message, a ringing phone, a queue
number called to a counter). An event is written to the database in the writer's transaction, so a
page that reconnects with the last event it heard misses nothing, whichever web process it reaches.
Each web process has one hub that wakes the pages it serves: through Redis publish/subscribe when
Redis is configured, otherwise by one look at the newest events every POLL_SECONDS — never one
query per open page.

Writers call ``publish(stream, kind, payload)``; views answer with ``event_stream(request,
streams)``. Events are read in the order their transactions committed (``LiveEvent.position``), so
a page that has heard one event never misses an earlier-committed one. A stream is a name such as
``chat:42`` or ``office:3``; the view decides who may hear it. A passing event (someone is
typing) is of no use to a page that reconnects later: with Redis, ``signal(stream, kind,
payload)`` sends it to every web process's hub through Redis alone, with no id, no row and no wait
for the database's one writer."""

import asyncio
import contextlib
import contextvars
import json
import logging
import random
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from attenda.core import clock
from attenda.core.models import LiveEvent

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25
# A response ends after this long and the browser reconnects with Last-Event-ID: a page whose
# agent has lost the right to hear a stream (or signed out elsewhere) stops hearing it by then. A
# reconnection costs the web process a request (middleware, session, the view's checks): held 25 s,
# 200 waiting-room displays and counter pages cost it 4% of a core doing nothing else.
WAIT_SECONDS = 120
# Each response ends after a share of its wait drawn between 1 - WAIT_SPREAD and 1: pages that
# started together (a thousand chat streams after a restart) otherwise all came back in the same
# second every minute, and the lines written meanwhile waited behind their reconnections.
WAIT_SPREAD = 0.1
# A held stream says it is still there this often, so no proxy finds it idle and cuts it.
HEARTBEAT_SECONDS = 20
HEARTBEAT = b": still here\n\n"
# While its process's hub has stopped, a page looks at the database itself this often.
FALLBACK_LOOK_SECONDS = 5.0
RETRY_MS = 1000
BATCH = 100
KEEP = timedelta(hours=1)


def publish(stream: str, kind: str, payload: dict) -> LiveEvent:
    """Records an event on ``stream``; pages following it hear it once the caller's transaction
    commits (or at once outside one)."""
    return publish_many([(stream, kind, payload)])[0]


def publish_many(events: list[tuple[str, str, dict]]) -> list[LiveEvent]:
    """Several events (stream, kind, payload) in one statement and one announcement, as when a
    queue moves and each waiting page hears its new place."""
    now = clock.now()
    made = [
        LiveEvent(stream=stream, kind=kind, payload=payload, created_at=now)
        for stream, kind, payload in events
    ]
    if len(made) == 1:
        made[0].save()
    elif made:
        made = LiveEvent.objects.bulk_create(made)
    if settings.REDIS_URL and made:
        transaction.on_commit(lambda: _announce(made[0].stream))
    return made


def signal(
    stream: str, kind: str, payload: dict, *, counters: Sequence[tuple[str, int]] = ()
) -> list[int]:
    """A passing event, heard by the pages following ``stream`` now and by no page that starts or
    reconnects later: with Redis it goes at once (outside any transaction) to every web process's
    hub, and is never a row. Without Redis the database is all the web processes share: it is
    written as any event is.

    ``counters``: (Redis key, limit) rate counters of this minute, raised by one in the same round
    trip (with Redis only); the event is sent only when every count is within its limit. Returns
    the counts."""
    if not settings.REDIS_URL:
        if counters:
            raise ValueError("Rate counters go with a passing event only through Redis.")
        publish(stream, kind, payload)
        return []
    message = json.dumps([stream, as_state(kind, payload)], separators=(",", ":"))
    try:
        if not counters:
            _redis().publish(_channel(PASSING), message)
            return []
        return list(
            _signal_within_script()(
                keys=[key for key, _limit in counters],
                args=[_channel(PASSING), message, COUNTER_SECONDS]
                + [limit for _key, limit in counters],
            )
        )
    except Exception:
        # Nobody hears it; the next one (the widget and the agents' page repeat them) may be.
        logger.warning("Could not send a passing event on %s through Redis", stream, exc_info=True)
        return [0] * len(counters)


def count(keys: Sequence[str]) -> list[int]:
    """Raises each of this minute's rate counters (Redis keys) by one, in one round trip on the
    process's Redis connection; returns the counts. When Redis does not answer (within its socket
    timeout) the counts are 0: a visitor's message is taken unlimited rather than lost to an error
    page."""
    pipeline = _redis().pipeline(transaction=False)
    for key in keys:
        pipeline.incr(key)
        pipeline.expire(key, COUNTER_SECONDS)
    try:
        return pipeline.execute()[::2]
    except Exception:
        logger.warning("Could not count %s in Redis; not limited this time", keys, exc_info=True)
        return [0] * len(keys)


# A rate counter of one minute lives a second longer than its minute.
COUNTER_SECONDS = 61
# The counters raised and the event published in one round trip (a typing indicator was two: the
# counters, then the event), and only under the limits.
_SIGNAL_WITHIN = """
local over = false
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  redis.call('EXPIRE', key, ARGV[3])
  if counts[i] > tonumber(ARGV[3 + i]) then over = true end
end
if not over then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return counts
"""
_scripts: dict[str, object] = {}


def _signal_within_script():
    """Registered once per process and Redis address; run by its digest (EVALSHA)."""
    script = _scripts.get(settings.REDIS_URL)
    if script is None:
        script = _scripts[settings.REDIS_URL] = _redis().register_script(_SIGNAL_WITHIN)
    return script


def _announce(stream: str) -> None:
    try:
        _redis().publish(_channel(ANNOUNCED), stream)
    except Exception:
        # The pages still hear it at their next look at the database (the hub's fallback poll).
        logger.warning("Could not announce a live event on %s through Redis", stream, exc_info=True)


# Redis's channels are the server's, not one database's: each is named after the database number
# of ATTENDA_REDIS_URL, so that Attendas sharing a Redis server in databases of their own do not
# hear each other's events.
ANNOUNCED = "live"
PASSING = "live:passing"


def _channel(name: str) -> str:
    return f"attenda:{_redis().connection_pool.connection_kwargs.get('db', 0)}:{name}"


_clients: dict[str, object] = {}


def _redis():
    """One client (and its pool of connections) per process and Redis address: a new client per
    announcement opened a new connection for each event."""
    import redis

    client = _clients.get(settings.REDIS_URL)
    if client is None:
        client = _clients[settings.REDIS_URL] = redis.Redis.from_url(settings.REDIS_URL)
    return client


def newest_id() -> int:
    """Where a page that starts listening now begins: after every event already committed."""
    newest = (
        LiveEvent.objects.filter(position__isnull=False)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return newest or 0


def events_after(streams: Iterable[str], after: int, *, limit: int = BATCH) -> list[LiveEvent]:
    """Index ``core_liveevent_stream_position``: one range read per stream."""
    return list(
        LiveEvent.objects.filter(stream__in=list(streams), position__gt=after).order_by("position")[
            :limit
        ]
    )


def prune(*, now=None) -> int:
    """Events older than KEEP are past any page's reconnection; the schedule removes them."""
    before = (now or clock.now()) - KEEP
    deleted, _kinds = LiveEvent.objects.filter(created_at__lt=before).delete()
    return deleted


def _events_since(after: int) -> list[LiveEvent]:
    return list(LiveEvent.objects.filter(position__gt=after).order_by("position")[:HUB_BATCH])


# The hub keeps the newest events it read for the pages it serves: a wake-up costs one query per
# process, not one per page following the stream (a waiting room's displays, a team's agents).
HUB_KEEP = 2000
HUB_BATCH = 1000
# With Redis the hub still looks at the database this often, in case an announcement was lost.
HUB_LOOK_SECONDS = 5.0


class Hub:
    """One per event loop (a web process): the pages waiting on each stream, the newest events
    (each as the bytes a page is sent, made once for all the pages that hear it), and the one task
    that reads them and wakes the pages."""

    def __init__(self) -> None:
        self.waiting: dict[str, set[asyncio.Event]] = {}
        self.task: asyncio.Task | None = None
        # The hub reads on a thread of its own: not on the request thread of the page that started
        # it, where each look waited behind that thread's other requests and which ends with that
        # page's request (the hub then stopped until another page came).
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="attenda-live-hub")
        self.kept: deque[tuple[int, str, bytes]] = deque(maxlen=HUB_KEEP)
        # ``kept`` holds every event with floor < position <= seen; None until the first look.
        self.floor: int | None = None
        self.seen = 0
        # The newest passing events heard through Redis, numbered by this hub as they came.
        self.passing: deque[tuple[int, str, bytes]] = deque(maxlen=HUB_KEEP)
        self.passed = 0

    def wait_for(self, streams: Iterable[str]) -> asyncio.Event:
        woken = asyncio.Event()
        for stream in streams:
            self.waiting.setdefault(stream, set()).add(woken)
        if self.task is None or self.task.done():
            # In a context of its own: a task inherits the context of the request that starts it,
            # and with it that request's ThreadSensitiveContext, which asgiref refuses to use once
            # the request has ended; the hub then stopped, and every page read the database itself.
            self.task = asyncio.get_running_loop().create_task(
                self._listen(), context=contextvars.Context()
            )
        return woken

    def forget(self, woken: asyncio.Event, streams: Iterable[str]) -> None:
        for stream in streams:
            waiters = self.waiting.get(stream)
            if waiters is not None:
                waiters.discard(woken)
                if not waiters:
                    del self.waiting[stream]

    def listening(self) -> bool:
        return self.task is not None and not self.task.done() and self.floor is not None

    def kept_after(self, streams: frozenset[str], after: int) -> list[tuple[int, bytes]] | None:
        """The kept events of ``streams`` after ``after`` (id and text); None when the hub does not
        hold every event since then (a page resuming from long ago reads the database)."""
        if self.floor is None or after < self.floor:
            return None
        newer = []
        for pk, stream, text in reversed(self.kept):  # From the newest: only what is new is read.
            if pk <= after:
                break
            if stream in streams:
                newer.append((pk, text))
        newer.reverse()
        return newer

    def passing_after(self, streams: frozenset[str], after: int) -> tuple[int, list[bytes]]:
        """The number of the newest passing event heard, and the texts of those of ``streams``
        after the page's ``after`` (a page more than HUB_KEEP behind misses the older ones)."""
        newer = []
        for number, stream, text in reversed(self.passing):
            if number <= after:
                break
            if stream in streams:
                newer.append(text)
        newer.reverse()
        return self.passed, newer

    def hear_passing(self, message: bytes) -> None:
        stream, text = json.loads(message)
        self.passed += 1
        self.passing.append((self.passed, stream, text.encode()))
        for woken in self.waiting.get(stream, ()):
            woken.set()

    def wake_all(self) -> None:
        for waiters in self.waiting.values():
            for woken in waiters:
                woken.set()

    async def _read(self, read: Callable, *args):
        """``read`` on the hub's thread, its connection kept or closed as a request's would be."""

        def on_hub_thread():
            connection.close_if_unusable_or_obsolete()
            try:
                return read(*args)
            finally:
                connection.close_if_unusable_or_obsolete()

        return await asyncio.get_running_loop().run_in_executor(self.executor, on_hub_thread)

    async def look(self) -> None:
        """Reads what was written since the last look, keeps it and wakes its streams' pages."""
        if self.floor is None:
            self.seen = await self._read(newest_id)
            self.floor = self.seen
        events = await self._read(_events_since, self.seen)
        if not events:
            return
        self.kept.extend((event.position, event.stream, as_sse(event).encode()) for event in events)
        self.seen = events[-1].position
        self.floor = max(self.floor, self.kept[0][0] - 1)
        for stream in {event.stream for event in events}:
            for woken in self.waiting.get(stream, ()):
                woken.set()

    async def _listen(self) -> None:
        try:
            if settings.REDIS_URL:
                await self._listen_to_redis()
            else:
                await self._poll_database()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning(
                "The live-event hub stopped; pages fall back to their own looks", exc_info=True
            )
            self.floor = None
        finally:
            # The pages it served no longer wait for it: each looks at the database itself.
            self.wake_all()
            # No page follows any more (or the hub stopped): its thread's connection is given back,
            # found on that thread (``connection.close`` named here is the event loop thread's).
            await asyncio.get_running_loop().run_in_executor(self.executor, _close_connection)

    async def _poll_database(self) -> None:
        while self.waiting:
            await self.look()
            await asyncio.sleep(POLL_SECONDS)

    async def _listen_to_redis(self) -> None:
        import redis.asyncio

        connection = redis.asyncio.Redis.from_url(settings.REDIS_URL)
        subscription = connection.pubsub()
        passing = _channel(PASSING).encode()
        await subscription.subscribe(_channel(ANNOUNCED), passing)
        loop = asyncio.get_running_loop()
        try:
            await self.look()
            looked = loop.time()
            while self.waiting:
                message = await subscription.get_message(
                    ignore_subscribe_messages=True, timeout=1.0
                )
                announced = False
                while message is not None:
                    if message["channel"] == passing:
                        self.hear_passing(message["data"])
                    else:
                        announced = True
                    message = await subscription.get_message(
                        ignore_subscribe_messages=True, timeout=0
                    )
                if announced or loop.time() - looked >= HUB_LOOK_SECONDS:
                    # Announcements that came meanwhile are all answered by this one look.
                    await self.look()
                    looked = loop.time()
        finally:
            await subscription.aclose()
            await connection.aclose()


def _close_connection() -> None:
    connection.close()


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def hub() -> Hub:
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]


def as_state(kind: str, payload: dict) -> str:
    """An event without an id: what holds now, told to a page as it starts listening (a call
    still ringing), which leaves the page's place in the stream where it was."""
    data = json.dumps({"kind": kind, **payload}, separators=(",", ":"), ensure_ascii=False)
    return f"event: {kind}\ndata: {data}\n\n"


def as_sse(event: LiveEvent) -> str:
    return f"id: {event.position}\n{as_state(event.kind, event.payload)}"


async def follow(
    streams: list[str], after: int, *, wait_seconds: float = WAIT_SECONDS, opening: str = ""
) -> AsyncIterator[bytes]:
    """Server-sent events on ``streams`` after event ``after``, for ``wait_seconds``. The hub wakes
    the page for its events (and when it stops); on its own the page wakes only to say it is still
    there, to end, or, while the hub has stopped, to look at the database itself. The events of one
    wake-up go out as one piece."""
    # An id before any event: a browser that reconnects before hearing one resumes from here
    # instead of from the newest event, so nothing written in between is lost.
    yield f"retry: {RETRY_MS}\nid: {after}\n\n{opening}".encode()
    the_hub = hub()
    wanted = frozenset(streams)
    woken = the_hub.wait_for(wanted)
    passed = the_hub.passed
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds * (1 - WAIT_SPREAD * random.random())  # noqa: S311
    spoke = loop.time()
    try:
        while True:
            woken.clear()
            passed, passing = the_hub.passing_after(wanted, passed)
            events = the_hub.kept_after(wanted, after) if the_hub.listening() else None
            more = False
            if events is None:
                read = await sync_to_async(events_after)(streams, after)
                events = [(event.position, as_sse(event).encode()) for event in read]
                more = len(read) == BATCH
            if events or passing:
                if events:
                    after = events[-1][0]
                spoke = loop.time()
                yield b"".join([*passing, *(text for _pk, text in events)])
                if more:
                    continue
            now = loop.time()
            if now >= deadline:
                break
            if now - spoke >= HEARTBEAT_SECONDS:
                spoke = now
                yield HEARTBEAT
            wake_at = min(deadline, spoke + HEARTBEAT_SECONDS)
            if not the_hub.listening():
                wake_at = min(wake_at, now + FALLBACK_LOOK_SECONDS)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(wake_at):
                    await woken.wait()
        yield HEARTBEAT
    finally:
        the_hub.forget(woken, wanted)


def heard(request: HttpRequest) -> int | None:
    """The last event id the page heard: the browser's Last-Event-ID on reconnection, else the
    ``after`` the page was drawn with; None when neither is given."""
    value = request.headers.get("Last-Event-ID") or request.GET.get("after", "")
    return int(value) if value.isdigit() else None


async def event_stream(
    request: HttpRequest,
    streams: list[str],
    *,
    wait_seconds: float = WAIT_SECONDS,
    now_holding: Callable[[], list[tuple[str, dict]]] | None = None,
) -> HttpResponse:
    """The response of a view that lets a page follow ``streams`` (the view has checked who may).
    A page that starts listening (not one that resumes) first hears ``now_holding()``'s events:
    what was published between the page's drawing and its listening is not in the stream after
    the newest event. Under WSGI a waiting response would hold a thread: it looks once and lets
    the browser come back after RETRY_MS."""
    after = heard(request)
    opening = ""
    if after is None:
        after = await sync_to_async(newest_id)()
        if now_holding is not None:
            held = await sync_to_async(now_holding)()
            opening = "".join(as_state(kind, payload) for kind, payload in held)
    if isinstance(request, ASGIRequest):
        response = StreamingHttpResponse(
            follow(streams, after, wait_seconds=wait_seconds, opening=opening),
            content_type="text/event-stream",
        )
    else:
        events = await sync_to_async(events_after)(streams, after)
        body = f"retry: {RETRY_MS}\nid: {after}\n\n{opening}" + "".join(
            as_sse(event) for event in events
        )
        response = HttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    return response
