"""The web process that `attenda serve` runs under uvicorn."""

import gc
import importlib
import threading
import time

from django.template import engines

from attenda.tickets import arrivals


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

    import attenda.asgi

    importlib.reload(attenda.asgi)

    try:
        deadline = time.monotonic() + 30
        while not gc.get_freeze_count() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gc.get_freeze_count() > 0
        assert "tickets/inbox.html" in {key.split(":")[0] for key in loader.get_template_cache}
    finally:
        gc.unfreeze()
