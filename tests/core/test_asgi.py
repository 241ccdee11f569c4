"""The web process that `attenda serve` runs under uvicorn."""

import asyncio
import gc
import importlib
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from django.template import engines

from attenda.tickets import arrivals


def _wait_for_preparing() -> None:
    for thread in threading.enumerate():
        if thread.name == "attenda-prepare":
            thread.join(timeout=60)


@pytest.fixture(autouse=True)
def one_web_process_preparing_at_a_time():
    """Each reload of attenda.asgi starts a thread that compiles the pages and then sets what was
    loaded aside: one left running by a test would freeze in the middle of the next."""
    _wait_for_preparing()
    yield
    _wait_for_preparing()


def test_a_web_process_prepares_the_readers_of_messages_as_it_starts(monkeypatch):
    prepared = threading.Event()
    monkeypatch.setattr(arrivals, "_PREPARERS", [prepared.set])

    import attenda.asgi

    importlib.reload(attenda.asgi)

    assert prepared.wait(timeout=10)


def test_a_web_process_sets_what_it_loaded_aside_from_the_garbage_collector(monkeypatch):
    monkeypatch.setattr(arrivals, "_PREPARERS", [])
    gc.unfreeze()

    import attenda.asgi

    importlib.reload(attenda.asgi)

    try:
        deadline = time.monotonic() + 10
        while not gc.get_freeze_count() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_web_process_compiles_the_pages_before_it_sets_them_aside(monkeypatch):
    monkeypatch.setattr(arrivals, "_PREPARERS", [])
    # django-template-partials' loader, around Django's cached one.
    (loader,) = engines["django"].engine.template_loaders[0].loaders
    loader.reset()
    gc.unfreeze()
    thresholds = gc.get_threshold()

    import attenda.asgi

    importlib.reload(attenda.asgi)

    try:
        deadline = time.monotonic() + 30
        while not gc.get_freeze_count() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gc.get_freeze_count() > 0
        assert "tickets/inbox.html" in {key.split(":")[0] for key in loader.get_template_cache}
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def test_young_collections_wait_for_fifty_thousand_new_objects(monkeypatch):
    """With Python's 700, a web process holding a thousand event streams collected its oldest
    generation every few seconds and stopped for tenths of a second each time."""
    monkeypatch.setattr(arrivals, "_PREPARERS", [])
    thresholds = gc.get_threshold()

    import attenda.asgi

    importlib.reload(attenda.asgi)

    try:
        deadline = time.monotonic() + 10
        while gc.get_threshold() == thresholds and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gc.get_threshold() == (50_000, 20, 10)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def test_a_request_goes_to_a_thread_with_no_work_waiting_not_one_that_holds_fewer_streams():
    """Held event streams wait on the event loop, not on their request thread: a line must not
    wait behind a thread held up by another request because that thread holds fewer streams."""
    from attenda.asgi import RequestThreads

    held = threading.Event()
    answered = []

    async def application(scope, receive, send):
        if scope["path"] == "/held":
            await sync_to_async(held.wait)()
        elif scope["path"] == "/stream":
            await asyncio.Event().wait()
        else:
            await sync_to_async(answered.append)(scope["path"])

    threads = RequestThreads(application, 2)

    async def scenario():
        requests = [asyncio.create_task(threads({"path": "/held"}, None, None))]
        await asyncio.sleep(0.05)
        requests += [
            asyncio.create_task(threads({"path": "/stream"}, None, None)) for _ in range(3)
        ]
        await asyncio.sleep(0.05)
        line = asyncio.create_task(threads({"path": "/line"}, None, None))
        try:
            await asyncio.wait_for(asyncio.shield(line), timeout=2)
        finally:
            held.set()
            for request in requests:
                request.cancel()
            await asyncio.gather(line, *requests, return_exceptions=True)

    asyncio.run(scenario())

    assert answered == ["/line"]
