"""The web process that `attenda serve` runs under uvicorn."""

import gc
import importlib
import threading
import time

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
