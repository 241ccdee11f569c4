"""How replies leave. A channel app registers, when Attenda starts, the function that takes a reply
entry of its channel on its way (``register``); ``reply()`` hands every reply to ``deliver``. Tickets
know nothing of wire formats; a channel that registered nothing (a phone call) sends nothing."""

from collections.abc import Callable

from attenda.tickets.models import TimelineEntry

_DELIVERERS: dict[str, Callable[[TimelineEntry], None]] = {}


def register(channel: str, deliver_entry: Callable[[TimelineEntry], None]) -> None:
    _DELIVERERS[channel] = deliver_entry


def deliver(entry: TimelineEntry) -> None:
    """Starts sending ``entry`` on its channel, inside the caller's transaction."""
    deliver_entry = _DELIVERERS.get(entry.channel)
    if deliver_entry is not None:
        deliver_entry(entry)
