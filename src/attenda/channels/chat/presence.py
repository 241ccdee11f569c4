"""Whether a visitor is still in their chat, from their stream's reconnections. A web process writes
the visitors it heard in one statement every SEEN_BATCH_SECONDS, not one statement each: 500
visitors reconnecting every minute asked SQLite's one writer for eight turns a second, and a
chat's lines waited behind them."""

import asyncio
import contextvars
import logging
import weakref

from asgiref.sync import sync_to_async
from django.db import connection

from attenda.channels.chat import services
from attenda.channels.chat.models import ChatConversation
from attenda.core import clock

logger = logging.getLogger(__name__)

# Part of services.VISITOR_GONE's reckoning: a visitor is never taken for gone while their sign of
# life waits here.
SEEN_BATCH_SECONDS = 5.0


class SeenLater:
    """One per event loop (a web process): the chats whose visitors were heard since the last
    write, and the task that writes them."""

    def __init__(self) -> None:
        self.heard: set[int] = set()
        self.writing: asyncio.Task | None = None

    def note(self, conversation_id: int) -> asyncio.Task:
        self.heard.add(conversation_id)
        if self.writing is None or self.writing.done():
            # In a context of its own, not the request's that noted first: that request's
            # thread-sensitive executor is gone once it has ended (as core.live's hub found).
            self.writing = asyncio.get_running_loop().create_task(
                self._write_soon(), context=contextvars.Context()
            )
        return self.writing

    async def _write_soon(self) -> None:
        await asyncio.sleep(SEEN_BATCH_SECONDS)
        heard, self.heard = sorted(self.heard), set()
        try:
            await sync_to_async(_write, thread_sensitive=False)(heard)
        except Exception:
            # Their next line or reconnection says it again.
            logger.warning(
                "Could not write that %d chat visitors are there", len(heard), exc_info=True
            )


_seen_later: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SeenLater]" = (
    weakref.WeakKeyDictionary()
)


def visitor_heard(conversation: ChatConversation) -> asyncio.Task | None:
    """The visitor's stream (re)connected: their sign of life is written within
    SEEN_BATCH_SECONDS, with the others this process heard meanwhile, when the last one written is
    SEEN_EVERY old. Returns the task that writes it (None when nothing needs writing)."""
    if clock.now() - conversation.visitor_seen_at < services.SEEN_EVERY:
        return None
    loop = asyncio.get_running_loop()
    if loop not in _seen_later:
        _seen_later[loop] = SeenLater()
    return _seen_later[loop].note(conversation.pk)


def _write(conversation_ids: list[int]) -> None:
    try:
        services.visitors_seen(conversation_ids)
    finally:
        # A thread of the event loop's pool, not a request's: its connection is not kept.
        connection.close()
