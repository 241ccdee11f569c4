"""The ASGI entry point that `attenda serve` runs under uvicorn: Django, with its synchronous views
run on a fixed set of long-lived threads per process (see RequestThreads)."""

import functools
import gc
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from asgiref.sync import ThreadSensitiveContext, iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.template.loader import get_template
from django.urls import Resolver404, get_resolver

from attenda.core.middleware import past_browser_middleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attenda.settings")
# WhiteNoise streams static files from a synchronous file iterator, which Django under ASGI serves
# correctly but warns about on every file; the warning says nothing an operator can act on.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)


class RequestThreads:
    """Runs each request's synchronous work on one of ``count`` threads that live as long as the
    process. Django alone gives every request a new thread, and with it a new database connection:
    on SQLite a connection opened, set up and memory-mapped again with an empty page cache for
    every request, on PostgreSQL a new server process (or a pool's connection held by a thread that
    is gone). On long-lived threads each keeps its connection, and its cache, warm. Requests that
    share a thread take turns on it, as Django's own single-thread mode does.

    A request goes to the thread with the least work waiting on it now. Counting the requests in
    flight instead counted every held event stream (a thousand for 500 chats), which waits on the
    event loop and not on its thread: a chat's line then went to whichever thread held the fewest
    streams, often one held up by a write waiting for SQLite's lock, and waited there a second."""

    def __init__(self, application, count: int) -> None:
        self.application = application
        self.lanes = [Lane(number) for number in range(count)]

    async def __call__(self, scope, receive, send) -> None:
        lane = min(self.lanes, key=Lane.waiting)
        async with ThreadSensitiveContext(executor=lane):
            await self.application(scope, receive, send)


class Lane(ThreadPoolExecutor):
    """One request thread, and how many calls were handed to it and have not finished. Each count
    has one writer (the event loop hands calls over, the thread finishes them), so no lock."""

    def __init__(self, number: int) -> None:
        super().__init__(max_workers=1, thread_name_prefix=f"attenda-request-{number}")
        self.handed = 0
        self.finished = 0

    def waiting(self) -> int:
        return self.handed - self.finished

    def submit(self, fn, /, *args, **kwargs):
        self.handed += 1
        return super().submit(self._finishing, fn, *args, **kwargs)

    def _finishing(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            self.finished += 1


class OneHopHandler(ASGIHandler):
    """Django's ASGI handler, with a page's middleware and view run in one call on its request
    thread. Django alone runs a synchronous middleware on the thread, the asynchronous ones on the
    event loop and the view on the thread again: for Attenda's chain, where most middleware is
    synchronous, three crossings between the loop and the thread each way per request, each waiting
    for the other side to be scheduled. Views that are coroutines (the inbox's live updates) keep
    Django's own asynchronous path."""

    def __init__(self) -> None:
        super().__init__()
        self.synchronous = BaseHandler()
        self.synchronous.load_middleware(is_async=False)
        self.resolver = get_resolver()

    async def get_response_async(self, request):
        if self.asynchronous_view(request.path_info):
            return await super().get_response_async(request)
        return await sync_to_async(self.synchronous.get_response, thread_sensitive=True)(request)

    def asynchronous_view(self, path: str) -> bool:
        # Webhook and chat widget views are synchronous (WebhookMiddleware calls them): no need to
        # resolve twice.
        if past_browser_middleware(path):
            return False
        return self._resolves_to_coroutine(path)

    @functools.lru_cache(maxsize=10_000)  # noqa: B019 - one handler per process, kept for its life.
    def _resolves_to_coroutine(self, path: str) -> bool:
        """Per path, remembered: an agent's page asks again every few seconds (a chat's typing
        indicator, its heartbeat), and resolving a path walks Attenda's URL patterns."""
        try:
            return iscoroutinefunction(self.resolver.resolve(path).func)
        except Resolver404:
            return False


get_asgi_application()  # sets Django up
application = RequestThreads(OneHopHandler(), settings.WEB_THREADS)


# A web process holding a thousand event streams has some 250,000 objects the collector walks
# again at each full collection, and Django's requests leave cycles behind: with Python's
# thresholds (700, 10, 10) a full collection came every 4 seconds and stopped the process (event
# loop and request threads alike) for 0.2-0.7 s, the most of a chat line's late deliveries. A
# young collection once per 50,000 new objects lets most of a request's objects die before it,
# so fewer are carried into the older generations and a full collection comes far less often.
GC_THRESHOLDS = (50_000, 20, 10)


def _prepare_arrivals() -> None:
    from attenda.tickets import arrivals

    arrivals.prepare()
    # The pages' code (every view, the API's schemas) and Attenda's templates, which Django would
    # otherwise load on the first requests for each page, after the freeze below.
    get_resolver().url_patterns  # noqa: B018 - imports the URLconf.
    _compile_templates()
    # What is loaded by now (Django, the URL resolver, templates, triage's models) lives as long as
    # the process: set aside from the garbage collector, whose full collections otherwise walk it
    # all again in the middle of some request. On PostgreSQL's million, with the pages' code and
    # templates loaded after it, each web process ran a full collection every 4-5 s that took
    # 30-50 ms of CPU, every request under way in the process waiting for it.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _compile_templates() -> None:
    """Into the template engine's cache, as each page's first request would."""
    for directory in Path(__file__).parent.glob("**/templates"):
        for path in directory.rglob("*.html"):
            get_template(path.relative_to(directory).as_posix())


# A web process takes messages in as well (a chat's lines, the web form, the portal): triage's
# models load beside its first requests as it starts, not inside the first message's receive(),
# where everything waiting for the database's write lock waited for them too.
threading.Thread(target=_prepare_arrivals, name="attenda-prepare", daemon=True).start()
