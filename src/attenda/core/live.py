"""Live events: what open pages hear without reloading (a chat message, a ringing phone, a queue
number called to a counter). An event is written to the database in the writer's transaction, so a
page that reconnects with the last id it heard misses nothing, whichever web process it reaches.
Each web process has one hub that wakes the pages it serves: through Redis publish/subscribe when
Redis is configured, otherwise by one look at the newest events every POLL_SECONDS — never one
query per open page.

Writers call ``publish(stream, kind, payload)``; views answer with ``event_stream(request,
streams)``. A stream is a name such as ``chat:42`` or ``office:3``; the view decides who may hear
it."""

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import AsyncIterator, Iterable
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from attenda.core import clock
from attenda.core.models import LiveEvent

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25
# A response ends after this long and the browser reconnects with Last-Event-ID, so no response
# lives for ever behind a proxy that cuts idle connections.
WAIT_SECONDS = 25
RETRY_MS = 1000
BATCH = 100
KEEP = timedelta(hours=1)
REDIS_CHANNEL = "attenda:live"


def publish(stream: str, kind: str, payload: dict) -> LiveEvent:
    """Records an event on ``stream``; pages following it hear it once the caller's transaction
    commits (or at once outside one)."""
    event = LiveEvent.objects.create(
        stream=stream, kind=kind, payload=payload, created_at=clock.now()
    )
    if settings.REDIS_URL:
        transaction.on_commit(lambda: _announce(stream))
    return event


def _announce(stream: str) -> None:
    try:
        _redis().publish(REDIS_CHANNEL, stream)
    except Exception:
        # The pages still hear it at their next look at the database (the hub's fallback poll).
        logger.warning("Could not announce a live event on %s through Redis", stream, exc_info=True)


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


def newest_id() -> int:
    """Where a page that starts listening now begins: after every event already written."""
    newest = LiveEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return newest or 0


def events_after(streams: Iterable[str], after: int, *, limit: int = BATCH) -> list[LiveEvent]:
    """Index ``core_liveevent_stream_id``: one range read per stream."""
    return list(
        LiveEvent.objects.filter(stream__in=list(streams), pk__gt=after).order_by("pk")[:limit]
    )


def prune(*, now=None) -> int:
    """Events older than KEEP are past any page's reconnection; the schedule removes them."""
    before = (now or clock.now()) - KEEP
    deleted, _kinds = LiveEvent.objects.filter(created_at__lt=before).delete()
    return deleted


def _streams_since(after: int) -> tuple[int, set[str]]:
    rows = list(
        LiveEvent.objects.filter(pk__gt=after).order_by("pk").values_list("pk", "stream")[:1000]
    )
    if not rows:
        return after, set()
    return rows[-1][0], {stream for _pk, stream in rows}


class Hub:
    """One per event loop (a web process): the pages waiting on each stream, and the one task that
    wakes them."""

    def __init__(self) -> None:
        self.waiting: dict[str, set[asyncio.Event]] = {}
        self.task: asyncio.Task | None = None

    def wait_for(self, streams: Iterable[str]) -> asyncio.Event:
        woken = asyncio.Event()
        for stream in streams:
            self.waiting.setdefault(stream, set()).add(woken)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._listen())
        return woken

    def forget(self, woken: asyncio.Event, streams: Iterable[str]) -> None:
        for stream in streams:
            waiters = self.waiting.get(stream)
            if waiters is not None:
                waiters.discard(woken)
                if not waiters:
                    del self.waiting[stream]

    def wake(self, streams: Iterable[str]) -> None:
        for stream in streams:
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

    async def _poll_database(self) -> None:
        seen = await sync_to_async(newest_id)()
        while self.waiting:
            seen, streams = await sync_to_async(_streams_since)(seen)
            self.wake(streams)
            await asyncio.sleep(POLL_SECONDS)

    async def _listen_to_redis(self) -> None:
        import redis.asyncio

        connection = redis.asyncio.Redis.from_url(settings.REDIS_URL)
        subscription = connection.pubsub()
        await subscription.subscribe(REDIS_CHANNEL)
        try:
            while self.waiting:
                message = await subscription.get_message(
                    ignore_subscribe_messages=True, timeout=1.0
                )
                if message is not None:
                    self.wake([message["data"].decode()])
        finally:
            await subscription.aclose()
            await connection.aclose()


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def hub() -> Hub:
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]


def as_sse(event: LiveEvent) -> str:
    data = json.dumps(
        {"kind": event.kind, **event.payload}, separators=(",", ":"), ensure_ascii=False
    )
    return f"id: {event.pk}\nevent: {event.kind}\ndata: {data}\n\n"


async def follow(
    streams: list[str], after: int, *, wait_seconds: float = WAIT_SECONDS
) -> AsyncIterator[str]:
    """Server-sent events on ``streams`` after event ``after``, for ``wait_seconds``; a safety look
    at the database every few seconds covers a wake-up lost with a Redis connection."""
    # An id before any event: a browser that reconnects before hearing one resumes from here
    # instead of from the newest event, so nothing written in between is lost.
    yield f"retry: {RETRY_MS}\nid: {after}\n\n"
    the_hub = hub()
    woken = the_hub.wait_for(streams)
    deadline = asyncio.get_running_loop().time() + wait_seconds
    try:
        while True:
            woken.clear()
            events = await sync_to_async(events_after)(streams, after)
            for event in events:
                after = event.pk
                yield as_sse(event)
            if len(events) == BATCH:
                continue
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout=min(left, 5.0))
        yield ": still here\n\n"
    finally:
        the_hub.forget(woken, streams)


def heard(request: HttpRequest) -> int | None:
    """The last event id the page heard: the browser's Last-Event-ID on reconnection, else the
    ``after`` the page was drawn with; None when neither is given."""
    value = request.headers.get("Last-Event-ID") or request.GET.get("after", "")
    return int(value) if value.isdigit() else None


async def event_stream(request: HttpRequest, streams: list[str]) -> HttpResponse:
    """The response of a view that lets a page follow ``streams`` (the view has checked who may).
    Under WSGI a waiting response would hold a thread: it looks once and lets the browser come
    back after RETRY_MS."""
    after = heard(request)
    if after is None:
        after = await sync_to_async(newest_id)()
    if isinstance(request, ASGIRequest):
        response = StreamingHttpResponse(follow(streams, after), content_type="text/event-stream")
    else:
        events = await sync_to_async(events_after)(streams, after)
        body = f"retry: {RETRY_MS}\nid: {after}\n\n" + "".join(as_sse(event) for event in events)
        response = HttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    return response
