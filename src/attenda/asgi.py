"""The ASGI entry point that `attenda serve` runs under uvicorn: Django, with its synchronous views
run on a fixed set of long-lived threads per process (see RequestThreads)."""

import os
import warnings
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attenda.settings")
# WhiteNoise streams static files from a synchronous file iterator, which Django under ASGI serves
# correctly but warns about on every file; the warning says nothing an operator can act on.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)


class RequestThreads:
    """Runs each request's synchronous work on the least busy of ``count`` threads that live as long
    as the process. Django alone gives every request a new thread, and with it a new database
    connection: on SQLite a connection opened, set up and memory-mapped again with an empty page
    cache for every request, on PostgreSQL a new server process (or a pool's connection held by a
    thread that is gone). On long-lived threads each keeps its connection, and its cache, warm.
    Requests that share a thread take turns on it, as Django's own single-thread mode does."""

    def __init__(self, application, count: int) -> None:
        self.application = application
        self.executors = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"attenda-request-{number}")
            for number in range(count)
        ]
        self.busy = [0] * count

    async def __call__(self, scope, receive, send) -> None:
        lane = min(range(len(self.executors)), key=self.busy.__getitem__)
        self.busy[lane] += 1
        try:
            async with ThreadSensitiveContext(executor=self.executors[lane]):
                await self.application(scope, receive, send)
        finally:
            self.busy[lane] -= 1


django_application = get_asgi_application()
application = RequestThreads(django_application, settings.WEB_THREADS)
