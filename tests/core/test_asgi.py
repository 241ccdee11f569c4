"""The web process that `attenda serve` runs under uvicorn."""

import importlib
import threading

from attenda.tickets import arrivals


def test_a_web_process_prepares_the_readers_of_messages_as_it_starts(monkeypatch):
    prepared = threading.Event()
    monkeypatch.setattr(arrivals, "_PREPARERS", [prepared.set])

    import attenda.asgi

    importlib.reload(attenda.asgi)

    assert prepared.wait(timeout=10)
